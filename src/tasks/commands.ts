/**
 * The chat side of task plugins: `!tasks` lists every task (what it does, when it runs next
 * in the scheduler's timezone, how its last run went, what it may access, and the files that
 * did not load), and `!run <task>` runs one now and answers when it has finished.
 *
 * @module
 */

import {
  type Command,
  logger,
  type MessageContext,
  unreachable,
  WallClock,
  wallDate,
  wallTimeOfDay,
} from "@postbot/framework";
import { describeDuration, MEASURED } from "@postbot/framework/duration";
import { defuseEveryMention, inlineCode, shownName } from "@postbot/framework/text";
import type { BrokenTask, LoadedTask } from "./discovery.ts";
import type { TaskHistory, TaskRunRecord } from "./history.ts";
import { describeTrigger, type RunningRun, type RunReport, type TaskRunner } from "./runner.ts";
import type { CronSchedule } from "./schedule.ts";

const log = logger("tasks");

/** While the task files are being inspected (in the background, after the start). */
export interface InspectionStatus {
  /** Names of the task files not inspected yet. */
  readonly pending: readonly string[];
  /** Task files to inspect in all. */
  readonly total: number;
  /** Whether the files are listed yet (until then every name may be one). */
  readonly listed: boolean;
}

/** What the commands read of the task system. */
export interface TaskSystemView {
  readonly loaded: readonly LoadedTask[];
  readonly broken: readonly BrokenTask[];
  /** The tasks directory as configured (for messages). */
  readonly tasksDir: string;
  /** Problems with the tasks directory or scheduler.toml, shown by `!tasks`. */
  readonly problems: readonly string[];
  readonly timezone: string;
  /** Set while the files are still being inspected. */
  readonly inspecting?: InspectionStatus;
  /**
   * Resolves once the file of task `name` is inspected (or turns out not to exist): true, or
   * false when inspecting was stopped (the bot is shutting down).
   */
  untilInspected(name: string): Promise<boolean>;
  schedule(name: string): CronSchedule | undefined;
  nextRun(name: string): Date | undefined;
  readonly history: TaskHistory;
  readonly runner: TaskRunner;
  now(): Date;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** `Mon 2025-03-31 07:00` in `timeZone`. */
export function formatWhen(date: Date | number, timeZone: string): string {
  const wall = new WallClock(timeZone).read(new Date(date).getTime());
  return `${WEEKDAYS[wall.weekday]} ${wallDate(wall)} ${wallTimeOfDay(wall)}`;
}

const OUTCOME_MARK: Record<string, string> = {
  ok: ":white_check_mark: ok",
  failed: ":x: failed",
  timeout: ":hourglass: timed out",
  interrupted: ":stop_button: interrupted",
  running: ":arrow_forward: running",
  skipped: "skipped",
};

function lastRunLine(run: TaskRunRecord | undefined, timeZone: string): string {
  if (run === undefined) return "last run: never";
  const by = run.trigger === "command" ? `!run by ${run.triggeredBy ?? "?"}` : "schedule";
  const duration = run.durationMs === null
    ? ""
    : ` in ${describeDuration(run.durationMs, MEASURED)}`;
  const error = run.error !== null && run.outcome !== "ok" ? `: ${inlineCode(run.error, 200)}` : "";
  return `last run: ${formatWhen(run.startedAt, timeZone)} (${by}), ` +
    `${OUTCOME_MARK[run.outcome] ?? run.outcome}${duration}${error}`;
}

/** The text of `!tasks`. */
export async function renderTaskList(view: TaskSystemView): Promise<string> {
  const lines: string[] = [];
  const tz = view.timezone;
  const inspecting = view.inspecting;
  if (view.loaded.length === 0 && view.broken.length === 0 && inspecting === undefined) {
    lines.push(
      `No tasks yet. Put a \`.ts\` file exporting \`run(client, ctx)\` into \`${view.tasksDir}/\` ` +
        "and restart the bot.",
    );
  } else {
    lines.push(`#### Tasks (times in ${tz})`);
  }
  if (inspecting !== undefined) {
    lines.push(
      `:hourglass: Still inspecting ${
        leftToInspect(inspecting)
      }; send \`!tasks\` again shortly for the rest.`,
    );
  }
  for (const task of view.loaded) {
    // A task's own words: shown as code, so they can neither mention nor format.
    const description = task.description === ""
      ? "_(no description)_"
      : inlineCode(task.description, 200);
    lines.push("", `**${task.name}** \u2014 ${description}`);
    const schedule = view.schedule(task.name);
    if (inspecting !== undefined) {
      lines.push("- schedule: read once every file is inspected");
    } else if (schedule === undefined) {
      lines.push(`- not scheduled; run it with \`!run ${task.name}\``);
    } else {
      const next = view.nextRun(task.name);
      lines.push(
        `- schedule: \`${schedule.expression}\` \u00b7 next run: ${
          next === undefined ? "none" : formatWhen(next, tz)
        }`,
      );
    }
    const running = view.runner.running(task.name);
    if (running !== undefined) {
      lines.push(
        `- running now, since ${formatWhen(running.startedAt, tz)} (${
          describeTrigger(running.trigger)
        })`,
      );
    }
    lines.push(`- ${lastRunLine(await view.history.lastRun(task.name), tz)}`);
    if (task.permissions.extra.length > 0) {
      lines.push(`- extra permissions: ${task.permissions.extra.join(", ")}`);
    }
    if (task.permissions.refused.length > 0) {
      lines.push(
        `- asked for but not granted (the bot lacks them, or they are never given to tasks): ${
          task.permissions.refused.join(", ")
        }`,
      );
    }
  }
  if (view.broken.length > 0) {
    lines.push("", "#### Not loaded");
    for (const b of view.broken) {
      lines.push(`- ${shownName(b.fileName)}: ${b.reason}`);
    }
    lines.push("Fix the file and restart the bot to load it.");
  }
  if (view.problems.length > 0) {
    lines.push("", "#### Schedule problems");
    for (const p of view.problems) lines.push(`- ${defuseEveryMention(p)}`);
  }
  return lines.join("\n");
}

/** `!tasks`. */
export function tasksCommand(view: TaskSystemView): Command {
  return {
    name: "tasks",
    summary: "list the scheduled tasks: schedule, next run, last run and its outcome",
    run: async (ctx) => {
      await ctx.reply(await renderTaskList(view));
    },
  };
}

/** "3 of 10 task files" still to inspect. */
function leftToInspect(status: InspectionStatus): string {
  return !status.listed
    ? "the task files"
    : `${status.pending.length} of ${status.total} task file${status.total === 1 ? "" : "s"}`;
}

function taskNames(view: TaskSystemView): string {
  return view.loaded.length === 0
    ? `there are no tasks (put one into \`${view.tasksDir}/\` and restart the bot)`
    : `tasks: ${view.loaded.map((t) => `\`${t.name}\``).join(", ")}`;
}

/** The answer to `!run` once the run has ended. */
export function renderRunReport(report: RunReport): string {
  const name = `\`${report.task}\``;
  const after = describeDuration(report.durationMs, MEASURED);
  switch (report.outcome) {
    case "ok":
      return `:white_check_mark: ${name} finished in ${after}.`;
    case "failed":
      return `:x: ${name} failed after ${after}: ${inlineCode(report.error ?? "", 400)}`;
    case "timeout":
      return `:hourglass: ${name} was stopped after ${after}: it ${report.error}.`;
    case "interrupted":
      return `:stop_button: ${name} was interrupted after ${after}: ${report.error}.`;
    case "skipped":
      return `${name} was skipped: ${report.error}.`;
    default:
      return unreachable(report.outcome);
  }
}

function alreadyRunning(name: string, running: RunningRun | undefined, tz: string): string {
  if (running === undefined) return `\`${name}\` cannot start now: the bot is shutting down.`;
  return `\`${name}\` is already running (since ${formatWhen(running.startedAt, tz)}, ${
    describeTrigger(running.trigger)
  }), so I skipped this run. Send \`!tasks\` to see when it finishes.`;
}

/** `!run <task>`: answers once with "running", then with the outcome when it has finished. */
export function runCommand(view: TaskSystemView): Command {
  return {
    name: "run",
    sideEffects: true,
    usage: "<task>",
    summary: "run a task now; I answer when it has finished",
    examples: ["!run maintenance_plan"],
    adminOnly: true,
    run: async (ctx, args) => {
      const name = args.trim().split(/\s+/)[0] ?? "";
      if (name !== "" && isPending(view.inspecting, name)) {
        // Nothing is lost (a `!run` caught up after a restart included): it runs once inspected.
        await ctx.reply(
          `:hourglass: ${shownName(name, 60)} is not inspected yet (still inspecting ${
            leftToInspect(view.inspecting!)
          }); it starts as soon as it is.`,
        );
        void view.untilInspected(name).then((done) =>
          done
            ? startRun(view, ctx, name)
            : ctx.reply(`${shownName(name, 60)} was not run: the bot is shutting down.`)
        ).catch((e) => log.error("Could not answer !run: {error}", { error: e }));
        return;
      }
      await startRun(view, ctx, name);
    },
  };
}

/** Whether `name` may still turn out to be a task: its file is not inspected yet. */
function isPending(status: InspectionStatus | undefined, name: string): boolean {
  if (status === undefined) return false;
  return !status.listed || status.pending.some((p) => p.toLowerCase() === name.toLowerCase());
}

/** Starts the run `!run` asked for and answers: "Running", then (later) the outcome. */
async function startRun(view: TaskSystemView, ctx: MessageContext, name: string): Promise<void> {
  const task = view.loaded.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (task === undefined) {
    await ctx.reply(unknownTask(view, name));
    return;
  }
  const started = view.runner.start(task, { kind: "command", by: ctx.username });
  if (!started.started) {
    await ctx.reply(alreadyRunning(task.name, started.running, view.timezone));
    return;
  }
  await ctx.reply(`:arrow_forward: Running \`${task.name}\`\u2026 I will tell you how it went.`);
  // The answer comes later: this user's other messages must not wait for the task.
  void answerWhenDone(ctx, started.done);
}

async function answerWhenDone(ctx: MessageContext, done: Promise<RunReport>): Promise<void> {
  try {
    await ctx.reply(renderRunReport(await done));
  } catch (e) {
    log.error("Could not answer !run: {error}", { error: e });
  }
}

function unknownTask(view: TaskSystemView, name: string): string {
  if (name === "") return `Usage: \`!run <task>\`; ${taskNames(view)}.`;
  const broken = view.broken.find((b) => b.name.toLowerCase() === name.toLowerCase());
  if (broken !== undefined) {
    return `${shownName(broken.name)} could not be loaded: ${broken.reason}. Fix ` +
      `${shownName(`${view.tasksDir}/${broken.fileName}`)} and restart the bot; ${
        taskNames(view)
      }.`;
  }
  return `There is no task ${shownName(name, 60)}; ${taskNames(view)}.`;
}
