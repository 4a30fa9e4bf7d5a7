/**
 * scheduler.toml: which task runs when, and in which timezone.
 *
 * ```toml
 * timezone = "Europe/Berlin"   # optional; SCHEDULER_TIMEZONE wins; default: the host's
 *
 * [tasks]
 * maintenance_plan = "0 7 * * 1"   # Mondays 07:00, Berlin time
 * ```
 *
 * A syntax error or an unknown timezone makes the whole file unusable (reported with line and
 * column); a bad entry only loses that entry. Either way the bot starts.
 *
 * @module
 */

import { parse } from "smol-toml";
import { fail, isTimeZone, ok, type Problem, type Result } from "@postbot/framework";
import { explainTomlError } from "@postbot/framework/toml";
import { shownName } from "@postbot/framework/text";
import { type CronSchedule, parseCron } from "./schedule.ts";

/** What scheduler.toml says, before it is matched against the tasks found. */
export interface SchedulerFile {
  /** The `timezone` key, validated. */
  readonly timezone: string | undefined;
  /** Task name -> cron expression, in file order. */
  readonly schedules: ReadonlyArray<{ name: string; expression: string; line?: number }>;
  /** Entries or keys that were ignored, with the reason. */
  readonly warnings: readonly string[];
}

const EMPTY: SchedulerFile = { timezone: undefined, schedules: [], warnings: [] };

/**
 * The host's timezone, as classic cron would use it (UTC when the host has none). Read through
 * `Temporal.Now` (the same host detection as `Intl`) when that names a canonical zone: asking
 * `Intl.DateTimeFormat` loads ICU's date data (~5 MB resident) at startup, which only a
 * scheduled task needs. Anything else is read as before.
 */
export function hostTimeZone(): string {
  const id = Temporal.Now.timeZoneId();
  if (id === "UTC" || Intl.supportedValuesOf("timeZone").includes(id)) return id;
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

/** Parses the text of scheduler.toml; `label` names the file in messages. */
export function parseSchedulerToml(text: string, label: string): Result<SchedulerFile, Problem> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    const problem = explainTomlError(e, text);
    if (problem !== undefined) {
      return fail(`${label} line ${problem.line}, column ${problem.column}: ${problem.message}`);
    }
    return fail(`${label} could not be read as TOML: ${(e as Error).message}`);
  }
  const warnings: string[] = [];
  const at = (key: string) => {
    const line = lineOf(text, key);
    return line === undefined ? label : `${label} line ${line}`;
  };
  let timezone: string | undefined;
  for (const [key, value] of Object.entries(doc)) {
    if (key === "timezone") {
      if (typeof value !== "string" || !isTimeZone(value)) {
        return fail(
          `${at("timezone")}: timezone must be an IANA time zone such as "Europe/Berlin", got ${
            JSON.stringify(value)
          }`,
        );
      }
      timezone = value;
    } else if (key !== "tasks") {
      warnings.push(
        `${at(key)}: unknown key ${shownName(key)} ignored (expected timezone or [tasks])`,
      );
    }
  }
  const tasks = doc.tasks ?? {};
  if (
    typeof tasks !== "object" || tasks === null || Array.isArray(tasks) || tasks instanceof Date
  ) {
    return fail(`${at("tasks")}: tasks must be a table: [tasks] then name = "cron expression"`);
  }
  const schedules: { name: string; expression: string; line?: number }[] = [];
  for (const [name, expression] of Object.entries(tasks as Record<string, unknown>)) {
    const line = lineOf(text, name);
    if (typeof expression !== "string") {
      warnings.push(
        `${at(name)}: the schedule of ${
          shownName(name)
        } must be a string such as "0 7 * * 1", got ${
          JSON.stringify(expression)
        }; it is not scheduled`,
      );
      continue;
    }
    schedules.push({ name, expression, line });
  }
  return ok({ timezone, schedules, warnings });
}

/** Reads scheduler.toml; a missing file means no schedules. */
export async function readSchedulerToml(path: string): Promise<Result<SchedulerFile, Problem>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return ok(EMPTY);
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return fail(`${path} cannot be read: grant it with --allow-read=${path}`);
    }
    return fail(`${path} cannot be read: ${(e as Error).message}`);
  }
  return parseSchedulerToml(text, path);
}

/** The schedules that can be used, and why the others cannot. */
export interface ResolvedSchedules {
  readonly entries: ReadonlyMap<string, CronSchedule>;
  readonly warnings: readonly string[];
}

/**
 * Matches the file's schedules against the tasks: an unknown task, a task that did not load,
 * or an invalid expression loses that entry with a warning; the rest are kept.
 */
export function resolveSchedules(
  file: SchedulerFile,
  label: string,
  loaded: ReadonlySet<string>,
  broken: ReadonlySet<string>,
): ResolvedSchedules {
  const entries = new Map<string, CronSchedule>();
  const warnings = [...file.warnings];
  for (const { name, expression, line } of file.schedules) {
    const where = line === undefined ? label : `${label} line ${line}`;
    if (broken.has(name)) {
      warnings.push(`${where}: ${shownName(name)} is scheduled but its file could not be loaded`);
      continue;
    }
    if (!loaded.has(name)) {
      const known = [...loaded].sort().join(", ") || "none";
      warnings.push(
        `${where}: there is no task ${shownName(name)} (no ${shownName(`${name}.ts`)} in the ` +
          "tasks directory); " +
          `known tasks: ${known}`,
      );
      continue;
    }
    const parsed = parseCron(expression);
    if (!parsed.ok) {
      warnings.push(
        `${where}: schedule of ${shownName(name)}: ${parsed.error.message}; it is not scheduled`,
      );
      continue;
    }
    entries.set(name, parsed.value);
  }
  return { entries, warnings };
}

/** The 1-based line where `key = ...` appears, for messages; undefined when not found. */
function lineOf(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const pattern = new RegExp(`^\\s*(?:${escaped}|"${escaped}"|'${escaped}')\\s*=`);
  const index = text.split(/\r?\n/).findIndex((line) => pattern.test(line));
  return index < 0 ? undefined : index + 1;
}
