/**
 * Scheduled task plugins, assembled: discovery of `tasks/*.ts`, scheduler.toml in the
 * scheduler's timezone, isolated runs (a process each) with history and alerts, and the `!tasks` and `!run`
 * commands. The app creates it once, registers its commands, starts it after the bot and
 * stops it before closing the database.
 *
 * @module
 */

import { resolve } from "node:path";
import { type Command, logger, type Problem, type Result, type Secret } from "@postbot/framework";
import { defuseEveryMention, oneLine, shownName } from "@postbot/framework/text";
import {
  type InspectionStatus,
  runCommand,
  tasksCommand,
  type TaskSystemView,
} from "./commands.ts";
import { botSecrets } from "./confinement.ts";
import { type BrokenTask, discoverTasks, type Discovery, type LoadedTask } from "./discovery.ts";
import { TaskHistory, type TaskRunsDatabase } from "./history.ts";
import type { PermissionQuery } from "./permissions.ts";
import { type RunCounters, TaskRunner } from "./runner.ts";
import { type CronSchedule, WallClockSchedule } from "./schedule.ts";
import {
  hostTimeZone,
  readSchedulerToml,
  resolveSchedules,
  type SchedulerFile,
} from "./scheduler_config.ts";
import { cronTicker, type Ticker } from "./ticker.ts";

const log = logger("tasks");

/** How long run history is kept. */
const HISTORY_DAYS = 90;

/** What the task system needs from the app. */
export interface TaskSystemDeps {
  /** Where the run history is kept (postbot's database port). */
  readonly db: TaskRunsDatabase;
  /** The SQL condition under which this instance may start runs (postbot's fence). */
  readonly fence?: () => string;
  readonly serverUrl: string;
  readonly token: Secret;
  readonly tasksDir: string;
  readonly schedulerTomlPath: string;
  /** SCHEDULER_TIMEZONE; undefined = scheduler.toml's `timezone`, else the host's. */
  readonly timezone: string | undefined;
  readonly timeoutSeconds: number;
  /** TASK_MEMORY_MB: memory cap of every inspection and run. */
  readonly memoryMb: number;
  /** Posts to BOT_LOG_CHANNEL_ID; a no-op when it is unset. */
  readonly alert: (text: string) => Promise<void>;
  /** The clock (tests inject one). */
  readonly now?: () => Date;
  /** The minute heartbeat (default `Deno.cron`; tests inject one). */
  readonly ticker?: Ticker;
  /** How long importing one task file may take at startup (default: 30 s or the run timeout). */
  readonly inspectTimeoutMs?: number;
  /** Grace after the abort signal before a run is ended (default 3 s). */
  readonly graceMs?: number;
  /** Whether the bot holds a permission (tests inject one). */
  readonly holds?: PermissionQuery;
  /**
   * The environment of every task process (Deno's own variables such as DENO_DIR): they start
   * with an empty one, never the bot's.
   */
  readonly processEnv?: Readonly<Record<string, string>>;
  /** Files holding the bot's secrets, kept from tasks (default `.env`). */
  readonly envFiles?: readonly string[];
}

/** The running task system. */
export interface TaskSystem {
  /** `!tasks` and `!run`, to register with the dispatcher. */
  readonly commands: Command[];
  /**
   * Reads scheduler.toml, starts the minute ticker and starts inspecting the task files in
   * the background (`!tasks` says how far it is; schedules apply once it is done).
   */
  start(): Promise<void>;
  /** Resolves once the inspection `start()` began is over (its outcome is in the state). */
  inspected(): Promise<void>;
  /** Stops the ticker and inspections, and ends runs in progress (recorded as interrupted). */
  stop(): Promise<void>;
  readonly counters: RunCounters;
  /** The zone schedules are read in (known fully after `start()`); send-later falls back to it. */
  readonly timezone: string;
}

/** What `start()` found so far: the tasks, what is wrong, and the schedule built from them. */
interface TaskState {
  readonly loaded: readonly LoadedTask[];
  readonly broken: readonly BrokenTask[];
  /** Problems with the tasks directory or scheduler.toml. */
  readonly problems: readonly string[];
  readonly timezone: string;
  readonly schedule: WallClockSchedule;
  /** While the files are being inspected: how many, and which are left. */
  readonly inspecting?: InspectionStatus;
}

/**
 * The current state, replaced whole at every step, and the `!run`s waiting for a file's
 * inspection to end.
 */
class StateBox {
  #state: TaskState;
  readonly #waiters = new Set<() => void>();

  constructor(initial: TaskState) {
    this.#state = initial;
  }

  get value(): TaskState {
    return this.#state;
  }

  set value(next: TaskState) {
    this.#state = next;
    for (const waiter of [...this.#waiters]) waiter();
  }

  /** True once task `name`'s file is inspected (or is no task file); false when `stopped`. */
  untilInspected(name: string, stopped: AbortSignal): Promise<boolean> {
    const lower = name.toLowerCase();
    return new Promise((resolve) => {
      const check = () => {
        const status = this.#state.inspecting;
        const done = status === undefined ||
          (status.listed && !status.pending.some((p) => p.toLowerCase() === lower));
        if (!done && !stopped.aborted) return;
        this.#waiters.delete(check);
        stopped.removeEventListener("abort", check);
        resolve(done);
      };
      this.#waiters.add(check);
      stopped.addEventListener("abort", check);
      check();
    });
  }
}

/** Builds the task system; nothing happens before `start()`. */
export function createTaskSystem(given: TaskSystemDeps): TaskSystem {
  const deps = withoutTokenInEnv(given);
  const now = deps.now ?? (() => new Date());
  const history = new TaskHistory(deps.db, deps.fence);
  const timezone = deps.timezone ?? hostTimeZone();
  const box = new StateBox({
    loaded: [],
    broken: [],
    problems: [],
    timezone,
    schedule: new WallClockSchedule(new Map(), timezone, now()),
  });
  const runner = new TaskRunner({
    history,
    serverUrl: deps.serverUrl,
    token: deps.token,
    timeoutMs: deps.timeoutSeconds * 1000,
    memoryMb: deps.memoryMb,
    graceMs: deps.graceMs ?? Math.min(3_000, deps.timeoutSeconds * 1000),
    alert: deps.alert,
    now,
    timeZone: () => box.value.timezone,
    processEnv: deps.processEnv,
  });
  const tick = () => {
    for (const name of box.value.schedule.due(now())) {
      const task = box.value.loaded.find((t) => t.name === name);
      if (task !== undefined) runner.start(task, { kind: "schedule" });
    }
  };
  // Released in reverse: the ticker stops first, then the inspections, then the runs.
  const running = new AsyncDisposableStack();
  running.defer(() => runner.stop());
  let inspected: Promise<void> = Promise.resolve();
  running.defer(() => inspected);
  const inspecting = running.adopt(new AbortController(), (c) => c.abort());
  const ticking = running.adopt(new AbortController(), (c) => c.abort());
  const view = taskSystemView(deps.tasksDir, box, inspecting.signal, history, runner, now);

  return {
    commands: [tasksCommand(view), runCommand(view)],
    counters: runner.counters,
    get timezone() {
      return box.value.timezone;
    },
    start: async () => {
      await tidyHistory(history, now());
      const startedAt = now();
      const file = await readSchedulerToml(deps.schedulerTomlPath);
      const zone = deps.timezone ?? (file.ok ? file.value.timezone : undefined) ?? timezone;
      box.value = {
        ...box.value,
        timezone: zone,
        inspecting: { pending: [], total: 0, listed: false },
      };
      (deps.ticker ?? cronTicker())(tick, ticking.signal);
      // In the background: DMs are answered while a slow file is still being inspected.
      inspected = inspectTasks(deps, inspecting.signal, (update) => {
        box.value = { ...box.value, ...update };
      }).then((found) => {
        if (inspecting.signal.aborted) return;
        box.value = scheduledState(found, file, zone, deps.schedulerTomlPath, startedAt);
        logTaskState(box.value, now());
        // What came due during the inspection runs now, not a minute late.
        tick();
        return alertProblems(box.value, deps);
      }).catch((e) => {
        log.error("Inspecting the task files failed: {error}", { error: e });
        box.value = { ...box.value, inspecting: undefined };
      });
    },
    inspected: () => inspected,
    stop: () => running.disposeAsync(),
  };
}

/** The deps with every Deno variable whose value holds the token left out (pasted wrongly). */
function withoutTokenInEnv(given: TaskSystemDeps): TaskSystemDeps {
  const token = given.token.reveal();
  const env = Object.entries(given.processEnv ?? {});
  return {
    ...given,
    processEnv: Object.fromEntries(env.filter(([, v]) => token === "" || !v.includes(token))),
  };
}

/** The commands' read-only window on the current state. */
function taskSystemView(
  tasksDir: string,
  box: StateBox,
  stopped: AbortSignal,
  history: TaskHistory,
  runner: TaskRunner,
  now: () => Date,
): TaskSystemView {
  return {
    get loaded() {
      return box.value.loaded;
    },
    get broken() {
      return box.value.broken;
    },
    tasksDir,
    get problems() {
      return box.value.problems;
    },
    get timezone() {
      return box.value.timezone;
    },
    get inspecting() {
      return box.value.inspecting;
    },
    untilInspected: (name: string) => box.untilInspected(name, stopped),
    schedule: (name: string): CronSchedule | undefined => box.value.schedule.entry(name),
    nextRun: (name: string) => box.value.schedule.nextRun(name, now()),
    history,
    runner,
    now,
  };
}

/** Marks the runs the last shutdown cut off as interrupted and forgets old history. */
async function tidyHistory(history: TaskHistory, now: Date): Promise<void> {
  const interrupted = await history.markInterrupted("the bot stopped during the run");
  if (interrupted > 0) {
    log.warn("{count} task run(s) were cut off by the last shutdown or crash", {
      count: interrupted,
    });
  }
  await history.prune(now.getTime() - HISTORY_DAYS * 86_400_000);
}

/** Discovers the tasks in the background, reporting each step; resolves with the result. */
async function inspectTasks(
  deps: TaskSystemDeps,
  signal: AbortSignal,
  update: (state: Pick<TaskState, "loaded" | "broken" | "inspecting">) => void,
): Promise<Discovery> {
  const cwd = Deno.cwd();
  const secrets = await botSecrets(
    deps.token.reveal(),
    (deps.envFiles ?? [".env"]).map((f) => resolve(cwd, f)),
  );
  let announced = false;
  const found = await discoverTasks({
    tasksDir: deps.tasksDir,
    serverHost: new URL(deps.serverUrl).host,
    inspectTimeoutMs: deps.inspectTimeoutMs ?? Math.min(30_000, deps.timeoutSeconds * 1000),
    memoryMb: deps.memoryMb,
    holds: deps.holds,
    secrets,
    processEnv: deps.processEnv,
    signal,
    onProgress: ({ loaded, broken, pending, total }) => {
      if (!announced) {
        announced = true;
        log.info("Inspecting {total} task file(s) in the background", { total });
      }
      update({ loaded, broken, inspecting: { pending, total, listed: true } });
    },
  });
  logDiscovery(found.loaded, found.broken, deps.tasksDir);
  return found;
}

/** The final state: the tasks found and scheduler.toml read against them. */
function scheduledState(
  found: Discovery,
  file: Result<SchedulerFile, Problem>,
  timezone: string,
  schedulerTomlPath: string,
  startedAt: Date,
): TaskState {
  const problems = found.problem === undefined ? [] : [found.problem.message];
  if (!file.ok) {
    problems.push(`${file.error.message} \u2014 no task is scheduled until it is fixed`);
  }
  let entries: ReadonlyMap<string, CronSchedule> = new Map();
  if (file.ok) {
    const resolved = resolveSchedules(
      file.value,
      schedulerTomlPath,
      new Set(found.loaded.map((t) => t.name)),
      new Set(found.broken.map((b) => b.name)),
    );
    entries = resolved.entries;
    problems.push(...resolved.warnings);
  }
  // scheduler.toml's words (a quoted key can hold a newline): one escaped line each.
  const lines = problems.map((p) => oneLine(p));
  for (const p of lines) log.warn("{problem}", { problem: p });
  return {
    loaded: found.loaded,
    broken: found.broken,
    problems: lines,
    timezone,
    // From the start: what came due while the files were inspected is due at the next tick.
    schedule: new WallClockSchedule(entries, timezone, startedAt),
  };
}

function logDiscovery(
  loaded: readonly LoadedTask[],
  broken: readonly BrokenTask[],
  tasksDir: string,
): void {
  for (const b of broken) {
    // File names and reasons can hold anything a file name can: one escaped line each.
    log.warn("Task file {file} not loaded: {reason}", {
      file: shownName(`${tasksDir}/${b.fileName}`),
      reason: oneLine(b.reason),
    });
  }
  for (const t of loaded) {
    if (t.permissions.refused.length > 0) {
      log.warn("Task {task} asked for permissions the bot lacks: {refused}", {
        task: t.name,
        refused: t.permissions.refused.join(", "),
      });
    }
  }
}

function logTaskState(state: TaskState, now: Date): void {
  const { schedule } = state;
  log.info("Tasks: {loaded} loaded, {broken} not loaded, {scheduled} scheduled ({tz})", {
    loaded: state.loaded.length,
    broken: state.broken.length,
    scheduled: schedule.names.length,
    tz: state.timezone,
  });
  for (const name of schedule.names) {
    log.info("Task {task} runs at {expression}, next {next}", {
      task: name,
      expression: schedule.entry(name)?.expression,
      next: schedule.nextRun(name, now)?.toISOString() ?? "never",
    });
  }
}

/** The lines of the startup alert: files that did not load, then the other problems. */
function taskTrouble(state: TaskState, tasksDir: string): string[] {
  return [
    // A file name and whatever a reason quotes of the task are code spans already.
    ...state.broken.map((b) => `${shownName(`${tasksDir}/${b.fileName}`)} not loaded: ${b.reason}`),
    // scheduler.toml's words: no mentions.
    ...state.problems.map(defuseEveryMention),
  ];
}

async function alertProblems(state: TaskState, deps: TaskSystemDeps): Promise<void> {
  const trouble = taskTrouble(state, deps.tasksDir);
  if (trouble.length === 0) return;
  await deps.alert(
    `:warning: Task plugins have problems:\n${trouble.map((t) => `- ${t}`).join("\n")}`,
  ).catch((e) => log.error("Could not post the alert: {error}", { error: e }));
}
