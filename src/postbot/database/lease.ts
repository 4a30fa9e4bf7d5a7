/**
 * The leader lease with a fencing token: of several instances sharing one database, the one
 * holding the lease is active. A lease is a row -- `leader_lease(name, holder, epoch,
 * expires_at)` -- taken when free or expired (the epoch goes up by one), renewed only by its
 * holder at its epoch before it expires, and released by expiring it at once (a graceful
 * hand-over leaves no gap). Expiry is judged in the database's clock ({@link Database.nowMs}),
 * so instances on hosts whose clocks disagree still agree on it.
 *
 * Holding the lease is not enough to act: an instance paused past its TTL (GC, SIGSTOP, a
 * partition) wakes up believing it is active. So every write that commits to an outward
 * action carries the {@link Fence} -- "this holder, this epoch, not expired" -- in its own
 * WHERE clause, checked by the database in the same statement: after a takeover the old
 * active's writes change nothing ({@link fencedRun} says `lease_lost`). Mattermost's plugin
 * cluster mutex has the TTL but no fencing.
 *
 * The table is created here, not by the numbered migrations: the lease decides which instance
 * migrates, so it must exist before them.
 *
 * @module
 */

import type { Database, SqlExecutor, SqlValue } from "./port.ts";

/** A lease's name and its holder's: plain words, inlined into fenced statements. */
const NAME = /^[A-Za-z0-9._:@-]{1,100}$/;

/** Options of a {@link Lease}. */
export interface LeaseOptions {
  /** Which lease (default `postbot`): one per set of instances sharing the database. */
  readonly name?: string;
  /** This instance, unique among those running (e.g. host, pid and a random part). */
  readonly holder: string;
  /** How long a taken or renewed lease lasts, in milliseconds (LEASE_TTL_SECONDS). */
  readonly ttlMs: number;
}

/** The outcome of {@link Lease.acquire}. */
export type Acquisition =
  /** This instance holds the lease at `epoch`. */
  | { readonly kind: "held"; readonly epoch: number }
  /** Another instance holds it, for `remainingMs` more unless renewed. */
  | { readonly kind: "taken"; readonly holder: string; readonly remainingMs: number };

/**
 * The condition "the lease is still mine, at this epoch, and not expired", as SQL to put into
 * the WHERE clause of a write (`... AND ${fence.sql}`). Self-contained (no placeholders), so
 * it fits anywhere in a statement.
 */
export interface Fence {
  readonly epoch: number;
  readonly sql: string;
}

/** What a fenced write did. */
export type FencedWrite =
  | { readonly kind: "written"; readonly changed: number }
  /** The lease is still held, but the statement's own conditions matched nothing. */
  | { readonly kind: "not_matched" }
  /** The lease was lost (taken over, expired, released): nothing was written. */
  | { readonly kind: "lease_lost" };

/** Creates the lease table unless it exists (concurrent starters on PostgreSQL serialised). */
export async function ensureLeaseTable(db: Database): Promise<void> {
  const create = `CREATE TABLE IF NOT EXISTS leader_lease (
      name       TEXT PRIMARY KEY,
      holder     TEXT NOT NULL,
      epoch      INTEGER NOT NULL,
      expires_at INTEGER NOT NULL
    )`;
  if (db.dialect === "sqlite") {
    await db.run(create);
    return;
  }
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('postbot.leader_lease'))");
    await tx.run(create);
  });
}

/** One instance's hold on a named lease (see the module's doc). */
export class Lease {
  readonly name: string;
  readonly holder: string;
  readonly ttlMs: number;
  readonly #db: Database;

  constructor(db: Database, options: LeaseOptions) {
    const name = options.name ?? "postbot";
    if (!NAME.test(name) || !NAME.test(options.holder)) {
      throw new Error(`lease and holder names are words of [A-Za-z0-9._:@-]: ${options.holder}`);
    }
    if (!Number.isInteger(options.ttlMs) || options.ttlMs <= 0) {
      throw new Error(`a lease's TTL is a positive number of milliseconds: ${options.ttlMs}`);
    }
    this.#db = db;
    this.name = name;
    this.holder = options.holder;
    this.ttlMs = options.ttlMs;
  }

  /** Takes the lease when it is free or expired (a new epoch); says who holds it otherwise. */
  async acquire(): Promise<Acquisition> {
    const now = this.#db.nowMs;
    const [taken] = await this.#db.query<{ epoch: number }>(
      `INSERT INTO leader_lease (name, holder, epoch, expires_at) VALUES (?, ?, 1, ${now} + ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
         epoch = leader_lease.epoch + 1, expires_at = excluded.expires_at
       WHERE leader_lease.expires_at <= ${now}
       RETURNING epoch`,
      [this.name, this.holder, this.ttlMs],
    );
    if (taken !== undefined) return { kind: "held", epoch: taken.epoch };
    const [row] = await this.#db.query<{ holder: string; epoch: number; remaining: number }>(
      `SELECT holder, epoch, expires_at - ${now} AS remaining FROM leader_lease WHERE name = ?`,
      [this.name],
    );
    if (row === undefined) return this.acquire(); // deleted in between by hand: try again
    if (row.holder === this.holder && row.remaining > 0) return { kind: "held", epoch: row.epoch };
    return { kind: "taken", holder: row.holder, remainingMs: Math.max(0, row.remaining) };
  }

  /** Extends the lease by its TTL; false when it is no longer held at `epoch` (lost). */
  async renew(epoch: number): Promise<boolean> {
    const now = this.#db.nowMs;
    return await this.#db.run(
      `UPDATE leader_lease SET expires_at = ${now} + ?
       WHERE name = ? AND holder = ? AND epoch = ? AND expires_at > ${now}`,
      [this.ttlMs, this.name, this.holder, epoch],
    ) === 1;
  }

  /** Hands the lease over: it expires now, a standby may take it at once. False if not held. */
  async release(epoch: number): Promise<boolean> {
    const now = this.#db.nowMs;
    return await this.#db.run(
      `UPDATE leader_lease SET expires_at = ${now}
       WHERE name = ? AND holder = ? AND epoch = ? AND expires_at > ${now}`,
      [this.name, this.holder, epoch],
    ) === 1;
  }

  /**
   * The fence of `epoch`. On PostgreSQL it also share-locks the lease row for the rest of the
   * write's transaction, so a takeover waits for the write to commit (and a write that comes
   * second sees the new holder): a fenced write and a takeover are never both true at once.
   */
  fence(epoch: number): Fence {
    if (!Number.isSafeInteger(epoch)) throw new Error(`not an epoch: ${epoch}`);
    const lock = this.#db.dialect === "postgres" ? " FOR SHARE" : "";
    return {
      epoch,
      sql: `EXISTS (SELECT 1 FROM leader_lease WHERE name = '${this.name}' AND ` +
        `holder = '${this.holder}' AND epoch = ${epoch} AND expires_at > ${this.#db.nowMs}${lock})`,
    };
  }
}

/**
 * Runs a write carrying `fence` in its WHERE clause (the caller puts `fence.sql` there) and
 * says what happened: written, not matched by its own conditions, or refused because the
 * lease was lost. Pass a transaction's executor to fence a write inside it.
 */
export async function fencedRun(
  on: SqlExecutor,
  fence: Fence,
  sql: string,
  params: readonly SqlValue[] = [],
): Promise<FencedWrite> {
  if (!sql.includes(fence.sql)) throw new Error("a fenced write must carry its fence");
  const changed = await on.run(sql, params);
  if (changed > 0) return { kind: "written", changed };
  const held = await on.query(`SELECT 1 AS held WHERE ${fence.sql}`);
  return held.length > 0 ? { kind: "not_matched" } : { kind: "lease_lost" };
}
