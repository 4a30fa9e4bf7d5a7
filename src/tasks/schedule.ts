/**
 * The timezone bridge. `Deno.cron` speaks UTC only; people write schedules in their own
 * wall-clock time. So the bot ticks once a minute (UTC) and, on each tick, decides here which
 * tasks are due in the scheduler's timezone, with cron's behaviour at daylight-saving changes:
 *
 * - Spring forward (wall clock jumps 01:59 -> 03:00): a time in the skipped hour (02:30) runs
 *   once, at the first minute after the jump.
 * - Fall back (wall clock repeats 02:00-02:59): a fixed time in the repeated hour (`30 2 * * *`)
 *   runs once, the first time. A schedule whose minute or hour field starts with `*`
 *   (`0 * * * *`, `*\/15 * * * *`) follows real time and runs in both passes, like Vixie cron.
 *
 * How: the schedule remembers the latest wall-clock minute it has handled (the high-water
 * mark). A tick whose wall-clock minute is later handles every minute since, so a task is due
 * when its cron expression matches any of them (a skipped hour included). A tick whose wall
 * clock went back handles only wildcard schedules. Matching a wall-clock minute is done by
 * `croner` in UTC on the "naive" wall time, so croner never has to reason about DST.
 *
 * @module
 */

import { Cron } from "croner";
import {
  fail,
  fromWallEpoch,
  ok,
  type Problem,
  type Result,
  WallClock,
  wallEpoch,
} from "@postbot/framework";

const MINUTE = 60_000;
/** A tick may arrive a little before the minute it is for. */
const EARLY_TICK_TOLERANCE_MS = 2_000;
/**
 * Larger jumps of the wall clock (a suspended machine, a clock reset) are not caught up or
 * waited out: the schedule restarts from the current minute.
 */
const MAX_JUMP_MS = 3 * 60 * MINUTE;

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A validated 5-field cron expression. */
export interface CronSchedule {
  /** As written in scheduler.toml. */
  readonly expression: string;
  /** Follows real time in a repeated hour (minute or hour field starts with `*`). */
  readonly wildcard: boolean;
  /** Matches naive wall-clock times (epoch ms of the wall time read as UTC). */
  readonly cron: Cron;
}

/** Parses a 5-field cron expression (or a nickname such as `@daily`), or says what is wrong. */
export function parseCron(expression: string): Result<CronSchedule, Problem> {
  const written = expression.trim();
  const expanded = NICKNAMES[written.toLowerCase()] ?? written;
  if (expanded.startsWith("@")) {
    return fail(
      `"${written}" is not supported; use five fields or one of ${
        Object.keys(NICKNAMES).join(", ")
      }`,
    );
  }
  const fields = expanded.split(/\s+/).filter((f) => f !== "");
  if (fields.length !== 5) {
    return fail(
      `"${written}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; a schedule ` +
        `needs 5: minute hour day-of-month month day-of-week, e.g. "0 7 * * 1" for Mondays at 07:00`,
    );
  }
  if (expanded.includes("?")) return fail(`"${written}": "?" is not supported here; use "*"`);
  let cron: Cron;
  try {
    cron = new Cron(fields.join(" "), { timezone: "Etc/UTC", legacyMode: true });
  } catch (e) {
    return fail(`"${written}" is not a valid cron expression: ${cronMessage(e)}`);
  }
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    return fail(`"${written}" never matches a real date`);
  }
  return ok({
    expression: written,
    wildcard: fields[0].startsWith("*") || fields[1].startsWith("*"),
    cron,
  });
}

function cronMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^CronPattern: /, "");
}

function floorMinute(instant: number): number {
  return Math.floor(instant / MINUTE) * MINUTE;
}

/** Decides, tick by tick, which scheduled tasks are due (see the module doc). */
export class WallClockSchedule {
  /** The scheduler's timezone, read as a wall clock. */
  readonly clock: WallClock;
  readonly #entries: ReadonlyMap<string, CronSchedule>;
  /** When the bot started; its wall minute is the first high-water mark. */
  readonly #start: number;
  #highWaterMark: number | undefined;
  #lastTickMinute: number;
  readonly #nextMatch = new Map<CronSchedule, { from: number; next: number }>();

  /** `start` is when the bot started: minutes up to it are not run. */
  constructor(entries: ReadonlyMap<string, CronSchedule>, timeZone: string, start: Date) {
    this.clock = new WallClock(timeZone);
    this.#entries = entries;
    this.#start = start.getTime();
    this.#lastTickMinute = Math.floor(start.getTime() / MINUTE);
  }

  /** Read at the first question: a bot without scheduled tasks never loads the zone's rules. */
  get #highWater(): number {
    return this.#highWaterMark ??= this.#wallMinute(this.#start);
  }

  set #highWater(wall: number) {
    this.#highWaterMark = wall;
  }

  /** The wall-clock minute at `instant`, as epoch ms of that wall time read as UTC. */
  #wallMinute(instant: number): number {
    return wallEpoch(this.clock.read(instant));
  }

  /** The instants (0, 1 or 2, ascending) whose wall-clock minute is `wall` (as above). */
  #instantsOf(wall: number): number[] {
    return this.clock.instantsOf(fromWallEpoch(wall));
  }

  /** The task names with a schedule. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The schedule of a task, if it has one. */
  entry(name: string): CronSchedule | undefined {
    return this.#entries.get(name);
  }

  /** Names due at a tick at `now`; each at most once per tick. */
  due(now: Date): string[] {
    const instant = now.getTime() + EARLY_TICK_TOLERANCE_MS;
    const tickMinute = Math.floor(instant / MINUTE);
    if (tickMinute <= this.#lastTickMinute) return [];
    this.#lastTickMinute = tickMinute;
    // Nothing scheduled: no wall clock to read (and no zone rules to load).
    if (this.#entries.size === 0) return [];
    const wall = this.#wallMinute(instant);
    if (wall <= this.#highWater && this.#highWater - wall > MAX_JUMP_MS) {
      this.#highWater = wall - MINUTE;
    }
    if (wall > this.#highWater) {
      const from = wall - this.#highWater > MAX_JUMP_MS ? wall - MINUTE : this.#highWater;
      this.#highWater = wall;
      return this.#select((s) => this.#nextMatchAfter(s, from) <= wall);
    }
    // The wall clock went back (fall back): only schedules that follow real time.
    return this.#select((s) => s.wildcard && matchesBetween(s, wall - MINUTE, wall));
  }

  /**
   * The first wall minute after `from` the schedule matches (Infinity: never). Cached: a
   * match found from an earlier point is still the answer while it lies after `from`.
   */
  #nextMatchAfter(schedule: CronSchedule, from: number): number {
    const cached = this.#nextMatch.get(schedule);
    if (cached !== undefined && cached.from <= from && cached.next > from) return cached.next;
    const next = schedule.cron.nextRun(new Date(from))?.getTime() ?? Infinity;
    this.#nextMatch.set(schedule, { from, next });
    return next;
  }

  #select(test: (s: CronSchedule) => boolean): string[] {
    return [...this.#entries].filter(([, s]) => test(s)).map(([name]) => name);
  }

  /** When a task will next run, given ticks every minute from `now` on. */
  nextRun(name: string, now: Date): Date | undefined {
    const schedule = this.#entries.get(name);
    if (schedule === undefined) return undefined;
    const wall = this.#wallMinute(now.getTime());
    // A schedule that follows real time runs again in a repeated (fall-back) hour, so a
    // wall minute already passed can still come round once more.
    let from = schedule.wildcard
      ? wall - this.#repeatedSpan(now.getTime()) - MINUTE
      : Math.max(wall, this.#highWater);
    // In a repeated hour a later wall minute can come round before an earlier one's second
    // pass (02:20 summer time is before 02:00 winter time): keep the earliest instant, and
    // stop once a wall minute's first instant is not earlier than it.
    let best: number | undefined;
    for (let i = 0; i < 256; i++) {
      const next = schedule.cron.nextRun(new Date(from));
      if (next === null) break;
      const naive = next.getTime();
      const first = this.#instantsOf(naive)[0];
      if (best !== undefined && first !== undefined && first >= best) break;
      const at = this.#firstInstantAtOrAfter(naive, now.getTime());
      if (at !== undefined && (best === undefined || at < best)) best = at;
      from = naive;
    }
    return best === undefined ? undefined : new Date(best);
  }

  /** How far the wall clock goes back within the next few hours (0: it does not). */
  #repeatedSpan(now: number): number {
    const offsetAt = (instant: number) => this.#wallMinute(instant) - floorMinute(instant);
    return Math.max(0, offsetAt(now) - offsetAt(now + MAX_JUMP_MS));
  }

  /** The first instant after `now` at which a tick handles wall minute `naive`. */
  #firstInstantAtOrAfter(naive: number, now: number): number | undefined {
    const instants = this.#instantsOf(naive);
    if (instants.length > 0) return instants.find((t) => t > now);
    // In a spring-forward gap: it runs at the first wall minute after the gap, or not at all
    // when that minute has passed.
    for (let later = naive + MINUTE; later <= naive + MAX_JUMP_MS; later += MINUTE) {
      const after = this.#instantsOf(later);
      if (after.length > 0) return after[0] > now ? after[0] : undefined;
    }
    return undefined;
  }
}

/** True when the schedule matches a wall minute in (from, to]. */
function matchesBetween(schedule: CronSchedule, from: number, to: number): boolean {
  const next = schedule.cron.nextRun(new Date(from));
  return next !== null && next.getTime() <= to;
}
