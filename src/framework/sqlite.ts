/**
 * Opening the bot's SQLite database (`node:sqlite`, built into Deno: no FFI, no native
 * download) in the mode a long-running bot needs: WAL, a busy timeout, foreign keys, a small
 * page cache, and a schema brought up to date by numbered migrations recorded in
 * `PRAGMA user_version`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { fail, ok, type Problem, type Result } from "./result.ts";

/** SQLite's page cache per connection, in KiB (see {@link openDatabase}). */
const CACHE_KIB = 256;

/** One schema step; `version` numbers start at 1 and have no gaps. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Names in the messages of {@link openDatabase}: whose database, which setting names it. */
export interface DatabaseNaming {
  /** The app's name: "newer than this <app> understands" (default "program"). */
  readonly app?: string;
  /** The setting that names the file: "<setting>=<path> cannot be opened" (default DB_PATH). */
  readonly setting?: string;
}

/**
 * Opens (creating if needed) and migrates the database. A database written by a newer
 * version of the app (higher user_version than known) is refused rather than misread.
 *
 * @example
 * ```ts
 * import { openDatabase } from "@postbot/framework";
 *
 * const opened = openDatabase(":memory:", [
 *   { version: 1, description: "greetings", sql: "CREATE TABLE greeting (user_id TEXT)" },
 * ], { app: "hellobot" });
 * if (!opened.ok) throw new Error(opened.error.message);
 * opened.value.prepare("INSERT INTO greeting VALUES (?)").run("alice");
 * opened.value.close();
 * ```
 */
export function openDatabase(
  path: string,
  migrations: readonly Migration[],
  naming: DatabaseNaming = {},
): Result<DatabaseSync, Problem> {
  const app = naming.app ?? "program";
  const setting = naming.setting ?? "DB_PATH";
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return fail(
        `${setting}=${path} is not covered by the granted permissions: ` +
          `add it to --allow-read and --allow-write`,
      );
    }
    return fail(`${setting}=${path} cannot be opened: ${(e as Error).message}`);
  }
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = NORMAL");
    db.exec("PRAGMA foreign_keys = ON");
    // 256 KiB of page cache instead of SQLite's 2 MB: a bot's lookups touch few pages, the
    // operating system caches the file anyway, and the default stays filled (C heap that is
    // never given back) once the log outgrows it.
    db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
    const current = (db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version;
    const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
    if (current > latest) {
      db.close();
      return fail(
        `${setting}=${path} has schema version ${current}, newer than this ${app} ` +
          `understands (${latest}). Run the newer ${app}, or point ${setting} at another file.`,
      );
    }
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (migration.version <= current) continue;
      db.exec("BEGIN IMMEDIATE");
      try {
        db.exec(migration.sql);
        db.exec(`PRAGMA user_version = ${migration.version}`);
        db.exec("COMMIT");
      } catch (e) {
        db.exec("ROLLBACK");
        throw e;
      }
    }
  } catch (e) {
    try {
      db.close();
    } catch {
      // Already closed.
    }
    return fail(`${setting}=${path} could not be prepared: ${(e as Error).message}`);
  }
  return ok(db);
}

/** Runs `fn` in a transaction (committed when it returns, rolled back when it throws). */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (e) {
    db.exec("ROLLBACK");
    throw e;
  }
}
