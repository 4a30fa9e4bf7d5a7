/**
 * One task host process, one job: starts `postbot --task-host` (host.ts) with the task's
 * permissions and memory cap, hands it the job and a fresh nonce on stdin, reads its reports,
 * and ends it — when it reports a result, when its time is up (abort, grace, then SIGKILL),
 * or when the bot shuts down. The caller gets an outcome once the process is gone, never an
 * exception: whatever the task does (spin, exhaust memory, exit, print fake reports), the bot
 * keeps its CPU and memory.
 *
 * Only lines carrying the nonce count as reports; anything else the process prints is the
 * task's output, passed on as log lines (a bounded number, each bounded in length).
 *
 * @module
 */

import { hostCommand, SELF_EXECUTABLE } from "./host_command.ts";
import { decodeReport, type HostReport, MAX_LINE_BYTES, newNonce } from "./host_protocol.ts";
import { LineSplitter } from "./lines.ts";
import type { FromWorker, SandboxJob, SerializedError, TaskLogLevel } from "./worker_entry.ts";

/** How a sandboxed job ended. */
export type SandboxOutcome =
  | { readonly kind: "inspected"; readonly report: Extract<FromWorker, { kind: "inspected" }> }
  | { readonly kind: "finished" }
  | { readonly kind: "failed"; readonly error: SerializedError }
  | { readonly kind: "timeout" }
  | { readonly kind: "interrupted" }
  /** It used more memory than TASK_MEMORY_MB allows. */
  | { readonly kind: "memory"; readonly limitMb: number }
  /** The process ended without a result; `detail` says how. */
  | { readonly kind: "crashed"; readonly detail: string };

/** A log line written by a task (its own log calls, or raw output marked as such). */
export type LogSink = (
  level: TaskLogLevel,
  message: string,
  properties: Record<string, unknown> | undefined,
) => void;

/** What {@link runInSandbox} needs. */
export interface SandboxOptions {
  /** Shown in Deno's own diagnostics. */
  readonly name: string;
  readonly permissions: Deno.PermissionOptionsObject;
  /** TASK_MEMORY_MB. */
  readonly memoryMb: number;
  /** The job ends as `timeout` after this long. */
  readonly timeoutMs: number;
  /** After a timeout or shutdown, how long the task may react to its signal before it is killed. */
  readonly graceMs: number;
  /** Aborted when the bot shuts down: the job ends as `interrupted`. */
  readonly signal?: AbortSignal;
  readonly onLog?: LogSink;
}

/** Log lines one job may write; later ones are dropped (with one line saying so). */
const MAX_LOG_LINES = 1_000;
/** After a result, how long the host gets to exit by itself before it is killed. */
const EXIT_GRACE_MS = 2_000;
/** After the process ended, how long its last output may take to arrive. */
const DRAIN_MS = 1_000;

/** Runs one job in a fresh task host process and resolves with its outcome. */
// deno-lint-ignore postbot/max-function-lines
export async function runInSandbox(
  job: SandboxJob,
  options: SandboxOptions,
): Promise<SandboxOutcome> {
  const nonce = newNonce();
  const command = hostCommand({ permissions: options.permissions, memoryMb: options.memoryMb });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(command.program, {
      args: command.args,
      env: command.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    const denied = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied;
    return {
      kind: "failed",
      error: {
        name: "Error",
        message: denied
          ? `the bot may not start task processes: grant it --allow-run=${SELF_EXECUTABLE}`
          : `the task process could not be started: ${stripAnsi(String(e))}`,
        stack: "",
      },
    };
  }

  let result: HostReport | undefined;
  let stopping: SandboxOutcome | undefined;
  let logLines = 0;
  const stderrTail: string[] = [];
  const log = (level: TaskLogLevel, message: string, properties?: Record<string, unknown>) => {
    logLines++;
    if (logLines < MAX_LOG_LINES) options.onLog?.(level, message, properties);
    else if (logLines === MAX_LOG_LINES) {
      options.onLog?.("warning", `more than ${MAX_LOG_LINES} log lines; the rest is dropped`, {});
    }
  };
  const resultSeen = Promise.withResolvers<void>();
  const onStdout = (line: string) => {
    const report = decodeReport(line, nonce);
    if (report === undefined) {
      if (line !== "") log("info", `(stdout) ${line}`);
      return;
    }
    if (report.kind === "log") {
      log(report.level, String(report.message), report.properties);
    } else if (result === undefined) {
      result = report;
      resultSeen.resolve();
    }
  };
  const onStderr = (line: string) => {
    if (line === "") return;
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    log("warning", `(stderr) ${line}`);
  };
  const pumps = Promise.all([
    pump(child.stdout, onStdout),
    pump(child.stderr, onStderr),
  ]);

  const stdin = child.stdin.getWriter();
  const send = (line: string) => stdin.write(new TextEncoder().encode(line)).catch(() => {});
  void send(
    JSON.stringify({
      nonce,
      memoryMb: options.memoryMb,
      permissions: options.permissions,
      name: options.name,
      job,
    }) + "\n",
  );

  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (outcome: SandboxOutcome, reason: string) => {
    if (stopping !== undefined || result !== undefined) return;
    stopping = outcome;
    void send(JSON.stringify({ kind: "abort", reason }) + "\n");
    graceTimer = setTimeout(kill, options.graceMs);
  };
  const onShutdown = () => stop({ kind: "interrupted" }, "the bot is shutting down");
  const timer = setTimeout(
    () => stop({ kind: "timeout" }, `the run took longer than ${options.timeoutMs / 1000} s`),
    options.timeoutMs,
  );
  if (options.signal?.aborted) onShutdown();
  else options.signal?.addEventListener("abort", onShutdown, { once: true });

  // A result: the host exits by itself; make sure it does.
  let exitTimer: ReturnType<typeof setTimeout> | undefined;
  let exited = false;
  void resultSeen.promise.then(() => {
    if (!exited) exitTimer = setTimeout(kill, EXIT_GRACE_MS);
  });

  const status = await child.status;
  exited = true;
  clearTimeout(timer);
  clearTimeout(graceTimer);
  clearTimeout(exitTimer);
  options.signal?.removeEventListener("abort", onShutdown);
  void stdin.close().catch(() => {});
  // The last reports may still be in the pipe; a grandchild holding it open is not waited for.
  await Promise.race([pumps, new Promise((resolve) => setTimeout(resolve, DRAIN_MS))]);

  if (stopping !== undefined) return stopping;
  return outcomeOf(result, status, stderrTail, options.memoryMb);
}

function outcomeOf(
  result: HostReport | undefined,
  status: Deno.CommandStatus,
  stderrTail: readonly string[],
  memoryMb: number,
): SandboxOutcome {
  switch (result?.kind) {
    case "inspected":
      return { kind: "inspected", report: result };
    case "finished":
      return { kind: "finished" };
    case "failed":
      return { kind: "failed", error: result.error };
    case "memory":
      return { kind: "memory", limitMb: memoryMb };
    case "log":
    case undefined:
      break;
  }
  const tail = stripAnsi(stderrTail.join("\n"));
  // V8 aborts the process (SIGTRAP, exit 133) when a heap reaches its limit.
  if (status.signal === "SIGTRAP" || status.code === 133 || /out of memory/i.test(tail)) {
    return { kind: "memory", limitMb: memoryMb };
  }
  const how = status.signal !== null ? `killed by ${status.signal}` : `exit code ${status.code}`;
  const last = tail.split("\n").map((l) => l.trim()).filter((l) => l !== "").at(-1);
  return {
    kind: "crashed",
    detail: last === undefined ? how : `${how}: ${last.slice(0, 300)}`,
  };
}

async function pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  try {
    for await (const chunk of stream) splitter.push(chunk).forEach(onLine);
  } catch {
    // The pipe broke: the process is gone.
  }
  splitter.end().forEach(onLine);
}

/** Removes terminal colour codes, which Deno puts into some error messages. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}
