/**
 * The scheduler's heartbeat: `Deno.cron` once a minute, in UTC (the only timezone it knows).
 * Which tasks a tick runs is decided in wall-clock time by `schedule.ts`.
 *
 * @module
 */

import { logger } from "../framework/logging.ts";

const log = logger("tasks");

/** Calls `onTick` about every minute until `signal` aborts; tests inject their own. */
export type Ticker = (onTick: () => void, signal: AbortSignal) => void;

function guarded(onTick: () => void): () => void {
  return () => {
    try {
      onTick();
    } catch (e) {
      log.error("Scheduler tick failed: {error}", { error: e });
    }
  };
}

/** The part of `Deno.cron` the ticker uses; tests pass a fake to drive minutes by hand. */
export type CronFunction = (
  name: string,
  schedule: string,
  options: { signal: AbortSignal },
  handler: () => void,
) => Promise<void>;

/** What the fallback timer reads and sets; tests pass a fake clock to drive minutes by hand. */
export interface TimerClock {
  now(): number;
  /** Calls `fn` after `ms`; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
}

const systemClock: TimerClock = {
  now: () => Date.now(),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** A ticker that fires at the start of every minute of `clock`; tests pass a fake clock. */
export function clockTicker(clock: TimerClock): Ticker {
  return (onTick, signal) => {
    const tick = guarded(onTick);
    let cancel = () => {};
    const schedule = () => {
      if (signal.aborted) return;
      cancel = clock.after(60_000 - (clock.now() % 60_000), () => {
        tick();
        schedule();
      });
    };
    schedule();
    signal.addEventListener("abort", () => cancel(), { once: true });
  };
}

/** A timer that fires at the start of every minute. */
export const timerTicker: Ticker = clockTicker(systemClock);

/**
 * A ticker on `cron` ("* * * * *"), or on `fallback` with a warning when `cron` is missing.
 * Exists so tests can run the production logic on a fake cron.
 */
export function cronTicker(cron: CronFunction | undefined, fallback: Ticker = timerTicker): Ticker {
  return (onTick, signal) => {
    if (!cron) {
      log.warn("Deno.cron is not available (run with --unstable-cron); using a timer instead");
      fallback(onTick, signal);
      return;
    }
    cron("postbot-tick", "* * * * *", { signal }, guarded(onTick))
      .catch((e) => log.error("Deno.cron stopped: {error}", { error: e }));
  };
}

/**
 * The production ticker: `Deno.cron("postbot-tick", "* * * * *")`. Without `--unstable-cron`
 * (`Deno.cron` missing) it falls back to a timer aligned to the minute, with a warning, so
 * schedules still work.
 */
export const denoCronTicker: Ticker = (onTick, signal) =>
  cronTicker(
    typeof Deno.cron === "function"
      ? (name, schedule, options, handler) => Deno.cron(name, schedule, options, handler)
      : undefined,
  )(onTick, signal);
