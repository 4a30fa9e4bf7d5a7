/**
 * How long something is, in words: the one rule for every reply and log line that says it
 * ("within 60 minutes", "in 2 days 18 hours", "finished in 1 s 234 ms"). A caller picks a
 * {@link DurationWording} (how many units, down to which, from when a unit is used); the units,
 * their plurals and the rounding are decided here.
 *
 * The words are written out rather than asked of `Intl.DurationFormat` (which Deno has): its
 * first use loads ICU's number and unit data, about 5 MB resident on top of a bot that has only
 * compared channel names, and it puts a comma between units ("2 days, 18 hours"). No imports.
 *
 * @module
 */

/** A unit a duration is counted in. */
export type DurationUnit = "day" | "hour" | "minute" | "second" | "millisecond";

/** The units, largest first, with their length and short name. */
const UNITS: readonly {
  readonly unit: DurationUnit;
  readonly ms: number;
  readonly short: string;
}[] = [
  { unit: "day", ms: 86_400_000, short: "d" },
  { unit: "hour", ms: 3_600_000, short: "h" },
  { unit: "minute", ms: 60_000, short: "min" },
  { unit: "second", ms: 1_000, short: "s" },
  { unit: "millisecond", ms: 1, short: "ms" },
];

const SECOND = UNITS.findIndex((u) => u.unit === "second");

/** How a duration is worded. */
export interface DurationWording {
  /** Units named at most, largest first; the duration is rounded to the last one named. */
  readonly units: number;
  /** The smallest unit named; a duration shorter than one of it is named in seconds. */
  readonly smallest: DurationUnit;
  /** A unit is used from this many of it on: 2 says "90 minutes", 1 "1 hour 30 minutes". */
  readonly from: number;
  /** `long`: "3 minutes 5 seconds"; `short`: "3 min 5 s". */
  readonly style: "long" | "short";
}

/**
 * A length someone configured (an undo window, a time-to-live): to the second, a unit from two
 * of it on, so round settings read as set: "90 seconds", "60 minutes", "24 hours", "3 days".
 */
export const SETTING: DurationWording = { units: 2, smallest: "second", from: 2, style: "long" };

/**
 * How far off a moment is: to the minute once it is a minute or more, two units at most:
 * "2 days 18 hours", "1 hour 1 minute", "40 seconds".
 */
export const APPROXIMATE: DurationWording = {
  units: 2,
  smallest: "minute",
  from: 1,
  style: "long",
};

/** How long something took (a task run, a time limit): "850 ms", "1 s 234 ms", "3 min 5 s". */
export const MEASURED: DurationWording = {
  units: 2,
  smallest: "millisecond",
  from: 1,
  style: "short",
};

/** `ms` milliseconds in words, as `wording` says (a negative or non-finite length is 0). */
export function describeDuration(ms: number, wording: DurationWording): string {
  let total = Number.isFinite(ms) ? Math.max(0, ms) : 0;
  let span = unitSpan(total, wording);
  // Rounding can carry into a larger unit (59.6 s is 1 minute): choose the units again.
  for (let i = 0; i < 3; i++) {
    total = Math.round(total / UNITS[span.last].ms) * UNITS[span.last].ms;
    const again = unitSpan(total, wording);
    if (again.first === span.first && again.last === span.last) break;
    span = again;
  }
  const parts: string[] = [];
  let rest = total;
  for (let i = span.first; i <= span.last; i++) {
    const count = Math.floor(rest / UNITS[i].ms);
    rest -= count * UNITS[i].ms;
    if (count > 0) parts.push(unitText(count, i, wording.style));
  }
  return parts.length > 0 ? parts.join(" ") : unitText(0, span.first, wording.style);
}

/** The first (largest) and last unit `total` is named in (indexes into {@link UNITS}). */
function unitSpan(total: number, wording: DurationWording): { first: number; last: number } {
  const smallest = UNITS.findIndex((u) => u.unit === wording.smallest);
  let first = UNITS.findIndex((u, i) => i <= smallest && total >= wording.from * u.ms);
  if (first === -1) first = total < UNITS[smallest].ms ? Math.max(smallest, SECOND) : smallest;
  if (first > smallest) return { first, last: first };
  return { first, last: Math.min(first + wording.units - 1, smallest) };
}

function unitText(count: number, index: number, style: DurationWording["style"]): string {
  const { unit, short } = UNITS[index];
  return style === "short" ? `${count} ${short}` : `${count} ${unit}${count === 1 ? "" : "s"}`;
}
