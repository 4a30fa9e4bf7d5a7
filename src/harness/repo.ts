/**
 * Where the repository is, for the harness's files that run what the repository holds: the
 * start task of its deno.json (the bot process), the build script of the real server, and the
 * name of this checkout's run directory. The harness lives at src/harness/ in it.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** The repository root, without a trailing slash. */
export const REPO_ROOT = ROOT.pathname.replace(/\/$/, "");

/** Absolute path of a file in the repository. */
export function repoPath(relative: string): string {
  return new URL(relative, ROOT).pathname;
}
