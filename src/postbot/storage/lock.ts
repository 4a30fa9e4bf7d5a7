/**
 * One postbot per database: two processes on one token would answer every DM twice and
 * deliver every broadcast twice. The lock is an OS file lock on the database file, released
 * when the process dies.
 *
 * @module
 */

import { fail, ok, type Problem, type Result } from "@postbot/framework";

/** Opens `path` and takes an exclusive lock on it, or says why that is impossible. */
export async function lockDatabase(path: string): Promise<Result<Deno.FsFile, Problem>> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return fail(
        `DB_PATH=${path} is outside the granted permissions: add it to --allow-read and ` +
          `--allow-write (or set DB_PATH inside the bot's data directory).`,
      );
    }
    return fail(`DB_PATH=${path} cannot be opened: ${(e as Error).message}`);
  }
  if (!await file.tryLock(true)) {
    file.close();
    return fail(
      `Another postbot is already running on DB_PATH=${path}. Two bots on one database ` +
        "would answer every message and deliver every broadcast twice; stop the other one first.",
    );
  }
  return ok(file);
}
