/**
 * Startup check that the configured paths and server are inside the Deno permissions the bot
 * was given. Without it a bot with a narrowed `--allow-write` would start, then fail on the
 * first `!add_group`; with it, the operator is told which flag to change before anything runs.
 *
 * @module
 */

import type { ConfigProblem } from "../framework/env_reader.ts";
import type { PostbotConfig } from "./config.ts";

type Need = { variable: string; path: string; access: "read" | "write" };

/** Paths the bot reads and writes, as configured. */
function needs(config: PostbotConfig): Need[] {
  const dir = (p: string) => p.includes("/") ? p.replace(/\/[^/]*$/, "") || "/" : ".";
  const list: Need[] = [
    { variable: "CHANNELS_TOML_PATH", path: config.channelsTomlPath, access: "read" },
    { variable: "CHANNELS_TOML_PATH", path: config.channelsTomlPath, access: "write" },
    {
      variable: "CHANNELS_TOML_PATH",
      path: `${config.channelsTomlPath}.tmp`,
      access: "write",
    },
    { variable: "DB_PATH", path: config.dbPath, access: "read" },
    { variable: "DB_PATH", path: config.dbPath, access: "write" },
    { variable: "TASKS_DIR", path: config.tasksDir, access: "read" },
    { variable: "SCHEDULER_TOML_PATH", path: config.schedulerTomlPath, access: "read" },
    { variable: "SCHEDULED_FILES_DIR", path: config.scheduledFilesDir, access: "read" },
    { variable: "SCHEDULED_FILES_DIR", path: config.scheduledFilesDir, access: "write" },
  ];
  if (config.logFile !== "") {
    list.push({ variable: "LOG_FILE", path: config.logFile, access: "write" });
    list.push({ variable: "LOG_FILE", path: dir(config.logFile), access: "read" });
  }
  return list;
}

/** Every configured path or host the granted permissions do not cover, with the fix. */
export async function checkPermissions(config: PostbotConfig): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  for (const need of needs(config)) {
    const status = await Deno.permissions.query({ name: need.access, path: need.path });
    if (status.state !== "granted") {
      problems.push({
        variable: need.variable,
        message: `points at ${need.path}, which the bot may not ${need.access}: add it to ` +
          `--allow-${need.access} in the start task (or the compile task), or move it inside ` +
          "the granted directory",
      });
    }
  }
  if (config.serverUrl !== "") {
    const host = new URL(config.serverUrl).host;
    const status = await Deno.permissions.query({ name: "net", host });
    if (status.state !== "granted") {
      problems.push({
        variable: "URL",
        message: `points at ${host}, which the bot may not connect to: add it to --allow-net`,
      });
    }
  }
  return problems;
}
