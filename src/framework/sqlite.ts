/**
 * `@postbot/framework/sqlite`: opening the bot's SQLite database (`node:sqlite`, built into
 * Deno: no FFI, no native download) in the mode a long-running bot needs: WAL, a busy timeout,
 * foreign keys, a small page cache, and a schema brought up to date by numbered migrations
 * recorded in `PRAGMA user_version`. A subpath: a bot without a database loads none of it.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { err, ok, type Problem, type Result } from "./result.ts";

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
 * A database that cannot be used, for the operator: `detail` follows the setting's name
 * (`DB_PATH points at x.db, which is damaged ...`), `message` is both, `hint` what to do.
 */
export interface DatabaseProblem extends Problem {
  /** The setting that names the file (DB_PATH): a startup list shows it as its entry. */
  readonly setting: string;
  readonly detail: string;
}

/**
 * What kind of trouble a SQLite error means for the store, or `undefined` for an error of the
 * statement itself (a constraint, a typo in SQL): only the kinds here say the database or its
 * disk is failing. node:sqlite gives `errcode` on some errors only, so the message decides too.
 */
export type SqliteTrouble =
  | "corrupt"
  | "not_a_database"
  | "read_only"
  | "cannot_open"
  | "disk_full"
  | "io_error"
  | "busy";

const TROUBLE_BY_CODE: Record<number, SqliteTrouble> = {
  5: "busy",
  6: "busy",
  8: "read_only",
  10: "io_error",
  11: "corrupt",
  13: "disk_full",
  14: "cannot_open",
  26: "not_a_database",
};

const TROUBLE_BY_MESSAGE: ReadonlyArray<readonly [RegExp, SqliteTrouble]> = [
  [/file is not a database/i, "not_a_database"],
  [/malformed|corrupt/i, "corrupt"],
  [/readonly database|read-only/i, "read_only"],
  [/unable to open database file/i, "cannot_open"],
  [/disk is full/i, "disk_full"],
  [/disk I\/O error/i, "io_error"],
  [/database (table )?is locked|database is busy/i, "busy"],
];

/** Classifies a thrown SQLite error (see {@link SqliteTrouble}). */
export function sqliteTrouble(e: unknown): SqliteTrouble | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { errcode?: unknown }).errcode;
  if (typeof code === "number" && TROUBLE_BY_CODE[code & 0xff] !== undefined) {
    return TROUBLE_BY_CODE[code & 0xff];
  }
  return TROUBLE_BY_MESSAGE.find(([pattern]) => pattern.test(e.message))?.[1];
}

/** How to get going again with a damaged database file: move it aside, or restore a backup. */
export function restoreAdvice(path: string, app = "the program"): string {
  return `Stop ${app}, move ${path} (and ${path}-wal and ${path}-shm, if present) aside, ` +
    `e.g. into a folder named damaged/, and start ${app} again: it creates a new, empty ` +
    `database. Or copy a backup of ${path} taken while ${app} was stopped into its place first.`;
}

/** The problem a SQLite error while opening `path` means, worded by its kind. */
export function databaseProblem(
  path: string,
  e: unknown,
  naming: DatabaseNaming = {},
): DatabaseProblem {
  const app = naming.app ?? "the program";
  const setting = naming.setting ?? "DB_PATH";
  const sqlite = e instanceof Error ? e.message : String(e);
  const dir = path.includes("/") ? path.replace(/\/[^/]*$/, "") || "/" : ".";
  const beside = `SQLite also creates ${path}-wal and ${path}-shm beside it`;
  const [detail, hint]: [string, string] = (() => {
    switch (sqliteTrouble(e)) {
      case "corrupt":
        return [
          `points at ${path}, which is damaged (SQLite: ${sqlite})`,
          restoreAdvice(path, app),
        ];
      case "not_a_database":
        return [
          `points at ${path}, which is not a SQLite database (SQLite: ${sqlite})`,
          `If ${path} is the database of ${app}, it is damaged: ${restoreAdvice(path, app)} ` +
          `Otherwise set ${setting} to another file.`,
        ];
      case "read_only":
        return [
          `points at ${path}, which ${app} cannot write (SQLite: ${sqlite})`,
          `Make ${path} and its directory ${dir} writable by the user ${app} runs as ` +
          `(${beside}), or set ${setting} to a writable place.`,
        ];
      case "cannot_open":
        return [
          `points at ${path}, which SQLite cannot open (${sqlite})`,
          `${setting} must name a file, not a directory, in an existing directory (${dir}) that ` +
          `the user ${app} runs as may write: ${beside}.`,
        ];
      case "disk_full":
        return [`points at ${path}, whose disk is full (SQLite: ${sqlite})`, "Free disk space."];
      case "io_error":
        return [
          `points at ${path}, which could not be read or written (SQLite: ${sqlite})`,
          `Check the disk and the file system holding ${dir} (is it mounted read-only?).`,
        ];
      case "busy":
        return [
          `points at ${path}, which another process holds locked (SQLite: ${sqlite})`,
          "Stop the other process using it.",
        ];
      default:
        return [`points at ${path}, which could not be prepared: ${sqlite}`, ""];
    }
  })();
  return {
    setting,
    detail,
    message: `${setting} ${detail}`,
    ...(hint === "" ? {} : { hint }),
  };
}

/** A problem found without an error to classify (a schema from the future, a quick_check). */
function plainProblem(setting: string, detail: string, hint?: string): DatabaseProblem {
  return { setting, detail, message: `${setting} ${detail}`, ...(hint ? { hint } : {}) };
}

/**
 * Opens (creating if needed), checks and migrates the database. A database written by a newer
 * version of the app (higher user_version than known) is refused rather than misread; so is a
 * damaged one (`PRAGMA quick_check`: a flipped page that queries would only meet later) and
 * one the process cannot write. Every refusal is a {@link DatabaseProblem} saying what to do.
 *
 * @example
 * ```ts
 * import { openDatabase } from "@postbot/framework/sqlite";
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
): Result<DatabaseSync, DatabaseProblem> {
  const app = naming.app ?? "program";
  const setting = naming.setting ?? "DB_PATH";
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return err(plainProblem(
        setting,
        `points at ${path}, which is not covered by the granted permissions: ` +
          `add it to --allow-read and --allow-write`,
      ));
    }
    return err(databaseProblem(path, e, naming));
  }
  try {
    const refused = prepare(db, path, migrations, { app, setting });
    if (refused === undefined) return ok(db);
    db.close();
    return err(refused);
  } catch (e) {
    try {
      db.close();
    } catch {
      // Already closed.
    }
    return err(databaseProblem(path, e, naming));
  }
}

/** Settings, checks and migrations of a freshly opened database; a refusal, or undefined. */
function prepare(
  db: DatabaseSync,
  path: string,
  migrations: readonly Migration[],
  { app, setting }: Required<DatabaseNaming>,
): DatabaseProblem | undefined {
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
    return plainProblem(
      setting,
      `points at ${path}, which has schema version ${current}, newer than this ${app} ` +
        `understands (${latest}).`,
      `Run the newer ${app}, or point ${setting} at another file.`,
    );
  }
  // Every page of every table and index: damage must stop the start, not a user's request.
  const found = (db.prepare("PRAGMA quick_check(5)").all() as { quick_check: string }[])
    .map((r) => r.quick_check);
  if (found.join() !== "ok") {
    const what = found.join("\n").replace(/\*\*\* in database main \*\*\*\n?/, "").trim();
    return plainProblem(
      setting,
      `points at ${path}, which is damaged (SQLite's quick_check: ${
        what.split("\n").slice(0, 3).join("; ")
      })`,
      restoreAdvice(path, app),
    );
  }
  // A file the process may read but not write opens fine: find out now, not at the first DM.
  db.exec(`BEGIN IMMEDIATE; PRAGMA user_version = ${current}; COMMIT`);
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
  return undefined;
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
