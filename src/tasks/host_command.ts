/**
 * The command line of a task host process. Two cases, decided by how the bot itself runs:
 *
 * - `deno run` (`deno task start`): the host is `deno run <flags> main.ts --task-host`, with
 *   exactly the task's permissions as flags and the V8 heap capped with `--v8-flags`.
 * - the compiled binary: there is no `deno run`, so the binary re-runs itself in task-host
 *   mode (`postbot --task-host`); its permissions are the ones compiled in, the task code stays
 *   inside the permission-scoped Worker, and the heap cap is passed as `DENO_V8_FLAGS`.
 *
 * Either way the program is `/proc/self/exe`: the bot's own executable, whatever its path, so
 * the bot needs `--allow-run` for exactly that and nothing else.
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { TASK_HOST_FLAG } from "./host_protocol.ts";

/** The bot's own executable, as it runs itself (Linux). */
export const SELF_EXECUTABLE = "/proc/self/exe";

/** How to start one task host. */
export interface HostCommand {
  readonly program: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

/** What {@link hostCommand} needs; the defaults describe this process. */
export interface HostCommandOptions {
  readonly permissions: Deno.PermissionOptionsObject;
  readonly memoryMb: number;
  /** A compiled binary (default: `Deno.build.standalone`). */
  readonly standalone?: boolean;
}

const MAIN_MODULE = new URL("../../main.ts", import.meta.url);
const CONFIG_FILE = new URL("../../deno.json", import.meta.url);

/** The command that starts a task host for a job with these permissions. */
export function hostCommand(options: HostCommandOptions): HostCommand {
  // The host's resident-memory watch ends a job at TASK_MEMORY_MB, quickly and the same way in
  // both cases. The heap limit is only the backstop: at the limit itself V8 can spend seconds
  // collecting garbage before it gives up, so it is set well above.
  const heap = `--max-old-space-size=${heapLimitMb(options.memoryMb)}`;
  if (options.standalone ?? Deno.build.standalone) {
    return {
      program: SELF_EXECUTABLE,
      args: [TASK_HOST_FLAG],
      env: { DENO_V8_FLAGS: heap, NO_COLOR: "1" },
    };
  }
  return {
    program: SELF_EXECUTABLE,
    args: [
      "run",
      "--quiet",
      "--no-prompt",
      "--config",
      fromFileUrl(CONFIG_FILE),
      "--unstable-worker-options",
      `--v8-flags=${heap}`,
      ...permissionFlags(options.permissions),
      fromFileUrl(MAIN_MODULE),
      TASK_HOST_FLAG,
    ],
    env: { NO_COLOR: "1" },
  };
}

/** The V8 heap limit of a task process with this TASK_MEMORY_MB. */
export function heapLimitMb(memoryMb: number): number {
  return memoryMb * 2 + 32;
}

const KINDS = ["read", "write", "net", "env", "sys", "run", "ffi", "import"] as const;

/** `--allow-...` flags granting exactly `permissions` (lists, `true` for all, else nothing). */
export function permissionFlags(permissions: Deno.PermissionOptionsObject): string[] {
  const flags: string[] = [];
  for (const kind of KINDS) {
    const value = permissions[kind];
    if (value === true) {
      flags.push(`--allow-${kind}`);
    } else if (Array.isArray(value) && value.length > 0) {
      const items = value.map((v) => v instanceof URL ? fromFileUrl(v) : String(v));
      flags.push(`--allow-${kind}=${items.join(",")}`);
    }
  }
  return flags;
}
