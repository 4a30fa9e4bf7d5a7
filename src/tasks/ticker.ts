/**
 * The scheduler's heartbeat: `Deno.cron` once a minute, in UTC (the only timezone it knows).
 * Which tasks a tick runs is decided in wall-clock time by `schedule.ts`.
 *
 * @module
 */

import { logger } from "../framework/logging.ts";

/** Calls `onTick` about every minute until `signal` aborts; tests inject their own. */
export type Ticker = (onTick: () => void, signal: AbortSignal) => void;

/** The production ticker: `Deno.cron("postbot-tick", "* * * * *")`. */
export const denoCronTicker: Ticker = (onTick, signal) => {
  Deno.cron("postbot-tick", "* * * * *", { signal }, () => {
    try {
      onTick();
    } catch (e) {
      logger("tasks").error("Scheduler tick failed: {error}", { error: e });
    }
  }).catch((e) => logger("tasks").error("Deno.cron stopped: {error}", { error: e }));
};
