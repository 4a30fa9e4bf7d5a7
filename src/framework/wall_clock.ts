/**
 * Wall-clock time in an IANA time zone, daylight saving time included: what the clocks there
 * show at an instant, and at which instants they show a given time -- none in the hour skipped
 * when clocks go forward, two in the hour repeated when they go back. The one place for that
 * arithmetic: send-later times and scheduled tasks both read it here.
 *
 * Built on `Temporal`, which reads the zone rules without loading ICU's locale and calendar data
 * (`Intl.DateTimeFormat` does: about 5 MB resident). No imports.
 *
 * @module
 */

/** A calendar date and a time of day to the minute, as people write them (no zone). */
export interface WallTime {
  readonly year: number;
  /** 1 to 12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** A wall time as read off a clock, with its day of the week (0 Sunday to 6 Saturday). */
export interface WallReading extends WallTime {
  readonly weekday: number;
}

/** Wall-clock arithmetic in one IANA time zone (the name is checked by the caller). */
export class WallClock {
  /** The IANA name of the zone, e.g. `Europe/Berlin`. */
  readonly timeZone: string;

  constructor(timeZone: string) {
    this.timeZone = timeZone;
  }

  /** What the zone's clocks show at `instant` (epoch ms), to the minute. */
  read(instant: number): WallReading {
    const zoned = Temporal.Instant.fromEpochMilliseconds(Math.floor(instant))
      .toZonedDateTimeISO(this.timeZone);
    return {
      year: zoned.year,
      month: zoned.month,
      day: zoned.day,
      hour: zoned.hour,
      minute: zoned.minute,
      weekday: zoned.dayOfWeek % 7,
    };
  }

  /**
   * The instants (epoch ms, ascending) at which the zone's clocks show `wall`: none in a
   * spring-forward gap (or for a date that does not exist), two in a fall-back overlap, one
   * otherwise.
   */
  instantsOf(wall: WallTime): number[] {
    const found = new Set<number>();
    try {
      const { year, month, day, hour, minute } = wall;
      const local = Temporal.PlainDateTime.from({ year, month, day, hour, minute }, {
        overflow: "reject",
      });
      for (const disambiguation of ["earlier", "later"] as const) {
        const zoned = local.toZonedDateTime(this.timeZone, { disambiguation });
        if (zoned.toPlainDateTime().equals(local)) found.add(zoned.epochMilliseconds);
      }
    } catch (e) {
      // No such date or time (February 30, 24:00), or one outside Temporal's range.
      if (!(e instanceof RangeError)) throw e;
    }
    return [...found].sort((a, b) => a - b);
  }
}

/**
 * `wall` as the epoch ms of the same reading in UTC: a number that orders wall times and steps
 * them by the minute, as cron matching on naive times needs (see {@link fromWallEpoch}).
 */
export function wallEpoch(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
}

/** The wall time whose {@link wallEpoch} is `epoch` (seconds dropped). */
export function fromWallEpoch(epoch: number): WallReading {
  const date = new Date(epoch);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    weekday: date.getUTCDay(),
  };
}

/** `wall` moved by whole calendar days (no zone involved: the clock time stays). */
export function addDays(wall: WallTime, days: number): WallTime {
  const moved = fromWallEpoch(wallEpoch(wall) + days * 86_400_000);
  return {
    year: moved.year,
    month: moved.month,
    day: moved.day,
    hour: wall.hour,
    minute: wall.minute,
  };
}

/** `2026-12-01`. */
export function wallDate(wall: WallTime): string {
  return `${wall.year}-${twoDigits(wall.month)}-${twoDigits(wall.day)}`;
}

/** `09:30`. */
export function wallTimeOfDay(wall: WallTime): string {
  return `${twoDigits(wall.hour)}:${twoDigits(wall.minute)}`;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, "0");
}
