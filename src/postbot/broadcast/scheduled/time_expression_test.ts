import assert from "node:assert/strict";
import { describeProblem, isTimeZone } from "@postbot/framework";
import {
  decideSendTime,
  describeSendTime,
  parseSendTime,
  profileZone,
  sendTimeProblem,
} from "./time_expression.ts";

const BERLIN = "Europe/Berlin";
/** Monday 30 November 2026, 14:00 in Berlin (13:00 UTC). */
const NOW = Date.UTC(2026, 10, 30, 13, 0);

function at(expression: string, zone = BERLIN, now = NOW): number {
  const r = parseSendTime(expression, zone, now);
  if (!r.ok) assert.fail(`${expression}: ${describeProblem(r.error)}`);
  return r.value.at;
}

function refused(expression: string, zone = BERLIN, now = NOW): string {
  const r = parseSendTime(expression, zone, now);
  assert.ok(!r.ok, `${expression} should be refused`);
  return describeProblem(r.error);
}

Deno.test("parseSendTime: the forms of the issue, in the sender's zone", () => {
  assert.equal(at("17:30"), Date.UTC(2026, 10, 30, 16, 30));
  assert.equal(at("tomorrow 9:00"), Date.UTC(2026, 11, 1, 8, 0));
  assert.equal(at("wednesday 9:00"), Date.UTC(2026, 11, 2, 8, 0));
  assert.equal(at("2026-12-01 09:00"), Date.UTC(2026, 11, 1, 8, 0));
  assert.equal(at("in 2h"), NOW + 2 * 3_600_000);
  assert.equal(at("in 30 min"), NOW + 30 * 60_000);
  assert.equal(at("in 1 day 2 hours"), NOW + 26 * 3_600_000);
  assert.equal(at("in 45s"), NOW + 45_000);
  assert.equal(at("tomorrow 9am"), Date.UTC(2026, 11, 1, 8, 0));
  assert.equal(at("tomorrow 9:15pm"), Date.UTC(2026, 11, 1, 20, 15));
  // The same words in another zone are another instant.
  assert.equal(at("tomorrow 9:00", "America/New_York"), Date.UTC(2026, 11, 1, 14, 0));
});

Deno.test("parseSendTime: a weekday that is today and has passed means next week", () => {
  assert.equal(at("monday 9:00"), Date.UTC(2026, 11, 7, 8, 0));
  assert.equal(at("monday 15:00"), Date.UTC(2026, 10, 30, 14, 0));
});

Deno.test("parseSendTime: past, unreadable and too far ahead are refused clearly", () => {
  assert.match(refused("09:00"), /in the past\. Did you mean `at tomorrow 09:00`/);
  assert.match(refused("2026-11-01 09:00"), /in the past/);
  assert.match(refused("today 10:00"), /in the past/);
  assert.match(refused("soonish"), /can't read "soonish" as a time/);
  assert.match(refused("25:00"), /can't read/);
  assert.match(refused("9"), /can't read/);
  assert.match(refused("2026-02-30 09:00"), /There is no 2026-02-30/);
  assert.match(refused("2026-12-01"), /Which time/);
  assert.match(refused("in 3 fortnights"), /not a unit/);
  assert.match(refused("in 0 min"), /zero is now/);
  assert.match(refused("in lots"), /can't read/);
  assert.match(refused("2028-01-01 09:00"), /more than a year ahead/);
});

Deno.test("parseSendTime: daylight saving gaps and overlaps are refused, not guessed", () => {
  // Europe/Berlin: 29 March 2026 02:00 → 03:00; 25 October 2026 03:00 → 02:00.
  const spring = refused("2027-03-28 02:30", BERLIN, NOW);
  assert.match(spring, /does not exist in Europe\/Berlin.*skip/);
  const autumn = refused("2027-10-31 02:30", BERLIN, NOW);
  assert.match(autumn, /happens twice in Europe\/Berlin.*ambiguous/);
  // Either side of the change is fine and exact.
  assert.equal(at("2027-03-28 03:30"), Date.UTC(2027, 2, 28, 1, 30));
  assert.equal(at("2027-10-31 03:30"), Date.UTC(2027, 9, 31, 2, 30));
  // America/New_York changes at other dates: 14 March 2027 02:30 does not exist there.
  assert.match(refused("2027-03-14 02:30", "America/New_York"), /does not exist/);
  assert.equal(at("2027-03-28 02:30", "America/New_York"), Date.UTC(2027, 2, 28, 6, 30));
});

Deno.test("describeSendTime repeats date, time and zone, and how far ahead", () => {
  const time = { at: Date.UTC(2026, 11, 3, 8, 0), zone: BERLIN };
  assert.equal(
    describeSendTime(time, Date.UTC(2026, 10, 30, 14, 0)),
    "Thursday 3 December 2026, 09:00 Europe/Berlin — in 2 days 18 hours",
  );
});

Deno.test("profileZone reads the automatic or the manual zone of a profile", () => {
  assert.equal(
    profileZone(
      { useAutomaticTimezone: "true", automaticTimezone: "Asia/Tokyo", manualTimezone: "" },
      isTimeZone,
    ),
    "Asia/Tokyo",
  );
  assert.equal(
    profileZone(
      { useAutomaticTimezone: "false", automaticTimezone: "Asia/Tokyo", manualTimezone: BERLIN },
      isTimeZone,
    ),
    BERLIN,
  );
  assert.equal(
    profileZone({ useAutomaticTimezone: "true", automaticTimezone: "" }, isTimeZone),
    undefined,
  );
  assert.equal(
    profileZone({ useAutomaticTimezone: "false", manualTimezone: "Mars/Base" }, isTimeZone),
    undefined,
  );
  assert.equal(profileZone(undefined, isTimeZone), undefined);
});

Deno.test("decideSendTime: each refusal is a typed outcome, worded separately", () => {
  const kind = (expression: string) => {
    const r = decideSendTime(expression, BERLIN, NOW);
    return r.ok ? "ok" : r.error.kind;
  };
  assert.equal(kind("2026-12-01"), "date_without_time");
  assert.equal(kind("2026-02-30 09:00"), "no_such_date");
  assert.equal(kind("soonish"), "unreadable");
  assert.equal(kind("2027-03-28 02:30"), "skipped");
  assert.equal(kind("2027-10-31 02:30"), "repeated");
  assert.equal(kind("09:00"), "past");
  assert.equal(kind("2028-01-01 09:00"), "too_far");
  assert.equal(kind("in lots"), "unreadable_delay");
  assert.equal(kind("in 3 fortnights"), "unknown_unit");
  // Names an object has of its own prototype are no units (they gave a time of NaN).
  assert.equal(kind("in 2 constructor"), "unknown_unit");
  assert.equal(kind("in 0 min"), "zero_delay");
  assert.equal(kind("in 400 days"), "delay_too_far");
  assert.equal(kind("tomorrow 9:00"), "ok");
  const past = decideSendTime("09:00", BERLIN, NOW);
  assert.ok(!past.ok);
  assert.deepEqual(sendTimeProblem(past.error), {
    message: "09:00 on 2026-11-30 (Europe/Berlin) is in the past. Did you mean " +
      "`at tomorrow 09:00`?",
  });
});
