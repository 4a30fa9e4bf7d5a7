/**
 * Where the local Mattermost test server lives: the binary cache (shared by every checkout on
 * the machine), and the run directory of this checkout (PostgreSQL cluster, server data, logs,
 * and the JSON files that say where everything is).
 *
 * @module
 */

import { REPO_ROOT } from "./repo.ts";

/** The Mattermost version the build script pins. */
export const MM_VERSION = "11.4.0";

/** The build script (`scripts/mattermost/build.sh`, a command of its own too). */
export const BUILD_SCRIPT = `${REPO_ROOT}/scripts/mattermost/build.sh`;

/** FNV-1a of a string, as 8 hex digits: a short stable name for this checkout. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/**
 * The run directory: POSTBOT_MM_DIR, else one per checkout under the temp directory. Outside
 * the checkout because the `postgres` user must be able to reach the cluster directory, and a
 * checkout may sit under a directory only root can enter.
 */
export function runDir(): string {
  const explicit = Deno.env.get("POSTBOT_MM_DIR");
  if (explicit) return explicit;
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  return `${tmp}/postbot-mattermost-${shortHash(REPO_ROOT)}`;
}

/** The file that says where the running server is (written by `start`, removed by `stop`). */
export function serverFile(): string {
  return `${runDir()}/server.json`;
}

/** The file with the provisioned accounts and their tokens. */
export function worldFile(): string {
  return `${runDir()}/world.json`;
}
