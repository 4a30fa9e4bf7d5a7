/**
 * Before anything starts: can the bot write where its settings point? A read-only data
 * directory, a file where a directory should be or a directory where a file should be would
 * otherwise surface as a stack trace from the first write (the log file, the database lock,
 * a scheduled broadcast's files). Each becomes a problem in the startup list (exit 2) naming
 * the setting and what to do. The database's own checks (damage, a read-only file SQLite
 * finds) come when it is opened (framework/sqlite.ts).
 *
 * Each check does what the bot will do anyway (create the log file, the scheduled files
 * directory, the database file) or leaves nothing behind (a probe file, removed at once).
 *
 * @module
 */

import type { ConfigProblem } from "@postbot/framework";
import type { PostbotConfig } from "../config.ts";
import { fsProblem } from "./fs_problem.ts";

/** What the checks found: problems stop the start, warnings are logged once it runs. */
export interface StorageCheck {
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly string[];
}

/** The places the configuration needs, checked; see the module's doc. */
export async function checkStorage(
  config: Pick<
    PostbotConfig,
    "logFile" | "dbPath" | "scheduledFilesDir" | "channelsTomlPath" | "database"
  >,
): Promise<StorageCheck> {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const attempt = async (found: () => Promise<ConfigProblem | undefined>) => {
    const problem = await found();
    if (problem !== undefined) problems.push(problem);
  };
  if (config.logFile !== "") await attempt(() => logFileProblem(config.logFile));
  if (config.database === undefined) {
    await attempt(() => databaseFileProblem(config.dbPath));
    await attempt(() => directoryProblem("SCHEDULED_FILES_DIR", config.scheduledFilesDir));
  } else if (config.database.caFile !== undefined) {
    // PostgreSQL holds the log and the scheduled files; only its CA file is read here.
    const caFile = config.database.caFile;
    await attempt(() => caFileProblem(caFile));
  }
  await attempt(() => channelsTomlProblem(config.channelsTomlPath));
  const tmp = await channelsTomlTmpProblem(config.channelsTomlPath);
  if (tmp !== undefined) warnings.push(tmp);
  return { problems, warnings };
}

/** LOG_FILE: its directory is created and the file opened for appending, as logging will. */
async function logFileProblem(path: string): Promise<ConfigProblem | undefined> {
  const dir = path.includes("/") ? path.replace(/\/[^/]*$/, "") || "/" : ".";
  try {
    if (dir !== "." && dir !== "/") await Deno.mkdir(dir, { recursive: true });
    (await Deno.open(path, { append: true, create: true })).close();
    return undefined;
  } catch (e) {
    return fsProblem("LOG_FILE", path, "file", e);
  }
}

/**
 * DB_PATH: a file (created empty when missing: an empty file is an empty database) that the
 * bot may read and write, as the database lock opens it.
 */
async function databaseFileProblem(path: string): Promise<ConfigProblem | undefined> {
  try {
    (await Deno.open(path, { read: true, write: true, create: true })).close();
    return undefined;
  } catch (e) {
    return fsProblem("DB_PATH", path, "file", e);
  }
}

/** DATABASE_URL's `sslrootcert`: a file the bot can read, as the TLS connection will. */
async function caFileProblem(path: string): Promise<ConfigProblem | undefined> {
  try {
    (await Deno.open(path, { read: true })).close();
    return undefined;
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "does not exist"
      : e instanceof Deno.errors.IsADirectory
      ? "is a directory"
      : e instanceof Deno.errors.PermissionDenied
      ? "may not be read by the user the bot runs as"
      : `cannot be read (${e instanceof Error ? e.message : String(e)})`;
    return {
      variable: "DATABASE_URL",
      message: `names the CA file ${path} (sslrootcert), which ${why}`,
      hint: "Point sslrootcert at the PEM file of the CA that signed the PostgreSQL server's " +
        "certificate, readable by the bot and inside its --allow-read.",
    };
  }
}

/** A directory the bot writes files into: created, then a probe file written and removed. */
async function directoryProblem(variable: string, dir: string): Promise<ConfigProblem | undefined> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir.replace(/\/+$/, "") || "/"}/.postbot-write-check-${Deno.pid}`;
    (await Deno.open(probe, { write: true, create: true, truncate: true })).close();
    await Deno.remove(probe);
    return undefined;
  } catch (e) {
    return fsProblem(variable, dir, "directory", e);
  }
}

/** CHANNELS_TOML_PATH: missing is allowed (warned later); otherwise a readable file. */
async function channelsTomlProblem(path: string): Promise<ConfigProblem | undefined> {
  try {
    const info = await Deno.stat(path);
    if (info.isDirectory) throw new Deno.errors.IsADirectory(`Is a directory: stat '${path}'`);
    (await Deno.open(path, { read: true })).close();
    return undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    return fsProblem("CHANNELS_TOML_PATH", path, "file", e);
  }
}

/**
 * `<channels.toml>.tmp`, through which every save replaces the file. Not writable is not a
 * reason to stop (a read-only channels.toml is a valid deployment), but `!add_group` and
 * `!add_alias` will fail, so the operator hears it at startup.
 */
async function channelsTomlTmpProblem(path: string): Promise<string | undefined> {
  const tmp = `${path}.tmp`;
  try {
    (await Deno.open(tmp, { write: true, createNew: true })).close();
    await Deno.remove(tmp);
    return undefined;
  } catch (e) {
    // A file left by a crash is reused; a directory in its way is not.
    if (e instanceof Deno.errors.AlreadyExists && !await isDirectory(tmp)) return undefined;
    const problem = fsProblem(
      "CHANNELS_TOML_PATH",
      tmp,
      "file",
      e instanceof Deno.errors.AlreadyExists ? new Deno.errors.IsADirectory("Is a directory") : e,
    );
    return `CHANNELS_TOML_PATH ${problem.message}: !add_group, !add_private_group and ` +
      `!add_alias cannot save until it can be written (${problem.hint})`;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isDirectory;
  } catch {
    return false;
  }
}
