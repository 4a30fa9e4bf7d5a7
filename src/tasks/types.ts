/**
 * The contract between postbot and a task plugin, in one module so a task author gets
 * type-checking with a single type-only import:
 *
 * ```ts ignore
 * import type { Client4, TaskContext } from "../src/tasks/types.ts";
 *
 * export const DESCRIPTION = "Says hello every morning";
 * export async function run(client: Client4, ctx: TaskContext): Promise<void> {
 *   await ctx.post("<channel id>", "Good morning!");
 * }
 * ```
 *
 * Import it with `import type` only: a task runs in a Worker that may read nothing but its
 * own file, so a runtime import of a bot module would be refused. Type imports are erased
 * before the task runs.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { Client4 } from "@postbot/framework";

export type { Client4, Post };

/** Where a task's log lines go: the bot's log, under the category `postbot.task.<name>`. */
export interface TaskLogger {
  debug(message: string, properties?: Record<string, unknown>): void;
  info(message: string, properties?: Record<string, unknown>): void;
  warn(message: string, properties?: Record<string, unknown>): void;
  error(message: string, properties?: Record<string, unknown>): void;
}

/** What started a run: the schedule in scheduler.toml, or `!run` sent by a user. */
export type TaskTrigger =
  | { readonly kind: "schedule" }
  | { readonly kind: "command"; readonly by: string };

/** Everything a run gets besides the client. */
export interface TaskContext {
  /** The task's name: its file name without extension. */
  readonly name: string;
  /** Why this run happens. */
  readonly trigger: TaskTrigger;
  /** The scheduler's IANA timezone (schedules are in it), e.g. for "today" in local time. */
  readonly timeZone: string;
  /** Logs into the bot's log (console.log in a task goes there too). */
  readonly log: TaskLogger;
  /**
   * Aborted when the run must stop: its TASK_TIMEOUT_SECONDS is over or the bot is shutting
   * down. Pass it to `fetch` and check it in loops; a run that ignores it is ended anyway a
   * few seconds later.
   */
  readonly signal: AbortSignal;
  /**
   * Posts a message as the bot to a channel (by id), split into several posts when it is
   * longer than Mattermost allows. Returns the created posts.
   */
  post(channelId: string, message: string): Promise<Post[]>;
}

/** A list of paths (strings or `file:` URLs), `true` for all, `false` for none. */
export type PathPermission = boolean | ReadonlyArray<string | URL>;
/** A list of names (hosts, variables, interfaces), `true` for all, `false` for none. */
export type NamePermission = boolean | readonly string[];

/**
 * Extra Deno permissions a task asks for with `export const PERMISSIONS = { ... }`. Every run
 * may already reach the Mattermost server and read its own file; this adds to that, and is
 * granted only as far as the bot itself holds the permission (what is not is shown by
 * `!tasks`). Relative paths are relative to the bot's working directory, like Deno's own
 * flags; `new URL("./file.md", import.meta.url)` names a file beside the task. Never the bot's
 * secrets: a task asking for `TOKEN`, `.env`, `/proc` or anything holding them is not loaded.
 */
export interface TaskPermissions {
  readonly read?: PathPermission;
  readonly write?: PathPermission;
  readonly net?: NamePermission;
  readonly env?: NamePermission;
  readonly sys?: NamePermission;
  readonly run?: PathPermission;
  readonly ffi?: PathPermission;
  readonly import?: NamePermission;
}

/** The entry point every task exports. */
export type TaskRun = (client: Client4, ctx: TaskContext) => Promise<void>;

/** The shape of a task file's exports. */
export interface TaskModule {
  /** Required: does the work. A thrown error marks the run as failed. */
  readonly run: TaskRun;
  /** Optional: one line for `!tasks`. */
  readonly DESCRIPTION?: string;
  /** Optional: extra Deno permissions; see {@link TaskPermissions}. */
  readonly PERMISSIONS?: TaskPermissions;
}
