/**
 * "When should it go out?" -- the times a sender may type at the preview (`at 09:00`,
 * `at tomorrow 9:00`, `at monday 9:00`, `at 2026-12-01 09:00`, `in 2h`, `in 30 min`), read as
 * wall-clock times in the sender's own time zone. A wall-clock time that does not exist (the
 * hour skipped when clocks go forward) or exists twice (the hour repeated when they go back) is
 * refused with an explanation rather than guessed.
 *
 * @module
 */

import {
  addDays,
  err,
  ok,
  type Problem,
  problem,
  type Result,
  unreachable,
  WallClock,
  wallDate,
  type WallReading,
  type WallTime,
  wallTimeOfDay,
} from "@postbot/framework";
import { APPROXIMATE, describeDuration } from "@postbot/framework/duration";

/** A resolved send time. */
export interface SendTime {
  /** Epoch milliseconds. */
  readonly at: number;
  /** IANA zone the time was read in. */
  readonly zone: string;
}

/** Longest delay accepted: a year. */
export const MAX_AHEAD_MS = 366 * 86_400_000;

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const UNITS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
};

const EXAMPLES = "`at 09:00`, `at tomorrow 9:00`, `at monday 9:00`, `at 2026-12-01 09:00`, " +
  "`in 2h`, `in 30 min`";

/** `9`, `9:00`, `09:30`, `9am`, `9.30pm` -> hours and minutes. */
function parseClock(text: string): { hour: number; minute: number } | undefined {
  const m = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i.exec(text.trim());
  if (m === null) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  if (m[2] === undefined && m[3] === undefined) return undefined; // "9" alone is too vague
  const meridiem = m[3]?.toLowerCase();
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === "pm" ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return undefined;
  return { hour, minute };
}

/** Why a send time was refused, decided before any wording ({@link sendTimeProblem} words it). */
export type SendTimeRefusal =
  /** A date without a time: `at 2026-12-01`. `date` is as written. */
  | { readonly kind: "date_without_time"; readonly date: string }
  /** A date that does not exist: `2026-02-30`. */
  | { readonly kind: "no_such_date"; readonly date: string }
  /** Neither a time nor a day and a time. */
  | { readonly kind: "unreadable"; readonly expression: string }
  /** The wall-clock time falls into the hour skipped when the clocks go forward. */
  | { readonly kind: "skipped"; readonly wall: WallTime; readonly zone: string }
  /** The wall-clock time happens twice when the clocks go back. */
  | { readonly kind: "repeated"; readonly wall: WallTime; readonly zone: string }
  /** Already past; `dayNamed` false when only a time was given (tomorrow is suggested). */
  | {
    readonly kind: "past";
    readonly wall: WallTime;
    readonly zone: string;
    readonly dayNamed: boolean;
  }
  /** More than {@link MAX_AHEAD_MS} ahead. */
  | { readonly kind: "too_far"; readonly wall: WallTime }
  /** `in ...` that is not a list of numbers with units. */
  | { readonly kind: "unreadable_delay"; readonly text: string }
  | { readonly kind: "unknown_unit"; readonly unit: string }
  | { readonly kind: "zero_delay" }
  | { readonly kind: "delay_too_far" };

/**
 * Reads a send time. `expression` is what followed `at` (or the whole `in ...`); `now` and
 * `zone` are the moment and the sender's zone. Refusals are written for the sender.
 */
export function parseSendTime(
  expression: string,
  zone: string,
  now: number,
): Result<SendTime, Problem> {
  const decided = decideSendTime(expression, zone, now);
  return decided.ok ? decided : err(sendTimeProblem(decided.error));
}

/** {@link parseSendTime}'s decision, before any wording. */
export function decideSendTime(
  expression: string,
  zone: string,
  now: number,
): Result<SendTime, SendTimeRefusal> {
  const text = expression.trim().toLowerCase().replace(/\s+/g, " ");
  const relative = /^in (.+)$/.exec(text);
  if (relative !== null) return decideDelay(relative[1], zone, now);
  const clock = new WallClock(zone);
  const day = readDay(text, clock.read(now));
  if (!day.ok) return day;
  const time = parseClock(day.value.clockText);
  if (time === undefined) return err({ kind: "unreadable", expression: expression.trim() });
  let wall: WallTime = { ...day.value.date, ...time };
  let instants = clock.instantsOf(wall);
  // A weekday whose time has passed today means that weekday next week.
  if (day.value.weekdayToday && instants.length > 0 && instants[instants.length - 1] <= now) {
    wall = addDays(wall, 7);
    instants = clock.instantsOf(wall);
  }
  if (instants.length === 0) return err({ kind: "skipped", wall, zone });
  if (instants.length > 1) return err({ kind: "repeated", wall, zone });
  const at = instants[0];
  if (at <= now) return err({ kind: "past", wall, zone, dayNamed: day.value.dayNamed });
  if (at - now > MAX_AHEAD_MS) return err({ kind: "too_far", wall });
  return ok({ at, zone });
}

/** The day part of an `at ...` expression, and the text left for the clock. */
interface DayChoice {
  readonly date: WallTime;
  readonly clockText: string;
  /** False when only a time was given (today is assumed). */
  readonly dayNamed: boolean;
  /** A weekday was named and it is today: a time already past means next week. */
  readonly weekdayToday: boolean;
}

const DAY_WORDS =
  /^(today|tomorrow|sunday|monday|tuesday|wednesday|thursday|friday|saturday|sun|mon|tue|tues|wed|thu|thur|thurs|fri|sat)(?:,)? (?:at )?(.+)$/;

/** `2026-12-01 ...`, `tomorrow ...`, `monday ...`, or just a time (today). */
function readDay(text: string, today: WallReading): Result<
  DayChoice,
  SendTimeRefusal
> {
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t](.+))?$/.exec(text);
  if (iso !== null) {
    const [, y, mo, d, rest] = iso;
    if (rest === undefined) return err({ kind: "date_without_time", date: `${y}-${mo}-${d}` });
    const date = { year: Number(y), month: Number(mo), day: Number(d), hour: 0, minute: 0 };
    const check = new Date(Date.UTC(date.year, date.month - 1, date.day));
    if (check.getUTCMonth() + 1 !== date.month || check.getUTCDate() !== date.day) {
      return err({ kind: "no_such_date", date: `${y}-${mo}-${d}` });
    }
    return ok({ date, clockText: rest, dayNamed: true, weekdayToday: false });
  }
  const words = DAY_WORDS.exec(text);
  if (words === null) {
    return ok({ date: today, clockText: text, dayNamed: false, weekdayToday: false });
  }
  const [, day, clockText] = words;
  if (day === "today") return ok({ date: today, clockText, dayNamed: true, weekdayToday: false });
  if (day === "tomorrow") {
    return ok({ date: addDays(today, 1), clockText, dayNamed: true, weekdayToday: false });
  }
  const index = WEEKDAYS.findIndex((w) => w.startsWith(day.slice(0, 3)));
  const ahead = (index - today.weekday + 7) % 7;
  return ok({ date: addDays(today, ahead), clockText, dayNamed: true, weekdayToday: ahead === 0 });
}

/** `2h`, `30 min`, `1 day 2 hours`, `1h30m`, `45s`. */
function decideDelay(text: string, zone: string, now: number): Result<SendTime, SendTimeRefusal> {
  const ms = decideDuration(text);
  if (!ms.ok) return ms;
  if (ms.value > MAX_AHEAD_MS) return err({ kind: "delay_too_far" });
  return ok({ at: now + ms.value, zone });
}

/** Why a length of time (`2h`, `1 day 2 hours`) was refused. */
export type DurationRefusal = Extract<
  SendTimeRefusal,
  { kind: "unreadable_delay" | "unknown_unit" | "zero_delay" }
>;

/**
 * A length of time as the preview reads it (`2h`, `30 min`, `1 day 2 hours`, `1h30m`, `45s`),
 * in ms: the delay of `in ...` and of `remind after ...`. `text` is lowercase.
 */
export function decideDuration(text: string): Result<number, DurationRefusal> {
  const parts = [...text.matchAll(/(\d{1,6})\s*([a-z]+)/g)];
  const rest = text.replace(/(\d{1,6})\s*([a-z]+)/g, "").replace(/[\s,]|and/g, "");
  if (parts.length === 0 || rest !== "") return err({ kind: "unreadable_delay", text });
  let ms = 0;
  for (const [, n, unit] of parts) {
    // Own keys only: "in 2 constructor" names no unit.
    if (!Object.hasOwn(UNITS, unit)) return err({ kind: "unknown_unit", unit });
    const size = UNITS[unit];
    ms += Number(n) * size;
  }
  if (ms <= 0) return err({ kind: "zero_delay" });
  return ok(ms);
}

/** Whether a word is a unit of time (`h`, `minutes`, `days`). */
export function isTimeUnit(word: string): boolean {
  return Object.hasOwn(UNITS, word);
}

/** A refusal in the sender's words. */
export function sendTimeProblem(refusal: SendTimeRefusal): Problem {
  switch (refusal.kind) {
    case "date_without_time":
      return problem(
        `Which time on ${refusal.date}? Write it like \`at ${refusal.date} 09:00\`.`,
      );
    case "no_such_date":
      return problem(`There is no ${refusal.date}. Check the date (year-month-day).`);
    case "unreadable":
      return problem(
        `I can't read ${JSON.stringify(refusal.expression)} as a time. Examples: ${EXAMPLES}.`,
      );
    case "skipped":
      return problem(
        `${shown(refusal.wall)} does not exist in ${refusal.zone}: the clocks skip that hour ` +
          "for daylight saving time. Choose a time outside the skipped hour.",
      );
    case "repeated":
      return problem(
        `${shown(refusal.wall)} happens twice in ${refusal.zone}: the clocks go back an hour ` +
          "for daylight saving time, so it is ambiguous. Choose a time outside the repeated hour.",
      );
    case "past": {
      const { wall } = refusal;
      const hint = refusal.dayNamed ? "" : ` Did you mean \`at tomorrow ${wallTimeOfDay(wall)}\`?`;
      return problem(`${shown(wall)} (${refusal.zone}) is in the past.${hint}`);
    }
    case "too_far":
      return problem(
        `${shown(refusal.wall)} is more than a year ahead; I schedule up to a year in advance.`,
      );
    case "unreadable_delay":
      return problem(
        `I can't read "in ${refusal.text}" as a delay. Examples: \`in 2h\`, \`in 30 min\`, ` +
          "`in 1 day 2 hours`.",
      );
    case "unknown_unit":
      return problem(
        `"${refusal.unit}" is not a unit I know; use seconds, minutes, hours or days.`,
      );
    case "zero_delay":
      return problem("A delay of zero is now: answer `yes` to send it right away.");
    case "delay_too_far":
      return problem("That is more than a year ahead; I schedule up to a year.");
    default:
      return unreachable(refusal);
  }
}

/** `09:30 on 2026-12-01`. */
function shown(wall: WallTime): string {
  return `${wallTimeOfDay(wall)} on ${wallDate(wall)}`;
}

/**
 * The time said back unambiguously: "Monday 1 December 2026, 09:00 Europe/Berlin -- in 2 days
 * 18 hours".
 */
export function describeSendTime(time: SendTime, now: number): string {
  const date = new Intl.DateTimeFormat("en-GB", {
    timeZone: time.zone,
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  }).format(new Date(time.at)).replace(/^(\w+),? /, "$1 ");
  const wall = new WallClock(time.zone).read(time.at);
  return `${date}, ${wallTimeOfDay(wall)} ${time.zone} \u2014 ${fromNow(time.at - now)}`;
}

/** "in 2 days 18 hours", "in 30 minutes", "in 45 seconds". */
export function fromNow(ms: number): string {
  return `in ${describeDuration(ms, APPROXIMATE)}`;
}

/**
 * The zone a user's profile asks for (`timezone` of `GET /users/{id}`): the automatic zone
 * when `useAutomaticTimezone` is "true", else the manual one; undefined when unset or unknown.
 */
export function profileZone(
  timezone: Record<string, unknown> | undefined,
  isZone: (zone: string) => boolean,
): string | undefined {
  if (timezone === undefined || timezone === null) return undefined;
  const automatic = String(timezone.useAutomaticTimezone ?? "true") === "true";
  const zone = String((automatic ? timezone.automaticTimezone : timezone.manualTimezone) ?? "");
  return zone !== "" && isZone(zone) ? zone : undefined;
}
