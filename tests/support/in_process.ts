/**
 * postbot in the test's own process, against a scenario's emulator and working directory:
 * for tests that need the bot's internals (a short WebSocket ping interval, the database)
 * or many quick round trips. Everything else runs the real process (scenario.ts).
 *
 * @module
 */

import { type PostbotOptions, type RunningPostbot, startPostbot } from "../../src/postbot/app.ts";
import { describeProblem } from "@postbot/framework";
import { type PostbotConfig, readPostbotConfig } from "../../src/postbot/config.ts";
import type { Scenario } from "@postbot/harness";

/** The configuration the bot process of `s` would read, with paths inside `s.dir`. */
export function inProcessConfig(
  s: Scenario,
  env: Record<string, string> = {},
): PostbotConfig {
  const values: Record<string, string> = {
    ...s.env,
    DB_PATH: `${s.dir}/broadcast_log.db`,
    CHANNELS_TOML_PATH: `${s.dir}/channels.toml`,
    TASKS_DIR: `${s.dir}/tasks`,
    SCHEDULER_TOML_PATH: `${s.dir}/scheduler.toml`,
    LOG_FILE: "",
    ...env,
  };
  const config = readPostbotConfig((name) => values[name]);
  if (!config.ok) throw new Error(`bad test configuration: ${JSON.stringify(config.error)}`);
  return config.value;
}

/** Starts postbot in this process; throws with the bot's own message when it cannot. */
export async function startInProcess(
  s: Scenario,
  env: Record<string, string> = {},
  options: PostbotOptions = {},
): Promise<RunningPostbot> {
  const started = await startPostbot(inProcessConfig(s, env), options);
  if (!started.ok) throw new Error(`postbot did not start: ${describeProblem(started.error)}`);
  return started.value;
}
