/**
 * Where the stores get the fence for a write that commits to an outward action (lease.ts):
 * a function answering the SQL condition "this instance may act", evaluated by the database in
 * the write's own WHERE clause. With one instance on SQLite (the file lock makes it the only
 * one) the condition is always true; with a lease it is the current epoch's fence, and false
 * while this instance is standby.
 *
 * @module
 */

/** The fence condition to put into a write now (SQL, no placeholders). */
export type FenceSource = () => string;

/** The fence of a single instance: nobody else can act, so every write may. */
export const SOLE_INSTANCE: FenceSource = () => "1 = 1";

/** The fence of an instance that may not act (a standby): fenced writes change nothing. */
export const NEVER = "1 = 0";
