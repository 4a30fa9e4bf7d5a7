/**
 * `deno task start --migrate`: moves the SQLite log at `DB_PATH` into the PostgreSQL
 * database at `DATABASE_URL` (stop the bot first: the SQLite file is locked while copying),
 * then exits. Prints what it copied, or why it copied nothing.
 *
 * @module
 */

import { describeProblem, err, ok, type Problem, type Result } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import type { PostbotConfig } from "./config.ts";
import { ensureLeaseTable } from "./database/lease.ts";
import { connectPostgres } from "./database/postgres_database.ts";
import { migratePostgres } from "./database/postgres_migrations.ts";
import { SqliteDatabase } from "./database/sqlite_database.ts";
import { MIGRATIONS } from "./migrations.ts";
import { POSTGRES_MIGRATIONS } from "./migrations_postgres.ts";
import { APP_NAME } from "./name.ts";
import { copyToPostgres } from "./storage/copy_to_postgres.ts";
import { lockDatabase } from "./storage/lock.ts";

/** Copies `DB_PATH` into `DATABASE_URL`; the exit status (0 copied, 1 not). */
export async function migrateCommand(config: PostbotConfig): Promise<number> {
  const copied = await migrate(config);
  if (!copied.ok) {
    console.error(describeProblem(copied.error));
    return 1;
  }
  console.log(copied.value);
  return 0;
}

async function migrate(config: PostbotConfig): Promise<Result<string, Problem>> {
  if (config.database === undefined) {
    return err({ message: "--migrate copies DB_PATH into DATABASE_URL: set DATABASE_URL." });
  }
  const lock = await lockDatabase(config.dbPath);
  if (!lock.ok) return lock;
  try {
    const sqlite = openDatabase(config.dbPath, MIGRATIONS, { app: APP_NAME });
    if (!sqlite.ok) return err({ message: sqlite.error.message });
    const from = new SqliteDatabase(sqlite.value);
    try {
      const pg = await connectPostgres(config.database);
      if (!pg.ok) return pg;
      try {
        await ensureLeaseTable(pg.value);
        const migrated = await migratePostgres(pg.value, POSTGRES_MIGRATIONS, APP_NAME);
        if (!migrated.ok) return migrated;
        const counts = await copyToPostgres(from, pg.value);
        if (!counts.ok) return counts;
        const rows = [...counts.value].map(([table, n]) => `  ${table}: ${n}`).join("\n");
        return ok(`Copied ${config.dbPath} into ${config.database.shown}:\n${rows}`);
      } finally {
        await pg.value.close();
      }
    } finally {
      await from.close();
    }
  } finally {
    lock.value.close();
  }
}
