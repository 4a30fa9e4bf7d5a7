/**
 * Runs tasks: each run in a task process of its own, at most one run per task at a time (a
 * second trigger is skipped and recorded), bounded by TASK_TIMEOUT_SECONDS, recorded in the
 * run history, and a failure logged with its stack and alerted. Runs never throw and never
 * wait for each other, so nothing a task does can hold up the scheduler or the bot.
 *
 * @module
 */

import { logger, type Secret, unreachable } from "@postbot/framework";
import { describeDuration, MEASURED } from "@postbot/framework/duration";
import type { LoadedTask } from "./discovery.ts";
import type { RunOutcome, TaskHistory } from "./history.ts";
import { inlineCode, oneLine } from "@postbot/framework/text";
import { runInTaskProcess, stripAnsi, type TaskProcessOutcome } from "./task_process.ts";
import type { TaskTrigger } from "./types.ts";
import type { SerializedError, TaskLogLevel } from "./worker_entry.ts";

const log = logger("tasks");

/** How one trigger ended. */
export interface RunReport {
  readonly task: string;
  readonly trigger: TaskTrigger;
  readonly outcome: Exclude<RunOutcome, "running">;
  /** Epoch ms. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** One line for people (`Error: boom`); set unless the outcome is ok. */
  readonly error?: string;
}

/** A run in progress. */
export interface RunningRun {
  readonly trigger: TaskTrigger;
  /** Epoch ms. */
  readonly startedAt: number;
}

/** Either a run that started, or why it did not. */
export type StartResult =
  | { readonly started: true; readonly done: Promise<RunReport> }
  | { readonly started: false; readonly report: RunReport; readonly running?: RunningRun };

/** Run counts since the start, for metrics. */
export interface RunCounters {
  runsOk: number;
  runsFailed: number;
}

/** What a {@link TaskRunner} needs. */
export interface RunnerDeps {
  readonly history: TaskHistory;
  readonly serverUrl: string;
  readonly token: Secret;
  readonly timeoutMs: number;
  /** TASK_MEMORY_MB. */
  readonly memoryMb: number;
  /** Time a task gets to react to its abort signal before it is ended (default 3 s). */
  readonly graceMs?: number;
  /** Posts to the bot-log channel; a no-op when there is none. */
  readonly alert: (text: string) => Promise<void>;
  readonly now: () => Date;
  /** The scheduler's timezone, handed to tasks as `ctx.timeZone`. */
  readonly timeZone: () => string;
  /** Every task process's environment (Deno's own variables, nothing secret). */
  readonly processEnv?: Readonly<Record<string, string>>;
}

/** Starts runs and keeps track of them. */
export class TaskRunner {
  readonly counters: RunCounters = { runsOk: 0, runsFailed: 0 };
  readonly #deps: RunnerDeps;
  readonly #running = new Map<string, RunningRun & { done: Promise<RunReport> }>();
  readonly #shutdown = new AbortController();

  constructor(deps: RunnerDeps) {
    this.#deps = deps;
  }

  /** The run of a task in progress, if any. */
  running(name: string): RunningRun | undefined {
    const run = this.#running.get(name);
    return run === undefined ? undefined : { trigger: run.trigger, startedAt: run.startedAt };
  }

  /**
   * Starts a run unless the task is already running (or the bot is stopping): then the
   * trigger is skipped, logged and recorded. Decided synchronously, so two triggers at once
   * can never both start.
   */
  start(task: LoadedTask, trigger: TaskTrigger): StartResult {
    const now = this.#deps.now().getTime();
    const current = this.#running.get(task.name);
    if (current !== undefined || this.#shutdown.signal.aborted) {
      const reason = current !== undefined
        ? `still running (started ${new Date(current.startedAt).toISOString()} by ` +
          `${describeTrigger(current.trigger)})`
        : "the bot is shutting down";
      log.warn("Task {task}: {trigger} trigger skipped: {reason}", {
        task: task.name,
        trigger: describeTrigger(trigger),
        reason,
      });
      void this.#record(() =>
        this.#deps.history.skipped(task.name, trigger.kind, triggeredBy(trigger), now, reason)
      );
      return {
        started: false,
        running: current === undefined
          ? undefined
          : { trigger: current.trigger, startedAt: current.startedAt },
        report: {
          task: task.name,
          trigger,
          outcome: "skipped",
          startedAt: now,
          durationMs: 0,
          error: reason,
        },
      };
    }
    const done = this.#record(() =>
      this.#deps.history.start(task.name, trigger.kind, triggeredBy(trigger), now)
    ).then((id) =>
      id === null ? notActive(task.name, trigger, now) : this.#execute(task, trigger, now, id)
    );
    this.#running.set(task.name, { trigger, startedAt: now, done });
    void done.finally(() => this.#running.delete(task.name));
    return { started: true, done };
  }

  /** Ends every run in progress (they get their abort signal, then are terminated). */
  async stop(): Promise<void> {
    this.#shutdown.abort();
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  async #execute(
    task: LoadedTask,
    trigger: TaskTrigger,
    startedAt: number,
    id: number | undefined,
  ): Promise<RunReport> {
    log.info("Task {task} started ({trigger})", {
      task: task.name,
      trigger: describeTrigger(trigger),
    });
    const t0 = performance.now();
    const outcome = await this.#inTaskProcess(task, trigger);
    const durationMs = performance.now() - t0;
    const scrub = (text: string) => this.#deps.token.scrub(stripAnsi(text));
    const { stack, ...result } = runResult(outcome, this.#deps.timeoutMs, scrub);
    const report: RunReport = { task: task.name, trigger, startedAt, durationMs, ...result };
    if (id !== undefined) {
      await this.#record(() =>
        this.#deps.history.finish(id, report.outcome, report.durationMs, report.error)
      );
    }
    await this.#tell(report, stack);
    return report;
  }

  /** One run in its own task process. */
  #inTaskProcess(task: LoadedTask, trigger: TaskTrigger): Promise<TaskProcessOutcome> {
    const taskLog = logger("task", task.name);
    return runInTaskProcess({
      kind: "run",
      taskUrl: task.url,
      name: task.name,
      serverUrl: this.#deps.serverUrl,
      token: this.#deps.token.reveal(),
      trigger,
      timeZone: this.#deps.timeZone(),
    }, {
      name: `task ${task.name}`,
      permissions: task.permissions.worker,
      env: {
        ...this.#deps.processEnv,
        ...grantedEnv(task.permissions.worker.env, this.#deps.token.reveal()),
      },
      memoryMb: this.#deps.memoryMb,
      timeoutMs: this.#deps.timeoutMs,
      graceMs: this.#deps.graceMs ?? 3_000,
      signal: this.#shutdown.signal,
      onLog: (level, message, properties) =>
        writeTaskLog(taskLog, task.name, level, message, properties),
    });
  }

  /** Counts, logs and (for a failure) alerts a finished run. */
  async #tell(report: RunReport, stack: string): Promise<void> {
    if (report.outcome === "ok") {
      this.counters.runsOk++;
      log.info("Task {task} finished in {duration} ms", {
        task: report.task,
        duration: Math.round(report.durationMs),
      });
    } else if (report.outcome === "failed" || report.outcome === "timeout") {
      this.counters.runsFailed++;
      log.error("Task {task} {outcome} ({trigger}): {error}\n{stack}", {
        task: report.task,
        outcome: report.outcome,
        trigger: describeTrigger(report.trigger),
        error: oneLine(report.error ?? ""),
        stack: indentStack(stack),
      });
      await this.#alert(report);
    } else {
      log.warn("Task {task} {outcome}: {error}", {
        task: report.task,
        outcome: report.outcome,
        error: report.error,
      });
    }
  }

  async #alert(report: RunReport): Promise<void> {
    const what = report.outcome === "timeout" ? "timed out" : "failed";
    try {
      await this.#deps.alert(
        `:warning: Task \`${report.task}\` ${what} (trigger: ${
          describeTrigger(report.trigger)
        }, after ${describeDuration(report.durationMs, MEASURED)}): ${
          inlineCode(report.error ?? "", 400)
        }`,
      );
    } catch (e) {
      log.error("Could not post the failure alert of task {task}: {error}", {
        task: report.task,
        error: e,
      });
    }
  }

  /** Runs a history write; a failure is logged once here and answers undefined. */
  async #record<T>(write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await write();
    } catch (e) {
      log.error("Could not write the task run history: {error}", { error: e });
      return undefined;
    }
  }
}

/**
 * The run that did not start because this instance is no longer the active one (its lease
 * was taken over): the active instance runs the task.
 */
function notActive(task: string, trigger: TaskTrigger, startedAt: number): RunReport {
  log.warn("Task {task} not started: this instance is not the active one any more", { task });
  return {
    task,
    trigger,
    outcome: "skipped",
    startedAt,
    durationMs: 0,
    error: "this instance is not the active one any more",
  };
}

/** How a task process's outcome counts as a run, with its one-line error and (scrubbed) stack. */
function runResult(
  outcome: TaskProcessOutcome,
  timeoutMs: number,
  scrub: (text: string) => string,
): Pick<RunReport, "outcome" | "error"> & { readonly stack: string } {
  switch (outcome.kind) {
    case "finished":
      return { outcome: "ok", stack: "" };
    case "timeout":
      return {
        outcome: "timeout",
        error: `did not finish within ${
          describeDuration(timeoutMs, MEASURED)
        } (TASK_TIMEOUT_SECONDS)`,
        stack: "",
      };
    case "interrupted":
      return { outcome: "interrupted", error: "the bot shut down during the run", stack: "" };
    case "failed":
      return {
        outcome: "failed",
        error: scrub(errorLine(outcome.error)),
        stack: scrub(outcome.error.stack),
      };
    case "memory":
      return {
        outcome: "failed",
        error: `ran out of memory: it may use ${outcome.limitMb} MB (TASK_MEMORY_MB)`,
        stack: "",
      };
    case "crashed":
      return {
        outcome: "failed",
        error: scrub(`its process ended without a result (${outcome.detail})`),
        stack: "",
      };
    case "inspected":
      return { outcome: "failed", error: "the task process answered unexpectedly", stack: "" };
    default:
      return unreachable(outcome);
  }
}

/**
 * The values of the variables a task was granted, from the bot's own environment: a task
 * process starts with an empty one. A value holding the token is left out (discovery refuses
 * such a request; this is the second lock).
 */
export function grantedEnv(
  granted: Deno.PermissionOptionsObject["env"],
  token: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (!Array.isArray(granted)) return env;
  for (const name of granted) {
    let value: string | undefined;
    try {
      value = Deno.env.get(name);
    } catch {
      continue;
    }
    if (value !== undefined && (token === "" || !value.includes(token))) env[name] = value;
  }
  return env;
}

function triggeredBy(trigger: TaskTrigger): string | null {
  return trigger.kind === "command" ? trigger.by : null;
}

/** `schedule` or `!run by alice`, for logs, alerts and replies. */
export function describeTrigger(trigger: TaskTrigger): string {
  return trigger.kind === "schedule" ? "schedule" : `!run by ${trigger.by}`;
}

/**
 * A task's stack for the log: every line indented and made safe, so that none can pass for a
 * line of the bot's own (the task chooses its error's stack).
 */
export function indentStack(stack: string): string {
  const lines = stack.split("\n").filter((l) => l.trim() !== "").slice(0, 50);
  return lines.length === 0
    ? "    (no stack)"
    : lines.map((l) => `    ${oneLine(l, 500)}`).join("\n");
}

function errorLine(error: SerializedError): string {
  const message = error.message.split("\n")[0];
  return error.name === "Error" && message.startsWith("Uncaught")
    ? message
    : `${error.name}: ${message}`;
}

/**
 * A task's log line as text: placeholders (`{name}`) are filled in as LogTape would, other
 * properties are appended as JSON.
 */
export function formatTaskLog(
  message: string,
  properties: Record<string, unknown> | undefined,
): string {
  const props = properties ?? {};
  const used = new Set<string>();
  const filled = message.replace(/\{(\w+)\}/g, (whole, key: string) => {
    if (!(key in props)) return whole;
    used.add(key);
    const value = props[key];
    return typeof value === "string" ? value : JSON.stringify(value);
  });
  const rest = Object.fromEntries(Object.entries(props).filter(([k]) => !used.has(k)));
  return Object.keys(rest).length === 0 ? filled : `${filled} ${JSON.stringify(rest)}`;
}

/**
 * A task's log line as the bot logs it: one line, prefixed with the task's name, so that
 * nothing a task writes can read like the bot's own log line.
 */
export function taskLogText(
  name: string,
  message: string,
  properties: Record<string, unknown> | undefined,
): string {
  return `[task ${name}] ${oneLine(formatTaskLog(message, properties), 4_000)}`;
}

function writeTaskLog(
  taskLog: ReturnType<typeof logger>,
  name: string,
  level: TaskLogLevel,
  message: string,
  properties: Record<string, unknown> | undefined,
): void {
  const text = taskLogText(name, message, properties);
  switch (level) {
    case "debug":
      taskLog.debug("{text}", { text });
      break;
    case "warning":
      taskLog.warn("{text}", { text });
      break;
    case "error":
      taskLog.error("{text}", { text });
      break;
    default:
      taskLog.info("{text}", { text });
  }
}
