/**
 * The scheduler's heartbeat: `Deno.cron` once a minute, in UTC (the only timezone it knows).
 * Which tasks a tick runs is decided in wall-clock time by `schedule.ts`.
 *
 * @module
 */

import { logger } from "@postbot/framework";

const log = logger("tasks");

/** Calls `onTick` about every minute until `signal` aborts; tests inject their own. */
export type Ticker = (onTick: () => void, signal: AbortSignal) => void;

/** The part of `Deno.cron` the ticker uses; tests pass a fake to drive minutes by hand. */
export type CronFunction = (
  name: string,
  schedule: string,
  options: { signal: AbortSignal },
  handler: () => void,
) => Promise<void>;

/**
 * The one ticker: `cron("postbot-tick", "* * * * *")`, by default `Deno.cron`. A failing tick is
 * logged and the next minute still ticks. Without `Deno.cron` (a launch without
 * `--unstable-cron`, which `deno.json` and both tasks always grant) schedules cannot run: that
 * is logged as an error naming the missing flag.
 */
export function cronTicker(cron: CronFunction | undefined = denoCron()): Ticker {
  return (onTick, signal) => {
    if (!cron) {
      log.error(
        "Deno.cron is not available: scheduled tasks will not run. Start the bot with " +
          "--unstable-cron (deno task start does).",
      );
      return;
    }
    const tick = () => {
      try {
        onTick();
      } catch (e) {
        log.error("Scheduler tick failed: {error}", { error: e });
      }
    };
    cron("postbot-tick", "* * * * *", { signal }, tick)
      .catch((e) => log.error("Deno.cron stopped: {error}", { error: e }));
  };
}

function denoCron(): CronFunction | undefined {
  return typeof Deno.cron === "function"
    ? (name, schedule, options, handler) => Deno.cron(name, schedule, options, handler)
    : undefined;
}
