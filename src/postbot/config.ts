/**
 * postbot's configuration: the generic bot settings plus the broadcast app's and the task
 * runner's. Read once at startup; every problem is reported at once.
 *
 * @module
 */

import { type BotConfig, readBotConfig } from "../framework/config.ts";
import { type ConfigProblem, EnvReader, type EnvSource } from "../framework/env_reader.ts";
import { isMattermostId } from "../framework/mattermost_id.ts";
import { err, ok, type Result } from "../framework/result.ts";
import { isTimeZone } from "../framework/time_zone.ts";
import {
  CHANNEL_MENTION_POLICIES,
  type ChannelMentionPolicy,
} from "./broadcast/channel_mentions.ts";

/** How recipients see who sent a broadcast. */
export type Attribution = "none" | "footer";

/** Everything postbot reads from the environment. */
export interface PostbotConfig extends BotConfig {
  readonly channelCacheTtlSeconds: number;
  /** Channel for audit posts and task failure alerts; empty = off. */
  readonly botLogChannelId: string;
  readonly channelsTomlPath: string;
  readonly dbPath: string;
  readonly tasksDir: string;
  readonly schedulerTomlPath: string;
  /** IANA zone for schedules; undefined = scheduler.toml's `timezone`, else the host's. */
  readonly schedulerTimezone: string | undefined;
  readonly taskTimeoutSeconds: number;
  /** Memory cap of each task inspection and run, in MiB (its process is ended beyond it). */
  readonly taskMemoryMb: number;
  readonly broadcastConcurrency: number;
  readonly broadcastAttribution: Attribution;
  /** Who may broadcast `@all`, `@channel`, `@here`. */
  readonly broadcastChannelMentions: ChannelMentionPolicy;
  readonly undoWindowSeconds: number;
  /** Port of the health and metrics endpoint; undefined = off. */
  readonly healthPort: number | undefined;
  readonly shutdownGraceSeconds: number;
  /** A broadcast to at least this many channels needs `yes <count>`; 0 = never. */
  readonly broadcastConfirmThreshold: number;
  /** How long `!edit` is possible after a broadcast (default: the undo window). */
  readonly editWindowSeconds: number;
  /** Where scheduled broadcasts keep their files until they are sent. */
  readonly scheduledFilesDir: string;
}

/**
 * Every variable postbot reads. The `start` task grants `--allow-env` for exactly these; a
 * test keeps the two lists equal.
 */
export const ENV_VARIABLES = [
  "URL",
  "TOKEN",
  "TEAM_NAME",
  "SESSION_TTL_SECONDS",
  "SESSION_CLEANUP_INTERVAL_SECONDS",
  "CHANNEL_CACHE_TTL_SECONDS",
  "LOG_LEVEL",
  "CONSOLE_LOG_LEVEL",
  "CONSOLE_LOGGING_LEVEL",
  "LOG_FILE",
  "BOT_LOG_CHANNEL_ID",
  "CHANNELS_TOML_PATH",
  "DB_PATH",
  "TASKS_DIR",
  "SCHEDULER_TOML_PATH",
  "SCHEDULER_TIMEZONE",
  "TASK_TIMEOUT_SECONDS",
  "TASK_MEMORY_MB",
  "ALLOWED_USERS",
  "ADMIN_USERS",
  "BROADCAST_CONCURRENCY",
  "BROADCAST_ATTRIBUTION",
  "BROADCAST_CHANNEL_MENTIONS",
  "UNDO_WINDOW_SECONDS",
  "HEALTH_PORT",
  "SHUTDOWN_GRACE_SECONDS",
  "BROADCAST_CONFIRM_THRESHOLD",
  "EDIT_WINDOW_SECONDS",
  "SCHEDULED_FILES_DIR",
] as const;

/** Reads and validates the whole configuration. */
export function readPostbotConfig(source: EnvSource): Result<PostbotConfig, ConfigProblem[]> {
  const reader = new EnvReader(source);
  const bot = readBotConfig(reader);
  const botLogChannelId = reader.string("BOT_LOG_CHANNEL_ID", "");
  if (botLogChannelId !== "" && !isMattermostId(botLogChannelId)) {
    reader.problem(
      "BOT_LOG_CHANNEL_ID",
      `must be a channel id (26 lowercase letters and digits; send !id <channel> to the bot ` +
        `to find it), got "${botLogChannelId}"`,
    );
  }
  const schedulerTimezone = reader.raw("SCHEDULER_TIMEZONE");
  if (schedulerTimezone !== undefined && !isTimeZone(schedulerTimezone)) {
    reader.problem(
      "SCHEDULER_TIMEZONE",
      `must be an IANA time zone such as Europe/Berlin, got "${schedulerTimezone}"`,
    );
  }
  const undoWindowSeconds = reader.integer("UNDO_WINDOW_SECONDS", 3600, 0, 2_592_000);
  const config: PostbotConfig = {
    ...bot,
    channelCacheTtlSeconds: reader.integer("CHANNEL_CACHE_TTL_SECONDS", 3600, 10, 604_800),
    botLogChannelId,
    channelsTomlPath: reader.string("CHANNELS_TOML_PATH", "channels.toml"),
    dbPath: reader.string("DB_PATH", "broadcast_log.db"),
    tasksDir: reader.string("TASKS_DIR", "tasks"),
    schedulerTomlPath: reader.string("SCHEDULER_TOML_PATH", "scheduler.toml"),
    schedulerTimezone,
    taskTimeoutSeconds: reader.integer("TASK_TIMEOUT_SECONDS", 300, 1, 86_400),
    taskMemoryMb: reader.integer("TASK_MEMORY_MB", 256, 16, 65_536),
    broadcastConcurrency: reader.integer("BROADCAST_CONCURRENCY", 8, 1, 64),
    broadcastAttribution: reader.choice("BROADCAST_ATTRIBUTION", ["none", "footer"], "none"),
    broadcastChannelMentions: reader.choice(
      "BROADCAST_CHANNEL_MENTIONS",
      CHANNEL_MENTION_POLICIES,
      "admins",
    ),
    undoWindowSeconds,
    healthPort: reader.optionalInteger("HEALTH_PORT", 1, 65_535),
    shutdownGraceSeconds: reader.integer("SHUTDOWN_GRACE_SECONDS", 30, 0, 3_600),
    broadcastConfirmThreshold: reader.integer("BROADCAST_CONFIRM_THRESHOLD", 25, 0, 1_000_000),
    editWindowSeconds: reader.integer("EDIT_WINDOW_SECONDS", undoWindowSeconds, 0, 2_592_000),
    scheduledFilesDir: reader.string("SCHEDULED_FILES_DIR", "scheduled_files"),
  };
  return reader.problems.length > 0 ? err(reader.problems) : ok(config);
}
