/**
 * Test support of the database port: one test body run on both engines -- SQLite in memory
 * and a fresh database in a throwaway PostgreSQL cluster (`@postbot/harness/postgres`), both
 * with postbot's migrations applied. The cluster is started once per test file, at its first
 * PostgreSQL test, and stopped when the file's tests end.
 *
 * @module
 */

import { startPostgres, type ThrowawayPostgres } from "@postbot/harness/postgres";
import { MIGRATIONS } from "../migrations.ts";
import { POSTGRES_MIGRATIONS } from "../migrations_postgres.ts";
import type { Database } from "./port.ts";
import { openSqliteDatabase } from "./sqlite_database.ts";
import { connectPostgres } from "./postgres_database.ts";
import { parsePostgresUrl } from "./postgres_url.ts";
import { migratePostgres } from "./postgres_migrations.ts";

let cluster: Promise<ThrowawayPostgres> | undefined;

/** The file's throwaway cluster, started at the first call. */
export function sharedPostgres(): Promise<ThrowawayPostgres> {
  if (cluster === undefined) {
    cluster = startPostgres();
    cluster.then((pg) => {
      // The cluster is a daemon of its own: stop it with the test process, synchronously.
      globalThis.addEventListener("unload", () => pg.stopNow());
    }, () => {});
  }
  return cluster;
}

/** The URL of a fresh database in the shared cluster. */
export async function freshPostgresUrl(): Promise<string> {
  return await (await sharedPostgres()).createDatabase();
}

/** Connects to a PostgreSQL database by URL (not migrated); throws when it cannot. */
export async function connectUrl(url: string): Promise<Database> {
  const target = parsePostgresUrl(url);
  if (!target.ok) throw new Error(target.error.message);
  const db = await connectPostgres(target.value);
  if (!db.ok) throw new Error(db.error.message);
  return db.value;
}

/** Opens a database on a fresh PostgreSQL database of the shared cluster (not migrated). */
export async function freshPostgres(): Promise<Database> {
  return connectUrl(await freshPostgresUrl());
}

/** Opens a migrated database of each engine. */
export const ENGINES = {
  sqlite(): Promise<Database> {
    const db = openSqliteDatabase(":memory:", MIGRATIONS);
    if (!db.ok) throw new Error(db.error.message);
    return Promise.resolve(db.value);
  },
  async postgres(): Promise<Database> {
    const db = await freshPostgres();
    const migrated = await migratePostgres(db, POSTGRES_MIGRATIONS);
    if (!migrated.ok) throw new Error(migrated.error.message);
    return db;
  },
} as const;

/** Registers `body` as two tests, one per engine, each on a migrated database of its own. */
export function testOnBothEngines(name: string, body: (db: Database) => Promise<void>): void {
  for (const [engine, open] of Object.entries(ENGINES)) {
    Deno.test(`${name} [${engine}]`, async () => {
      const db = await open();
      try {
        await body(db);
      } finally {
        await db.close();
      }
    });
  }
}
