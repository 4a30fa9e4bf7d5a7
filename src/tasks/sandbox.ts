/**
 * One Worker, one job: starts a sandbox with the given Deno permissions, sends it one
 * request (inspect a task file, or run it), relays its log lines, and ends it — when it
 * answers, when its time is up, or when the bot shuts down. Whatever the task does, the
 * Worker is terminated afterwards and the caller gets an outcome, never an exception.
 *
 * @module
 */

import {
  type FromWorker,
  type SerializedError,
  type TaskLogLevel,
  type ToWorker,
  workerEntryUrl,
} from "./worker_entry.ts";

/** How a sandboxed job ended. */
export type SandboxOutcome =
  | { readonly kind: "inspected"; readonly report: Extract<FromWorker, { kind: "inspected" }> }
  | { readonly kind: "finished" }
  | { readonly kind: "failed"; readonly error: SerializedError }
  | { readonly kind: "timeout" }
  | { readonly kind: "interrupted" };

/** A log line written by a task. */
export type LogSink = (
  level: TaskLogLevel,
  message: string,
  properties: Record<string, unknown> | undefined,
) => void;

/** What {@link runInSandbox} needs. */
export interface SandboxOptions {
  /** Worker name, shown in Deno's own diagnostics. */
  readonly name: string;
  readonly permissions: Deno.PermissionOptionsObject;
  /** The job ends as `timeout` after this long. */
  readonly timeoutMs: number;
  /** After a timeout or shutdown, how long the task may react to its signal before it is ended. */
  readonly graceMs: number;
  /** Aborted when the bot shuts down: the job ends as `interrupted`. */
  readonly signal?: AbortSignal;
  readonly onLog?: LogSink;
}

/** Runs one request in a fresh sandbox Worker and resolves with its outcome. */
export function runInSandbox(
  request: Extract<ToWorker, { kind: "inspect" | "run" }>,
  options: SandboxOptions,
): Promise<SandboxOutcome> {
  let worker: Worker;
  try {
    worker = new Worker(workerEntryUrl(), {
      type: "module",
      name: options.name,
      deno: { permissions: options.permissions },
    });
  } catch (e) {
    return Promise.resolve({ kind: "failed", error: serializeHere(e) });
  }
  return new Promise<SandboxOutcome>((resolve) => {
    let done = false;
    let stopping: SandboxOutcome | undefined;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (outcome: SandboxOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      options.signal?.removeEventListener("abort", onShutdown);
      worker.terminate();
      resolve(stopping ?? outcome);
    };
    const stop = (outcome: SandboxOutcome, reason: string) => {
      if (done || stopping !== undefined) return;
      stopping = outcome;
      try {
        worker.postMessage({ kind: "abort", reason } satisfies ToWorker);
      } catch {
        // The worker is already gone.
      }
      graceTimer = setTimeout(() => finish(outcome), options.graceMs);
    };
    const onShutdown = () => stop({ kind: "interrupted" }, "the bot is shutting down");
    const timer = setTimeout(
      () => stop({ kind: "timeout" }, `the run took longer than ${options.timeoutMs / 1000} s`),
      options.timeoutMs,
    );

    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      switch (message.kind) {
        case "log":
          options.onLog?.(message.level, message.message, message.properties);
          return;
        case "inspected":
          finish({ kind: "inspected", report: message });
          return;
        case "finished":
          finish({ kind: "finished" });
          return;
        case "failed":
          finish({ kind: "failed", error: message.error });
          return;
      }
    };
    worker.onerror = (event: ErrorEvent) => {
      // Without preventDefault an error in a Worker would end the whole bot.
      event.preventDefault();
      finish({
        kind: "failed",
        error: { name: "Error", message: stripAnsi(event.message), stack: "" },
      });
    };
    worker.onmessageerror = () => {
      finish({
        kind: "failed",
        error: {
          name: "DataCloneError",
          message: "the task sent an unreadable message",
          stack: "",
        },
      });
    };

    if (options.signal?.aborted) {
      onShutdown();
    } else {
      options.signal?.addEventListener("abort", onShutdown, { once: true });
    }
    worker.postMessage(request);
  });
}

/** Removes terminal colour codes, which Deno puts into some error messages. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

function serializeHere(e: unknown): SerializedError {
  return e instanceof Error
    ? { name: e.name, message: stripAnsi(e.message), stack: stripAnsi(e.stack ?? "") }
    : { name: "Error", message: String(e), stack: "" };
}
