/**
 * postbot's migrations as PostgreSQL runs them: {@link MIGRATIONS} itself, but for the steps
 * whose SQLite text has no faithful translation (see `database/dialect.ts`), given here in the
 * form both engines read. Version 4 rebuilt `deliveries` copying its rows in `rowid` order; on
 * PostgreSQL the table is empty at that step (a PostgreSQL database starts at version 0, and
 * no data is moved in from SQLite by migrations), so the copy needs no order; version 6
 * rebuilt `scheduled_broadcasts` the same way.
 *
 * @module
 */

import type { Migration } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "./migrations.ts";

/** The replacements: version -> the same step in SQL both engines read. */
const REWRITES: ReadonlyMap<number, (sql: string) => string> = new Map([
  [4, (sql: string) => replaceOnce(sql, "FROM deliveries ORDER BY rowid;", "FROM deliveries;")],
  [
    6,
    (sql: string) =>
      replaceOnce(sql, "FROM scheduled_broadcasts ORDER BY rowid;", "FROM scheduled_broadcasts;"),
  ],
  // Numbering the rows written so far: there are none on PostgreSQL.
  [8, (sql: string) => sql.replace(/^\s*UPDATE \w+ SET seq = rowid;$/gm, "")],
]);

function replaceOnce(sql: string, from: string, to: string): string {
  if (!sql.includes(from)) throw new Error(`migration text changed: "${from}" not found`);
  return sql.replace(from, to);
}

/** Every schema step, oldest first, in the form PostgreSQL runs. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = MIGRATIONS.map((m) => {
  const rewrite = REWRITES.get(m.version);
  return rewrite === undefined ? m : { ...m, sql: rewrite(m.sql) };
});
