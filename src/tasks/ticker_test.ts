import assert from "node:assert/strict";
import { clockTicker, type CronFunction, cronTicker, type TimerClock } from "./ticker.ts";

/** A clock whose time only moves when the test says so; timers fire in order as it passes them. */
class FakeClock implements TimerClock {
  readonly #timers = new Map<number, { at: number; fn: () => void }>();
  #nextId = 0;

  constructor(private current: number) {}

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.#nextId;
    this.#timers.set(id, { at: this.current + ms, fn });
    return () => this.#timers.delete(id);
  }

  /** Timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward to `until`, firing every timer that falls due on the way. */
  advanceTo(until: number): void {
    for (;;) {
      const due = [...this.#timers].filter(([, t]) => t.at <= until)
        .sort(([, a], [, b]) => a.at - b.at)[0];
      if (!due) break;
      const [id, timer] = due;
      this.#timers.delete(id);
      this.current = timer.at;
      timer.fn();
    }
    this.current = until;
  }
}

/** Stands in for `Deno.cron`: records registrations; `minute()` plays one minute boundary. */
class FakeCron {
  readonly registrations: {
    name: string;
    schedule: string;
    signal: AbortSignal;
    handler: () => void;
  }[] = [];

  readonly cron: CronFunction = (name, schedule, options, handler) => {
    this.registrations.push({ name, schedule, signal: options.signal, handler });
    // Like Deno.cron: the promise settles when the signal closes the job.
    return new Promise((resolve) => {
      options.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  };

  /** Like Deno.cron at a minute boundary: runs every job whose signal has not aborted. */
  minute(): void {
    for (const r of this.registrations) if (!r.signal.aborted) r.handler();
  }
}

const START = Date.UTC(2030, 0, 7, 12, 0, 30); // 12:00:30 UTC, half-way through a minute
const minute = (n: number) => Date.UTC(2030, 0, 7, 12, n, 0);

Deno.test("cron ticker: registers once a minute, ticks until aborted and never after", () => {
  const fake = new FakeCron();
  let ticks = 0;
  const controller = new AbortController();
  cronTicker(fake.cron)(() => ticks++, controller.signal);
  assert.equal(fake.registrations.length, 1);
  assert.equal(fake.registrations[0].schedule, "* * * * *");
  fake.minute();
  fake.minute();
  assert.equal(ticks, 2);
  controller.abort();
  for (let i = 0; i < 5; i++) fake.minute();
  assert.equal(ticks, 2, "a tick arrived after the ticker was aborted");
});

Deno.test("cron ticker: a failing tick is logged and the next minute still ticks", () => {
  const fake = new FakeCron();
  let calls = 0;
  const controller = new AbortController();
  cronTicker(fake.cron)(() => {
    calls++;
    if (calls === 1) throw new Error("task store unavailable");
  }, controller.signal);
  fake.minute();
  fake.minute();
  assert.equal(calls, 2);
  controller.abort();
});

Deno.test("cron ticker: without Deno.cron it runs on the fallback ticker", () => {
  const clock = new FakeClock(START);
  const ticks: number[] = [];
  const controller = new AbortController();
  cronTicker(undefined, clockTicker(clock))(() => ticks.push(clock.now()), controller.signal);
  clock.advanceTo(minute(2));
  assert.deepEqual(ticks, [minute(1), minute(2)]);
  controller.abort();
  clock.advanceTo(minute(9));
  assert.deepEqual(ticks, [minute(1), minute(2)]);
});

Deno.test("timer ticker: ticks at each minute's start until aborted and never after", () => {
  const clock = new FakeClock(START);
  const ticks: number[] = [];
  const controller = new AbortController();
  clockTicker(clock)(() => ticks.push(clock.now()), controller.signal);
  clock.advanceTo(minute(1) - 1);
  assert.deepEqual(ticks, []);
  clock.advanceTo(minute(3));
  assert.deepEqual(ticks, [minute(1), minute(2), minute(3)]);
  controller.abort();
  assert.equal(clock.pending, 0, "the timer was not cancelled");
  clock.advanceTo(minute(10));
  assert.deepEqual(ticks, [minute(1), minute(2), minute(3)], "a tick arrived after abort");
});

Deno.test("timer ticker: aborting during a tick, or before starting, leaves no timer", () => {
  const clock = new FakeClock(START);
  const controller = new AbortController();
  let ticks = 0;
  clockTicker(clock)(() => {
    ticks++;
    controller.abort();
  }, controller.signal);
  clock.advanceTo(minute(5));
  assert.equal(ticks, 1);
  assert.equal(clock.pending, 0);

  const aborted = AbortSignal.abort();
  clockTicker(clock)(() => ticks++, aborted);
  assert.equal(clock.pending, 0);
  clock.advanceTo(minute(8));
  assert.equal(ticks, 1);
});

Deno.test("timer ticker: a failing tick is logged and the next minute still ticks", () => {
  const clock = new FakeClock(START);
  const controller = new AbortController();
  let calls = 0;
  clockTicker(clock)(() => {
    calls++;
    if (calls === 1) throw new Error("task store unavailable");
  }, controller.signal);
  clock.advanceTo(minute(2));
  assert.equal(calls, 2);
  controller.abort();
});
