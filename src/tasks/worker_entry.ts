/**
 * The code that runs inside a task's permission-scoped Worker: it imports the task file, builds an
 * authenticated `Client4` and calls `run(client, ctx)` (or, for discovery, reports what the
 * file exports), talking to the bot only through messages.
 *
 * Why the Worker starts from a `blob:` URL holding {@link workerMain}'s source rather than from
 * this file: Deno checks read permission on a Worker's `file:` entry module in the *parent*,
 * and on every local module it statically imports in the *worker*. The bot runs with
 * `--allow-read` limited to its data files, from any working directory, so a `file:` entry
 * would need a repository path in the start task's flags, and would force every task Worker to
 * read bot source files. A `blob:` entry needs neither; its only import is the npm client,
 * which Deno loads without any read permission. The same holds in a compiled binary.
 *
 * Consequence: {@link workerMain} must be self-contained: it may use its parameters, globals
 * and what it declares inside its own body, nothing else from this module, except the
 * functions whose source {@link workerSource} writes into the entry module (the helpers in
 * `WORKER_HELPERS`, which obey the same rule, and text.ts's `splitIntoPosts` with the
 * `runeLength` and `MAX_POST_RUNES` it uses).
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { Client4 } from "@postbot/framework";
import { MAX_POST_RUNES, runeLength, splitIntoPosts } from "@postbot/framework/text";

/** A thrown value, flattened so it can cross the Worker boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

/** Log levels a task can write at (LogTape's names). */
export type TaskLogLevel = "debug" | "info" | "warning" | "error";

/** A job for a task process: inspect a task file, or run it. */
export type TaskJob = Extract<ToWorker, { kind: "inspect" | "run" }>;

/**
 * Messages from the task host to its Worker. The job comes in `start`, with the
 * secret every answer must carry: it arrives before the task file is imported, so task code
 * (which can post messages of its own) never sees it and cannot forge a result.
 */
export type HostToWorker =
  | { readonly kind: "start"; readonly secret: string; readonly job: TaskJob }
  | { readonly kind: "abort"; readonly reason: string };

/** What the task's Worker posts: `ready` once it can take a job, then tagged messages. */
export type WorkerPost =
  | { readonly kind: "ready" }
  | { readonly kind: "tagged"; readonly secret: string; readonly message: FromWorker };

/** Jobs and control messages (the job part of {@link HostToWorker}). */
export type ToWorker =
  | { readonly kind: "inspect"; readonly taskUrl: string }
  | {
    readonly kind: "run";
    readonly taskUrl: string;
    readonly name: string;
    readonly serverUrl: string;
    /** The bot's token: sent by message, never through env, argv or files. */
    readonly token: string;
    readonly trigger: { readonly kind: "schedule" } | { readonly kind: "command"; by: string };
    readonly timeZone: string;
  }
  | { readonly kind: "abort"; readonly reason: string };

/** Messages from a task's Worker to the bot. */
export type FromWorker =
  | {
    readonly kind: "inspected";
    /** `typeof` the `run` export. */
    readonly runType: string;
    /** What DESCRIPTION is (`typeof`, or `null`): only a string is passed back. */
    readonly descriptionType: string;
    /** DESCRIPTION when it is a string. */
    readonly description?: string;
    /** PERMISSIONS with URLs turned into strings; unsupported values described. */
    readonly permissions: unknown;
  }
  | { readonly kind: "finished" }
  | { readonly kind: "failed"; readonly error: SerializedError }
  | {
    readonly kind: "log";
    readonly level: TaskLogLevel;
    readonly message: string;
    readonly properties?: Record<string, string | number | boolean | null>;
  };

/** What {@link workerMain} needs of `@mattermost/client`. */
export interface ClientModule {
  readonly Client4: new () => Client4;
}

/** What {@link workerMain} needs of the Worker's global scope. */
export interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** A task's logger and console, as messages to the bot. */
type SendLog = (
  level: TaskLogLevel,
  message: unknown,
  properties?: Record<string, unknown>,
) => void;

/**
 * The Worker's program. Self-contained (see the module doc): its source text becomes the
 * Worker's entry module, beside the helpers {@link WORKER_HELPERS} lists.
 */
export function workerMain(mm: ClientModule, scope: WorkerScope): void {
  const controller = new AbortController();
  let settled = false;
  let secret = "";

  // Taken before any task code runs: a task may replace scope.postMessage later on.
  const post = scope.postMessage.bind(scope);
  const send = (message: FromWorker) => post({ kind: "tagged", secret, message });
  const settle = (message: FromWorker) => {
    if (settled) return;
    settled = true;
    try {
      send(message);
    } catch (e) {
      // Something in it cannot be cloned: say so rather than leave the job to its timeout.
      const why = serializeError(e);
      send({
        kind: "failed",
        error: {
          name: "DataCloneError",
          message: `its result cannot be passed back to the bot: ${why.name}: ${why.message}`,
          stack: "",
        },
      });
    }
  };
  const sendLog: SendLog = (level, message, properties) =>
    send({
      kind: "log",
      level,
      message: workerText(message),
      properties: cloneableProperties(properties),
    });
  redirectConsole(sendLog);
  failOnStrayErrors(scope, settle);
  forbidExits(scope, settle);

  scope.onmessage = async (event: MessageEvent) => {
    const data = event.data as HostToWorker;
    if (data.kind === "abort") {
      controller.abort(new DOMException(data.reason, "AbortError"));
      return;
    }
    if (secret !== "") return;
    secret = data.secret;
    try {
      settle(await performJob(mm, data.job, sendLog, controller.signal));
    } catch (e) {
      settle({ kind: "failed", error: serializeError(e) });
    }
  };
}

/** Imports the task file, then reports what it exports (inspect) or calls its `run`. */
async function performJob(
  mm: ClientModule,
  job: TaskJob,
  sendLog: SendLog,
  signal: AbortSignal,
): Promise<FromWorker> {
  const module = await import(job.taskUrl) as Record<string, unknown>;
  if (job.kind === "inspect") {
    // Only a string crosses: a function, a symbol or a cyclic object could not be cloned.
    const description = module.DESCRIPTION;
    return {
      kind: "inspected",
      runType: typeof module.run,
      descriptionType: description === null ? "null" : typeof description,
      description: typeof description === "string" ? description : undefined,
      permissions: plainPermissions(module.PERMISSIONS, 0),
    };
  }
  if (typeof module.run !== "function") {
    throw new TypeError("the task file no longer exports a function named run");
  }
  const client = new mm.Client4();
  client.setUrl(job.serverUrl);
  client.setToken(job.token);
  client.setIncludeCookies(false);
  const log = (level: TaskLogLevel) => (message: string, properties?: Record<string, unknown>) =>
    sendLog(level, message, properties);
  const ctx = {
    name: job.name,
    trigger: job.trigger,
    timeZone: job.timeZone,
    log: { debug: log("debug"), info: log("info"), warn: log("warning"), error: log("error") },
    signal,
    post: async (channelId: string, text: string): Promise<Post[]> => {
      const posts: Post[] = [];
      for (const part of splitIntoPosts(text)) {
        posts.push(await client.createPost({ channel_id: channelId, message: part } as Post));
      }
      return posts;
    },
  };
  await (module.run as (c: Client4, x: typeof ctx) => Promise<void>)(client, ctx);
  return { kind: "finished" };
}

/** A thrown value as plain data; never throws itself. */
function serializeError(e: unknown): SerializedError {
  try {
    if (e instanceof Error) {
      return { name: String(e.name), message: String(e.message), stack: String(e.stack ?? "") };
    }
    return { name: "Error", message: typeof e === "string" ? e : Deno.inspect(e), stack: "" };
  } catch {
    // A thrown Proxy or an object whose getters throw.
    return { name: "Error", message: "the task threw a value that cannot be shown", stack: "" };
  }
}

/** A logged value as text. */
function workerText(value: unknown): string {
  return typeof value === "string" ? value : Deno.inspect(value, { colors: false, depth: 4 });
}

/** Log properties that survive `postMessage`: scalars as they are, the rest as text. */
function cloneableProperties(
  properties: Record<string, unknown> | undefined,
): Record<string, string | number | boolean | null> | undefined {
  if (properties === undefined) return undefined;
  const out: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(properties)) {
    out[key] = value === null || typeof value === "number" || typeof value === "boolean"
      ? value
      : workerText(value);
  }
  return out;
}

/** Console output goes to the bot's log (and through its token scrubber), not to its stdout. */
function redirectConsole(sendLog: SendLog): void {
  const consoleLevels: [keyof Console, TaskLogLevel][] = [
    ["log", "info"],
    ["info", "info"],
    ["debug", "debug"],
    ["trace", "debug"],
    ["warn", "warning"],
    ["error", "error"],
  ];
  for (const [method, level] of consoleLevels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      sendLog(level, args.map(workerText).join(" "));
  }
}

/**
 * An error the task did not catch (a stray promise, a timer) fails the run instead of
 * reaching Deno's top-level handler.
 */
function failOnStrayErrors(scope: WorkerScope, settle: (message: FromWorker) => void): void {
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    settle({ kind: "failed", error: serializeError((event as PromiseRejectionEvent).reason) });
  });
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    const e = event as ErrorEvent;
    settle({ kind: "failed", error: serializeError(e.error ?? e.message) });
  });
}

/**
 * Deno.exit and close() in a Worker end only the Worker, silently: make them fail the job
 * with a reason instead of leaving it to the timeout.
 */
function forbidExits(scope: WorkerScope, settle: (message: FromWorker) => void): void {
  const ended = (what: string) => {
    settle({
      kind: "failed",
      error: {
        name: "Error",
        message: `the task called ${what}; a task ends by returning from run (or by throwing)`,
        stack: "",
      },
    });
    throw new Error(`${what} is not available to tasks`);
  };
  (Deno as { exit: (code?: number) => never }).exit = (code?: number) =>
    ended(`Deno.exit(${code ?? ""})`);
  (scope as unknown as { close: () => void }).close = () => ended("close()");
}

/** PERMISSIONS as plain data: URLs become their href, anything odd is described. */
function plainPermissions(value: unknown, depth: number): unknown {
  if (value === undefined || value instanceof URL) {
    return value instanceof URL ? value.href : value;
  }
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return value;
  if (Array.isArray(value) && depth < 3) return value.map((v) => plainPermissions(v, depth + 1));
  if (typeof value === "object" && depth < 3) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map((
        [k, v],
      ) => [k, plainPermissions(v, depth + 1)]),
    );
  }
  return { unsupported: typeof value };
}

/**
 * The functions {@link workerMain} calls, written into the entry module as their source: like
 * it, each uses only its parameters, globals and the others listed here.
 */
const WORKER_HELPERS = [
  runeLength,
  splitIntoPosts,
  performJob,
  serializeError,
  workerText,
  cloneableProperties,
  redirectConsole,
  failOnStrayErrors,
  forbidExits,
  plainPermissions,
];

/**
 * The Worker entry module's source: the npm client import, the shared post splitter and the
 * other helpers, then {@link workerMain}.
 */
export function workerSource(): string {
  return [
    `import mm from "@mattermost/client";`,
    `const MAX_POST_RUNES = ${MAX_POST_RUNES};`,
    ...WORKER_HELPERS.map((helper) => helper.toString()),
    `(${workerMain.toString()})(mm, self);`,
    `self.postMessage({ kind: "ready" });`,
    "",
  ].join("\n");
}

let entryUrl: string | undefined;

/** A `blob:` URL of the entry module, created once per process. */
export function workerEntryUrl(): string {
  entryUrl ??= URL.createObjectURL(
    new Blob([workerSource()], { type: "application/javascript" }),
  );
  return entryUrl;
}
