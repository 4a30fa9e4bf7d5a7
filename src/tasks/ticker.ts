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

/**
 * The production ticker: `Deno.cron("postbot-tick", "* * * * *")`. Without `--unstable-cron`
 * (`Deno.cron` missing) it falls back to a timer aligned to the minute, with a warning, so
 * schedules still work.
 */
export const denoCronTicker: Ticker = (onTick, signal) => {
  if (typeof Deno.cron !== "function") {
    log.warn("Deno.cron is not available (run with --unstable-cron); using a timer instead");
    timerTicker(onTick, signal);
    return;
  }
  Deno.cron("postbot-tick", "* * * * *", { signal }, guarded(onTick))
    .catch((e) => log.error("Deno.cron stopped: {error}", { error: e }));
};

/** A timer that fires at the start of every minute. */
export const timerTicker: Ticker = (onTick, signal) => {
  const tick = guarded(onTick);
  let timer: ReturnType<typeof setTimeout>;
  const schedule = () => {
    timer = setTimeout(() => {
      tick();
      schedule();
    }, 60_000 - (Date.now() % 60_000));
  };
  schedule();
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
};
