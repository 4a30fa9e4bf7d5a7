/**
 * Startup check that the process may do what the configuration asks, before anything runs.
 * Two rules, both derived from the declaration (env_declaration.ts):
 *
 * - **Every declared variable must be granted** (`--allow-env`). Deno cannot tell whether a
 *   variable it may not read is set (asking is the denied read), so a missing grant would
 *   otherwise turn a set value into its default without a word. The rule is therefore on
 *   the grant, not on the value: an ungranted variable is a configuration problem naming
 *   the flag, whether or not it is set.
 * - **Every configured path must be inside the granted `--allow-read`/`--allow-write`** for
 *   the access its declaration states, so a narrowed grant fails at startup naming the flag
 *   instead of on the first `!add_group`.
 *
 * @module
 */

import type { Access, Declaration, PathUse } from "./env_declaration.ts";
import type { ConfigProblem } from "./env_reader.ts";

/** A file access the configuration needs: which variable asked for it, where, and how. */
export interface PathNeed {
  readonly variable: string;
  readonly path: string;
  readonly access: Access;
}

/** The directory of a path as written (`logs/bot.log` -> `logs`, `bot.log` -> `.`). */
export function directoryOf(path: string): string {
  return path.includes("/") ? path.replace(/\/[^/]*$/, "") || "/" : ".";
}

/** What one declared use means for a configured path. */
export function resolveUse(use: PathUse, path: string): { access: Access; path: string } {
  const [access, target] = use.split(" ", 2) as [Access, string | undefined];
  if (target === undefined) return { access, path };
  if (target === "directory") return { access, path: directoryOf(path) };
  return { access, path: path + target.slice(1) };
}

/**
 * The file accesses of the configured `values` (keyed like the declaration). A blank path is
 * a switched-off feature (`LOG_FILE=`) and needs nothing.
 */
export function pathNeeds<D extends Declaration>(
  declaration: D,
  values: { readonly [K in keyof D]: unknown },
): PathNeed[] {
  const needs: PathNeed[] = [];
  for (const [key, variable] of Object.entries(declaration)) {
    const value = (values as Record<string, unknown>)[key];
    if (typeof value !== "string" || value === "") continue;
    for (const use of variable.paths) {
      needs.push({ variable: variable.name, ...resolveUse(use, value) });
    }
  }
  return needs;
}

/** Every need the granted permissions do not cover, with the flag to change. */
export async function deniedPaths(needs: readonly PathNeed[]): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const need of needs) {
    const status = await Deno.permissions.query({ name: need.access, path: need.path });
    if (status.state !== "granted") {
      problems.push({
        variable: need.variable,
        message: `points at ${need.path}, which the bot may not ${need.access}: add it to ` +
          `--allow-${need.access} in the start task (or the compile task), or move it inside ` +
          "the granted directory",
      });
    }
  }
  return problems;
}

/** A problem when the process may not connect to the server's host. */
export async function deniedHost(serverUrl: string): Promise<ConfigProblem[]> {
  if (serverUrl === "") return [];
  const host = new URL(serverUrl).host;
  const status = await Deno.permissions.query({ name: "net", host });
  if (status.state === "granted") return [];
  return [{
    variable: "URL",
    message: `points at ${host}, which the bot may not connect to: add it to --allow-net`,
  }];
}

/** One problem per declared variable the process may not read, naming the flag. */
export function ungrantedVariables(names: readonly string[]): ConfigProblem[] {
  return names
    .filter((variable) => Deno.permissions.querySync({ name: "env", variable }).state !== "granted")
    .map((variable) => ({
      variable,
      message: "cannot be read: the process was not granted it, so a value set in the " +
        `environment would be ignored. Add it to --allow-env (--allow-env=${variable},\u2026); ` +
        "`deno task start` and the compiled binary grant every variable",
    }));
}
