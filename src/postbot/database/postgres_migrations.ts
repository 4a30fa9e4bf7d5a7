/**
 * The numbered migrations run on PostgreSQL: the same steps as on SQLite, translated by
 * `dialect.ts`, applied in one transaction under an advisory lock -- several instances
 * starting at once against one database migrate it exactly once, the others wait and find it
 * done. The version is kept in `schema_migrations` (SQLite keeps it in `PRAGMA user_version`).
 *
 * @module
 */

import type { Migration } from "@postbot/framework/sqlite";
import { err, ok, type Problem, type Result } from "@postbot/framework";
import type { Database } from "./port.ts";

/** The advisory lock's key: a constant of postbot's, so other users of the database differ. */
const LOCK = "hashtext('postbot.schema_migrations')";

/** What a migration run did: the version found and the one left. */
export interface MigrationRun {
  readonly from: number;
  readonly to: number;
}

/**
 * Brings the PostgreSQL schema up to the latest migration, once, under the lock. A schema
 * newer than this postbot knows is refused (a newer instance migrated it: run that version).
 */
export function migratePostgres(
  db: Database,
  migrations: readonly Migration[],
  app = "postbot",
): Promise<Result<MigrationRun, Problem>> {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${LOCK})`);
    await tx.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version     INTEGER NOT NULL UNIQUE,
         description TEXT NOT NULL,
         applied_at  INTEGER NOT NULL
       )`,
    );
    const [{ current }] = await tx.query<{ current: number }>(
      "SELECT COALESCE(MAX(version), 0) AS current FROM schema_migrations",
    );
    if (current > latest) {
      return err({
        message: `The database has schema version ${current}, newer than this ${app} ` +
          `understands (${latest}).`,
        hint: `Run the newer ${app}, or point DATABASE_URL at another database.`,
      });
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= current) continue;
      await tx.run(migration.sql);
      await tx.run(
        `INSERT INTO schema_migrations (version, description, applied_at)
         VALUES (?, ?, ${db.nowMs})`,
        [migration.version, migration.description],
      );
    }
    return ok({ from: current, to: Math.max(current, latest) });
  });
}
