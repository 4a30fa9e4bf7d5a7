/**
 * One postbot per database: two processes on one token would answer every DM twice and
 * deliver every broadcast twice. The lock is an OS file lock on the database file, released
 * when the process dies.
 *
 * @module
 */

import { err, fail, ok, type Problem, type Result } from "@postbot/framework";
import { fsProblem } from "./fs_problem.ts";
import { type SettingProblem, settingProblem } from "./setting_problem.ts";

/**
 * Opens `path` and takes an exclusive lock on it, or says why that is impossible: a
 * {@link SettingProblem} when DB_PATH names a place the bot cannot use, a plain problem when
 * another postbot holds the lock.
 */
export async function lockDatabase(
  path: string,
): Promise<Result<Deno.FsFile, Problem | SettingProblem>> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (e) {
    return err(settingProblem(fsProblem("DB_PATH", path, "file", e)));
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
