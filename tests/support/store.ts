/**
 * The bot's store as the tests read it: the same database the bot uses -- its SQLite file, or
 * the PostgreSQL database the harness gave it (`DATABASE_URL`, under `deno task test:postgres`)
 * -- opened with the app's own {@link Database} adapters, so one test body checks the rows on
 * both engines.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type { Scenario } from "@postbot/harness";
import type { Database, Row, SqlValue } from "../../src/postbot/database/port.ts";
import { SqliteDatabase } from "../../src/postbot/database/sqlite_database.ts";
import { connectUrl } from "../../src/postbot/database/testing.ts";

export type { Database, Row, SqlValue };

/** Whether the scenario's bot runs on PostgreSQL (the harness gave it a `DATABASE_URL`). */
export function onPostgres(s: Scenario): boolean {
  return s.env.DATABASE_URL !== undefined;
}

/**
 * Opens the bot's store: read-only on SQLite (safe while the bot runs: WAL), a connection of
 * its own on PostgreSQL. `writable` opens the SQLite file for writing, for the tests that
 * stage rows the bot then finds.
 */
export async function openStore(s: Scenario, writable = false): Promise<Database> {
  const url = s.env.DATABASE_URL;
  if (url !== undefined) return await connectUrl(url);
  const file = s.env.DB_PATH ?? "broadcast_log.db";
  const path = file.startsWith("/") ? file : `${s.dir}/${file}`;
  return new SqliteDatabase(new DatabaseSync(path, { readOnly: !writable, timeout: 5_000 }));
}

/** Runs `fn` on the bot's store and closes it. */
export async function withStore<T>(
  s: Scenario,
  fn: (db: Database) => Promise<T>,
  writable = false,
): Promise<T> {
  const db = await openStore(s, writable);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The rows a statement (`?` placeholders) reads from the bot's store. */
export function storeRows<T extends Row = Row>(
  s: Scenario,
  sql: string,
  ...params: SqlValue[]
): Promise<T[]> {
  return withStore(s, (db) => db.query<T>(sql, params));
}

/** The first row a statement reads from the bot's store, or undefined. */
export async function storeRow<T extends Row = Row>(
  s: Scenario,
  sql: string,
  ...params: SqlValue[]
): Promise<T | undefined> {
  return (await storeRows<T>(s, sql, ...params))[0];
}

/** Runs a write on the bot's store (a test staging a row); answers the rows changed. */
export function storeRun(s: Scenario, sql: string, ...params: SqlValue[]): Promise<number> {
  return withStore(s, (db) => db.run(sql, params), true);
}

/** `SELECT COUNT(*)` of a statement's rows, as a number. */
export async function storeCount(s: Scenario, sql: string, ...params: SqlValue[]): Promise<number> {
  const row = await storeRow<{ n: number }>(s, sql, ...params);
  return Number(row?.n ?? 0);
}

/**
 * Gives the stopped bot a new, empty database: its SQLite files removed, or on PostgreSQL the
 * schema dropped and created again (the next start migrates it like a new one).
 */
export async function emptyStore(s: Scenario): Promise<void> {
  if (onPostgres(s)) {
    await withStore(s, async (db) => {
      await db.run("DROP SCHEMA public CASCADE");
      await db.run("CREATE SCHEMA public");
    });
    return;
  }
  for (const suffix of ["", "-wal", "-shm"]) {
    await Deno.remove(`${s.dir}/broadcast_log.db${suffix}`).catch(() => {});
  }
}
