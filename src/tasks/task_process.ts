/**
 * One task host process, one job: starts `postbot --task-host` (host.ts) with the task's
 * permissions and memory cap and an empty environment (plus what it is given), hands it the job and a fresh nonce on stdin, reads its reports,
 * and ends it -- when it reports a result, when its time is up (abort, grace, then SIGKILL),
 * or when the bot shuts down. The caller gets an outcome once the process is gone, never an
 * exception: whatever the task does (spin, exhaust memory, exit, print fake reports), the bot
 * keeps its CPU and memory.
 *
 * Only lines carrying the nonce count as reports; anything else the process prints is the
 * task's output, passed on as log lines (a bounded number, each bounded in length).
 *
 * @module
 */

import { describeDuration, MEASURED } from "@postbot/framework/duration";
import { hostCommand, SELF_EXECUTABLE } from "./host_command.ts";
import { decodeReport, type HostReport, MAX_LINE_BYTES, newNonce } from "./host_protocol.ts";
import { LineSplitter } from "./lines.ts";
import type { FromWorker, SerializedError, TaskJob, TaskLogLevel } from "./worker_entry.ts";

/** How a job in a task process ended. */
export type TaskProcessOutcome =
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

/** What {@link runInTaskProcess} needs. */
export interface TaskProcessOptions {
  /** Shown in Deno's own diagnostics. */
  readonly name: string;
  readonly permissions: Deno.PermissionOptionsObject;
  /**
   * The process's whole environment besides what the host command needs: it starts with an
   * empty one, so nothing of the bot's (its token above all) is in the task's process.
   */
  readonly env?: Readonly<Record<string, string>>;
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
export async function runInTaskProcess(
  job: TaskJob,
  options: TaskProcessOptions,
): Promise<TaskProcessOutcome> {
  const nonce = newNonce();
  const child = spawnHost(options);
  if (!(child instanceof Deno.ChildProcess)) return child;
  const output = new HostOutput(nonce, options.onLog);
  const pumps = Promise.all([
    pump(child.stdout, (line) => output.stdout(line)),
    pump(child.stderr, (line) => output.stderr(line)),
  ]);
  const stdin = new HostInput(child.stdin);
  stdin.send({
    nonce,
    memoryMb: options.memoryMb,
    permissions: options.permissions,
    name: options.name,
    job,
  });
  const watch = new JobWatch(child, stdin, output, options);
  let status: Deno.CommandStatus;
  {
    using _ = watch;
    status = await child.status;
  }
  stdin.close();
  // The last reports may still be in the pipe; a grandchild holding it open is not waited for.
  await Promise.race([pumps, new Promise((resolve) => setTimeout(resolve, DRAIN_MS))]);
  return watch.stopping ??
    outcomeOf(output.result, status, output.stderrTail, options.memoryMb);
}

/** Starts the task host process, or says why it could not be started. */
function spawnHost(options: TaskProcessOptions): Deno.ChildProcess | TaskProcessOutcome {
  const command = hostCommand({ permissions: options.permissions, memoryMb: options.memoryMb });
  try {
    return new Deno.Command(command.program, {
      args: command.args,
      // Never the bot's environment: /proc/<pid>/environ of a task process holds only this.
      clearEnv: true,
      env: { ...options.env, ...command.env },
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
}

/** The host's stdin: one JSON line per message; a closed pipe is ignored (the host is gone). */
class HostInput {
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;

  constructor(stdin: WritableStream<Uint8Array>) {
    this.#writer = stdin.getWriter();
  }

  send(message: unknown): void {
    void this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"))
      .catch(() => {});
  }

  close(): void {
    void this.#writer.close().catch(() => {});
  }
}

/**
 * What the host prints: nonce-carrying lines are reports (the first result wins), anything
 * else is the task's output, passed on as bounded log lines; stderr's tail is kept for the
 * crash detail.
 */
class HostOutput {
  result: HostReport | undefined;
  readonly stderrTail: string[] = [];
  readonly #resultSeen = Promise.withResolvers<void>();
  readonly #nonce: string;
  readonly #onLog: LogSink | undefined;
  #logLines = 0;

  constructor(nonce: string, onLog: LogSink | undefined) {
    this.#nonce = nonce;
    this.#onLog = onLog;
  }

  /** Resolves when a result arrives. */
  get resultSeen(): Promise<void> {
    return this.#resultSeen.promise;
  }

  stdout(line: string): void {
    const report = decodeReport(line, this.#nonce);
    if (report === undefined) {
      if (line !== "") this.#log("info", `(stdout) ${line}`);
      return;
    }
    if (report.kind === "log") {
      this.#log(report.level, String(report.message), report.properties);
    } else if (this.result === undefined) {
      this.result = report;
      this.#resultSeen.resolve();
    }
  }

  stderr(line: string): void {
    if (line === "") return;
    this.stderrTail.push(line);
    if (this.stderrTail.length > 20) this.stderrTail.shift();
    this.#log("warning", `(stderr) ${line}`);
  }

  #log(level: TaskLogLevel, message: string, properties?: Record<string, unknown>): void {
    this.#logLines++;
    if (this.#logLines < MAX_LOG_LINES) this.#onLog?.(level, message, properties);
    else if (this.#logLines === MAX_LOG_LINES) {
      this.#onLog?.("warning", `more than ${MAX_LOG_LINES} log lines; the rest is dropped`, {});
    }
  }
}

/**
 * Ends the host when it must: at the timeout or the bot's shutdown (abort, grace, then
 * SIGKILL), and shortly after a result if it does not exit by itself. Disposed once the
 * process has exited: every timer and listener is released.
 */
class JobWatch implements Disposable {
  /** Set when the job was stopped (timeout or shutdown): that is its outcome. */
  stopping: TaskProcessOutcome | undefined;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: HostInput;
  readonly #output: HostOutput;
  readonly #options: TaskProcessOptions;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #onShutdown = () => this.#stop({ kind: "interrupted" }, "the bot is shutting down");
  #exited = false;

  constructor(
    child: Deno.ChildProcess,
    stdin: HostInput,
    output: HostOutput,
    options: TaskProcessOptions,
  ) {
    this.#child = child;
    this.#stdin = stdin;
    this.#output = output;
    this.#options = options;
    this.#after(
      options.timeoutMs,
      () =>
        this.#stop(
          { kind: "timeout" },
          `the run took longer than ${describeDuration(options.timeoutMs, MEASURED)}`,
        ),
    );
    if (options.signal?.aborted) this.#onShutdown();
    else options.signal?.addEventListener("abort", this.#onShutdown, { once: true });
    // A result: the host exits by itself; make sure it does.
    void output.resultSeen.then(() => {
      if (!this.#exited) this.#after(EXIT_GRACE_MS, () => this.#kill());
    });
  }

  [Symbol.dispose](): void {
    this.#exited = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#options.signal?.removeEventListener("abort", this.#onShutdown);
  }

  #stop(outcome: TaskProcessOutcome, reason: string): void {
    if (this.stopping !== undefined || this.#output.result !== undefined) return;
    this.stopping = outcome;
    this.#stdin.send({ kind: "abort", reason });
    this.#after(this.#options.graceMs, () => this.#kill());
  }

  #after(ms: number, action: () => void): void {
    this.#timers.add(setTimeout(action, ms));
  }

  #kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

function outcomeOf(
  result: HostReport | undefined,
  status: Deno.CommandStatus,
  stderrTail: readonly string[],
  memoryMb: number,
): TaskProcessOutcome {
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
