import assert from "node:assert/strict";
import { APPROXIMATE, describeDuration, MEASURED, SETTING } from "./duration.ts";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

Deno.test("SETTING: a configured length reads as it was set, at every scale", () => {
  const said = (ms: number) => describeDuration(ms, SETTING);
  assert.equal(said(0), "0 seconds");
  assert.equal(said(1 * SECOND), "1 second");
  assert.equal(said(90 * SECOND), "90 seconds");
  assert.equal(said(10 * MINUTE), "10 minutes");
  assert.equal(said(1 * HOUR), "60 minutes");
  assert.equal(said(90 * MINUTE), "90 minutes");
  assert.equal(said(2 * HOUR), "2 hours");
  assert.equal(said(1 * DAY), "24 hours");
  assert.equal(said(3 * DAY), "3 days");
  // What one unit cannot say exactly gets a second one.
  assert.equal(said(150 * SECOND), "2 minutes 30 seconds");
  assert.equal(said(2 * HOUR + 30 * MINUTE), "2 hours 30 minutes");
});

Deno.test("APPROXIMATE: two units at most, to the minute from a minute on", () => {
  const said = (ms: number) => describeDuration(ms, APPROXIMATE);
  assert.equal(said(5 * SECOND), "5 seconds");
  assert.equal(said(30 * MINUTE), "30 minutes");
  assert.equal(said(HOUR + MINUTE), "1 hour 1 minute");
  assert.equal(said(2 * DAY + 18 * HOUR), "2 days 18 hours");
  assert.equal(said(5 * MINUTE + 3 * SECOND), "5 minutes", "seconds are dropped past a minute");
  assert.equal(said(90 * SECOND), "2 minutes");
  // Rounding carries into the larger unit rather than saying "60 seconds".
  assert.equal(said(59_600), "1 minute");
  assert.equal(said(2 * DAY + 23 * HOUR + 50 * MINUTE), "3 days");
});

Deno.test("MEASURED: short units down to the millisecond", () => {
  const said = (ms: number) => describeDuration(ms, MEASURED);
  assert.equal(said(0), "0 ms");
  assert.equal(said(850), "850 ms");
  assert.equal(said(849.6), "850 ms");
  assert.equal(said(1_234), "1 s 234 ms");
  assert.equal(said(5 * SECOND), "5 s");
  assert.equal(said(3 * MINUTE + 5 * SECOND + 400), "3 min 5 s");
  assert.equal(said(2 * HOUR + 3 * MINUTE), "2 h 3 min");
});

Deno.test("a negative or non-finite length is worded as nothing", () => {
  assert.equal(describeDuration(-5 * SECOND, SETTING), "0 seconds");
  assert.equal(describeDuration(Number.NaN, MEASURED), "0 ms");
  assert.equal(describeDuration(Number.POSITIVE_INFINITY, APPROXIMATE), "0 seconds");
});
