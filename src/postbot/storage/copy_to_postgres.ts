/**
 * Moving from SQLite to PostgreSQL (`main.ts --migrate`): every row of every table of the
 * SQLite log copied into a freshly migrated, empty PostgreSQL database, in one transaction
 * (all or nothing), parents before children, in the order they were written. The identity
 * columns' sequences are moved past the copied ids. A database that already holds data is
 * refused: the copy never merges.
 *
 * @module
 */

import { err, ok, type Problem, type Result } from "@postbot/framework";
import type { Database, Row, SqlExecutor } from "../database/port.ts";

/** The tables, parents first (foreign keys), each with the order its rows were written in. */
const TABLES: readonly (readonly [table: string, order: string])[] = [
  ["settings", "name"],
  ["broadcasts", "seq, created_at"],
  ["deliveries", "broadcast_id, seq"],
  ["broadcast_events", "id"],
  ["edit_approvals", "broadcast_id, round"],
  ["edit_decisions", "broadcast_id, round, at"],
  ["direct_channels", "user_id"],
  ["processed_posts", "create_at, post_id"],
  ["unsettled_channels", "channel_id"],
  ["sessions", "user_id"],
  ["task_runs", "id"],
  ["scheduled_broadcasts", "seq, created_at"],
  ["approval_decisions", "seq"],
  ["scheduled_files", "broadcast_id, idx"],
  ["seen", "broadcast_id, user_id"],
  ["acknowledgements", "broadcast_id, user_id"],
  ["reminders", "broadcast_id, user_id, at"],
  ["reminders_due", "broadcast_id"],
  ["shared_files", "name"],
];

/** Tables whose `id` PostgreSQL numbers itself (an identity column). */
const IDENTITY_TABLES = ["broadcast_events", "task_runs"];

/** How many rows of each table were copied. */
export type CopyCounts = ReadonlyMap<string, number>;

/** Copies every table of `from` (SQLite) into `to` (PostgreSQL, migrated and empty). */
export async function copyToPostgres(
  from: Database,
  to: Database,
): Promise<Result<CopyCounts, Problem>> {
  for (const [table] of TABLES) {
    const [row] = await to.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    if (Number(row.n) > 0) {
      return err({
        message: `The PostgreSQL database already holds data (table ${table}); nothing was ` +
          "copied.",
        hint: "Copy into a new, empty database (create it, set DATABASE_URL, run --migrate).",
      });
    }
  }
  const counts = new Map<string, number>();
  await to.transaction(async (tx) => {
    for (const [table, order] of TABLES) {
      const rows = await from.query(`SELECT * FROM ${table} ORDER BY ${order}`);
      for (const row of rows) await insert(tx, table, row);
      counts.set(table, rows.length);
    }
    for (const table of IDENTITY_TABLES) {
      await tx.query(
        `SELECT setval(pg_get_serial_sequence('${table}', 'id'),
           GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), 1))`,
      );
    }
  });
  return ok(counts);
}

/** One row, as read, into the same table. */
async function insert(tx: SqlExecutor, table: string, row: Row): Promise<void> {
  const columns = Object.keys(row);
  await tx.run(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    columns.map((c) => row[c]),
  );
}
