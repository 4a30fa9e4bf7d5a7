import assert from "node:assert/strict";
import {
  addDays,
  fromWallEpoch,
  WallClock,
  wallDate,
  wallEpoch,
  wallTimeOfDay,
} from "./wall_clock.ts";

const HOUR = 3_600_000;
const berlin = new WallClock("Europe/Berlin");

/** Wall-clock reading of an instant, computed independently of the code under test. */
function shown(instant: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hourCycle: "h23",
    weekday: "short",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(instant));
}

Deno.test("instantsOf: none in a spring-forward gap, two in a repeated hour, else one", () => {
  // Europe/Berlin: 30 March 2025 02:00 -> 03:00; 26 October 2025 03:00 -> 02:00.
  assert.deepEqual(berlin.instantsOf({ year: 2025, month: 3, day: 30, hour: 2, minute: 30 }), []);
  const repeated = berlin.instantsOf({ year: 2025, month: 10, day: 26, hour: 2, minute: 30 });
  assert.deepEqual(repeated, [Date.UTC(2025, 9, 26, 0, 30), Date.UTC(2025, 9, 26, 1, 30)]);
  assert.equal(repeated[1] - repeated[0], HOUR);
  assert.deepEqual(berlin.instantsOf({ year: 2025, month: 1, day: 15, hour: 7, minute: 0 }), [
    Date.UTC(2025, 0, 15, 6, 0),
  ]);
  // Other zones change on other dates.
  const newYork = new WallClock("America/New_York");
  assert.deepEqual(newYork.instantsOf({ year: 2027, month: 3, day: 14, hour: 2, minute: 30 }), []);
  assert.equal(
    berlin.instantsOf({ year: 2027, month: 10, day: 31, hour: 2, minute: 30 }).length,
    2,
  );
});

Deno.test("instantsOf: a date or time that does not exist has no instant", () => {
  assert.deepEqual(berlin.instantsOf({ year: 2026, month: 2, day: 30, hour: 9, minute: 0 }), []);
  assert.deepEqual(berlin.instantsOf({ year: 2026, month: 3, day: 1, hour: 24, minute: 0 }), []);
  assert.deepEqual(berlin.instantsOf({ year: 2026, month: 13, day: 1, hour: 9, minute: 0 }), []);
});

Deno.test("read: what the zone's clocks show, to the minute, with the weekday", () => {
  const instant = Date.UTC(2025, 9, 26, 1, 30, 59);
  assert.deepEqual(berlin.read(instant), {
    year: 2025,
    month: 10,
    day: 26,
    hour: 2,
    minute: 30,
    weekday: 0,
  });
  assert.equal(shown(instant, "Europe/Berlin"), "Sun, 26/10/2025, 02:30");
  assert.equal(new WallClock("Asia/Kathmandu").read(Date.UTC(2025, 0, 1, 0, 0)).minute, 45);
});

Deno.test("read and instantsOf agree on every minute around both changes of a year", () => {
  for (const zone of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]) {
    const clock = new WallClock(zone);
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2026, 0, 1); t += 31 * 60_000) {
      const wall = clock.read(t);
      const minute = Math.floor(t / 60_000) * 60_000;
      assert.ok(clock.instantsOf(wall).includes(minute), `${zone} ${new Date(t).toISOString()}`);
    }
  }
});

Deno.test("wall times as numbers, days added, and written out", () => {
  const wall = { year: 2026, month: 12, day: 31, hour: 9, minute: 5 };
  assert.equal(wallEpoch(wall), Date.UTC(2026, 11, 31, 9, 5));
  assert.deepEqual(fromWallEpoch(wallEpoch(wall)), { ...wall, weekday: 4 });
  assert.deepEqual(addDays(wall, 1), { year: 2027, month: 1, day: 1, hour: 9, minute: 5 });
  assert.deepEqual(addDays({ ...wall, month: 2, day: 28 }, 1), { ...wall, month: 3, day: 1 });
  assert.equal(wallDate(wall), "2026-12-31");
  assert.equal(wallTimeOfDay(wall), "09:05");
});
