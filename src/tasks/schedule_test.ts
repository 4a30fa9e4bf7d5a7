import assert from "node:assert/strict";
import fc from "fast-check";
import { WallClock } from "@postbot/framework";
import { type CronSchedule, parseCron, WallClockSchedule } from "./schedule.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function cron(expression: string): CronSchedule {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.value;
}

/** Wall-clock reading of an instant, computed independently of the code under test. */
function wall(instant: number, timeZone: string) {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hourCycle: "h23",
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
  for (const p of format.formatToParts(new Date(instant))) parts[p.type] = p.value;
  return {
    weekday: parts.weekday,
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

/**
 * Ticks once a minute (at `jitterMs` after each UTC minute) from `from` to `to` and returns
 * the instants (minute-aligned) at which each task was due.
 */
function simulate(
  schedules: Record<string, string>,
  timeZone: string,
  from: string,
  to: string,
  options: { jitterMs?: number; skip?: (minute: number) => boolean } = {},
): Map<string, number[]> {
  const start = Date.parse(from);
  const end = Date.parse(to);
  const entries = new Map(Object.entries(schedules).map(([n, e]) => [n, cron(e)]));
  const schedule = new WallClockSchedule(entries, timeZone, new Date(start));
  const runs = new Map<string, number[]>(Object.keys(schedules).map((n) => [n, []]));
  for (let t = Math.ceil(start / MINUTE) * MINUTE; t <= end; t += MINUTE) {
    if (options.skip?.(t)) continue;
    for (const name of schedule.due(new Date(t + (options.jitterMs ?? 0)))) {
      runs.get(name)!.push(t);
    }
  }
  return runs;
}

Deno.test("parseCron accepts five fields and nicknames, and says what is wrong otherwise", () => {
  assert.equal(parseCron("0 7 * * 1").ok, true);
  assert.equal(parseCron(" 0 7 * * MON-FRI ").ok, true);
  assert.equal(parseCron("@daily").ok, true);
  const cases: [string, RegExp][] = [
    ["61 * * * *", /not a valid cron expression.*minute/],
    ["* * * *", /has 4 fields.*needs 5/],
    ["0 0 7 * * 1", /has 6 fields/],
    ["", /has 0 fields/],
    ["0 0 ? * *", /"\?" is not supported/],
    ["0 0 31 2 *", /never matches/],
    ["@reboot", /not supported/],
    ["0 7 * * funday", /not a valid cron expression/],
  ];
  for (const [expression, message] of cases) {
    const parsed = parseCron(expression);
    assert.equal(parsed.ok, false, expression);
    if (!parsed.ok) assert.match(parsed.error.message, message, expression);
  }
});

Deno.test("parseCron marks schedules with a wildcard minute or hour as following real time", () => {
  assert.equal(cron("0 * * * *").wildcard, true);
  assert.equal(cron("*/15 * * * *").wildcard, true);
  assert.equal(cron("@hourly").wildcard, true);
  assert.equal(cron("30 2 * * *").wildcard, false);
  assert.equal(cron("0 7 * * 1").wildcard, false);
});

Deno.test("0 7 * * 1 in Europe/Berlin runs at 07:00 local, once, across both DST changes", () => {
  for (
    const [from, to] of [
      ["2025-03-20T00:00:00Z", "2025-04-10T00:00:00Z"],
      ["2025-10-20T00:00:00Z", "2025-11-10T00:00:00Z"],
    ]
  ) {
    const runs = simulate({ weekly: "0 7 * * 1" }, "Europe/Berlin", from, to).get("weekly")!;
    assert.equal(runs.length, 3, `${from}: ${runs.map((r) => new Date(r).toISOString())}`);
    for (const r of runs) {
      assert.deepEqual(
        { weekday: wall(r, "Europe/Berlin").weekday, time: wall(r, "Europe/Berlin").time },
        { weekday: "Mon", time: "07:00" },
      );
    }
    // One run each week: winter and summer offsets differ, the local time does not.
    const offsets = new Set(runs.map((r) => new Date(r).getUTCHours()));
    assert.equal(offsets.size, 2, "the run moved in UTC with the DST change");
  }
});

Deno.test("a time in the spring-forward gap runs once, at the first minute after the jump", () => {
  const runs = simulate(
    { skipped: "30 2 * * *", edge: "0 2 * * *" },
    "Europe/Berlin",
    "2025-03-29T00:00:00Z",
    "2025-03-31T12:00:00Z",
  );
  for (const name of ["skipped", "edge"]) {
    const list = runs.get(name)!;
    assert.equal(list.length, 3, name);
    const jumpDay = list.filter((r) => wall(r, "Europe/Berlin").date === "2025-03-30");
    assert.equal(jumpDay.length, 1, name);
    assert.equal(wall(jumpDay[0], "Europe/Berlin").time, "03:00", name);
  }
});

Deno.test("a fixed time in the repeated hour runs once; wildcard schedules follow real time", () => {
  const runs = simulate(
    { fixed: "30 2 * * *", hourly: "0 * * * *", quarter: "*/15 * * * *" },
    "Europe/Berlin",
    "2025-10-25T12:00:00Z",
    "2025-10-26T12:00:00Z",
  );
  const fixed = runs.get("fixed")!;
  assert.equal(fixed.length, 1);
  assert.equal(wall(fixed[0], "Europe/Berlin").time, "02:30");
  // The first 02:30 (summer time) is the one that runs, as cron does.
  const both = new WallClock("Europe/Berlin")
    .instantsOf({ year: 2025, month: 10, day: 26, hour: 2, minute: 30 });
  assert.equal(fixed[0], both[0]);
  const hourly = runs.get("hourly")!;
  assert.equal(hourly.length, 24, "one run per real hour, both 02:00s included");
  for (let i = 1; i < hourly.length; i++) assert.equal(hourly[i] - hourly[i - 1], HOUR);
  const quarter = runs.get("quarter")!;
  for (let i = 1; i < quarter.length; i++) assert.equal(quarter[i] - quarter[i - 1], 15 * MINUTE);
});

Deno.test("wildcard schedules run once per real hour on the spring-forward day", () => {
  const hourly = simulate(
    { hourly: "0 * * * *" },
    "Europe/Berlin",
    "2025-03-29T12:00:00Z",
    "2025-03-30T12:00:00Z",
  ).get("hourly")!;
  assert.equal(hourly.length, 24);
  for (let i = 1; i < hourly.length; i++) assert.equal(hourly[i] - hourly[i - 1], HOUR);
});

Deno.test("DST bridging works in other zones: New York, and Lord Howe's 30-minute shift", () => {
  const ny = simulate(
    { gap: "30 2 * * *", repeat: "30 1 * * *" },
    "America/New_York",
    "2025-03-08T12:00:00Z",
    "2025-03-10T12:00:00Z",
  );
  const gapDay = ny.get("gap")!.filter((r) => wall(r, "America/New_York").date === "2025-03-09");
  assert.equal(gapDay.length, 1);
  assert.equal(wall(gapDay[0], "America/New_York").time, "03:00");
  const fall = simulate(
    { repeat: "30 1 * * *" },
    "America/New_York",
    "2025-11-01T12:00:00Z",
    "2025-11-03T12:00:00Z",
  ).get("repeat")!;
  assert.equal(fall.length, 2);
  for (const r of fall) assert.equal(wall(r, "America/New_York").time, "01:30");
  const lordHowe = simulate(
    { gap: "15 2 * * *" },
    "Australia/Lord_Howe",
    "2025-10-04T00:00:00Z",
    "2025-10-06T00:00:00Z",
  ).get("gap")!;
  assert.equal(lordHowe.length, 2);
  assert.deepEqual(
    lordHowe.map((r) => wall(r, "Australia/Lord_Howe").time).sort(),
    ["02:15", "02:30"],
  );
});

Deno.test("ticks that are early, late or missed still run each task once", () => {
  const expected = simulate(
    { t: "*/10 * * * *" },
    "UTC",
    "2025-05-01T00:00:00Z",
    "2025-05-01T02:00:00Z",
  )
    .get("t")!;
  for (const jitterMs of [-1_500, 20_000]) {
    const runs = simulate(
      { t: "*/10 * * * *" },
      "UTC",
      "2025-05-01T00:00:00Z",
      "2025-05-01T02:00:00Z",
      { jitterMs },
    ).get("t")!;
    assert.deepEqual(runs, expected, `jitter ${jitterMs}`);
  }
  // Ticks lost for five minutes: the run they covered happens at the next tick, once.
  const lost = simulate(
    { t: "*/10 * * * *" },
    "UTC",
    "2025-05-01T00:00:00Z",
    "2025-05-01T02:00:00Z",
    {
      skip: (t) =>
        t >= Date.parse("2025-05-01T00:19:00Z") && t < Date.parse("2025-05-01T00:24:00Z"),
    },
  ).get("t")!;
  assert.equal(lost.length, expected.length);
  assert.ok(lost.includes(Date.parse("2025-05-01T00:24:00Z")));
});

Deno.test("a long outage is not replayed, and a repeated tick does not run twice", () => {
  const runs = simulate({ t: "0 * * * *" }, "UTC", "2025-05-01T00:00:00Z", "2025-05-01T12:00:00Z", {
    skip: (t) => t > Date.parse("2025-05-01T01:30:00Z") && t < Date.parse("2025-05-01T08:30:00Z"),
  }).get("t")!;
  assert.deepEqual(
    runs.map((r) => new Date(r).getUTCHours()),
    [1, 9, 10, 11, 12],
  );
  const schedule = new WallClockSchedule(
    new Map([["t", cron("* * * * *")]]),
    "UTC",
    new Date("2025-05-01T00:00:30Z"),
  );
  assert.deepEqual(schedule.due(new Date("2025-05-01T00:01:00Z")), ["t"]);
  assert.deepEqual(schedule.due(new Date("2025-05-01T00:01:00.500Z")), []);
});

Deno.test("nextRun predicts the tick at which the task becomes due", () => {
  const zones = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"];
  const expressions = [
    "0 7 * * 1",
    "30 2 * * *",
    "0 * * * *",
    "*/20 1-3 * * *",
    "45 0 * * *",
    "0 0 1 * *",
  ];
  // Instants around the 2025 DST changes of these zones, and ordinary ones.
  const starts = [
    "2025-03-29T20:00:00Z",
    "2025-03-08T20:00:00Z",
    "2025-10-04T10:00:00Z",
    "2025-10-25T22:00:00Z",
    "2025-11-01T20:00:00Z",
    "2025-06-15T12:00:00Z",
  ].map(Date.parse);
  fc.assert(
    fc.property(
      fc.constantFrom(...zones),
      fc.constantFrom(...expressions),
      fc.constantFrom(...starts),
      fc.integer({ min: 0, max: 6 * 60 }),
      (zone, expression, base, offsetMinutes) => {
        const start = base + offsetMinutes * MINUTE + 17_000;
        const entries = new Map([["t", cron(expression)]]);
        const predicted = new WallClockSchedule(entries, zone, new Date(start))
          .nextRun("t", new Date(start));
        const schedule = new WallClockSchedule(entries, zone, new Date(start));
        const limit = start + 40 * 24 * HOUR;
        for (let t = Math.ceil(start / MINUTE) * MINUTE; t < limit; t += MINUTE) {
          if (schedule.due(new Date(t)).length > 0) {
            assert.equal(predicted?.toISOString(), new Date(t).toISOString());
            return;
          }
        }
        assert.fail(`no run within 40 days for ${expression} in ${zone}`);
      },
    ),
    {
      numRuns: 100,
      // Found by this property: an hourly schedule inside Berlin's repeated hour.
      examples: [
        ["Europe/Berlin", "0 * * * *", Date.parse("2025-10-25T22:00:00Z"), 120],
        // And a later minute's first pass before an earlier minute's second one.
        ["Europe/Berlin", "*/20 1-3 * * *", Date.parse("2025-10-25T22:00:00Z"), 120],
      ],
    },
  );
});
