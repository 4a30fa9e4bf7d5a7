/**
 * A file-system error as the operator should read it: what is wrong with the place a setting
 * names, and what to do, instead of a stack trace. One wording for every place the bot writes
 * (database, log file, scheduled files, channels.toml), so a read-only data directory reads
 * the same wherever it shows.
 *
 * @module
 */

import type { ConfigProblem } from "@postbot/framework";

/** What the setting names: a file the bot writes, or a directory it writes into. */
export type PlaceKind = "file" | "directory";

/** The error's cause in words and the fix, for a place of `kind` that `variable` names. */
export function fsProblem(
  variable: string,
  path: string,
  kind: PlaceKind,
  e: unknown,
): ConfigProblem {
  const code = (e as { code?: unknown }).code;
  const os = e instanceof Error ? e.message.replace(/:\s*\w+ '[^']*'$/, "") : String(e);
  const elsewhere = `or set ${variable} to another place`;
  const [what, fix]: [string, string] = (() => {
    if (e instanceof Deno.errors.NotCapable) {
      return ["is outside the granted permissions", `add it to --allow-read and --allow-write`];
    }
    if (e instanceof Deno.errors.IsADirectory) {
      return ["is a directory", `${variable} must name a file: remove the directory, ${elsewhere}`];
    }
    if (e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.AlreadyExists) {
      return [
        "has a file where a directory should be",
        `remove or rename the file in its way, ${elsewhere}`,
      ];
    }
    if (e instanceof Deno.errors.NotFound) {
      return ["is in a directory that does not exist", `create the directory, ${elsewhere}`];
    }
    if (code === "EROFS") {
      return [
        "is on a read-only file system",
        `mount the bot's data directory writable, ${elsewhere}`,
      ];
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      return [
        "may not be written by the user the bot runs as",
        `give that user write access to the ${
          kind === "file" ? "file and its directory" : "directory"
        }, ${elsewhere}`,
      ];
    }
    return ["could not be used", elsewhere];
  })();
  return {
    variable,
    message: `points at ${path}, which ${what} (${os})`,
    hint: fix.charAt(0).toUpperCase() + fix.slice(1) + ".",
  };
}
