import assert from "node:assert/strict";
import { type CronFunction, cronTicker } from "./ticker.ts";

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

Deno.test("cron ticker: without Deno.cron nothing is registered and nothing ticks", () => {
  let ticks = 0;
  const controller = new AbortController();
  cronTicker(undefined)(() => ticks++, controller.signal);
  assert.equal(ticks, 0);
  controller.abort();
});
