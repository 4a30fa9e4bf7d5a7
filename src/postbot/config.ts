/**
 * postbot's configuration: the generic bot settings plus the broadcast app's and the task
 * runner's, each variable declared once in {@link POSTBOT_VARIABLES}. Read once at startup;
 * every problem is reported at once.
 *
 * @module
 */

import {
  BOT_VARIABLES,
  type BotConfig,
  choice,
  type ConfigProblem,
  custom,
  type Declaration,
  EnvReader,
  type EnvSource,
  err,
  integer,
  isMattermostId,
  isTimeZone,
  ok,
  optionalInteger,
  readDeclared,
  redescribe,
  type Result,
  text,
  variableNames,
} from "@postbot/framework";
import { parsePostgresUrl, type PostgresTarget } from "./database/postgres_url.ts";

/** How recipients see who sent a broadcast. */
export type Attribution = "none" | "footer";

/**
 * Who may send channel-wide mentions (`@all`, `@channel`, `@here`): admins only (default),
 * everyone, or nobody. What they do is broadcast/channel_mentions.ts's.
 */
export type ChannelMentionPolicy = "admins" | "all" | "none";

/** The policies, as `BROADCAST_CHANNEL_MENTIONS` spells them. */
export const CHANNEL_MENTION_POLICIES: readonly ChannelMentionPolicy[] = ["admins", "all", "none"];

/** Deno's own variables as read (see `passedOn`), by configuration field. */
export type DenoVariables = { readonly [K in keyof typeof PASSED_ON]: string | undefined };

/** Everything postbot reads from the environment. */
export interface PostbotConfig extends BotConfig, DenoVariables {
  readonly channelCacheTtlSeconds: number;
  /** Channel for audit posts and task failure alerts; empty = off. */
  readonly botLogChannelId: string;
  readonly channelsTomlPath: string;
  readonly dbPath: string;
  /** DATABASE_URL: PostgreSQL shared by several instances; undefined = SQLite at `dbPath`. */
  readonly database: PostgresTarget | undefined;
  /** How long the lease of the active instance lasts unless renewed (LEASE_TTL_SECONDS). */
  readonly leaseTtlSeconds: number;
  /** How often the active renews it and a standby tries to take it (LEASE_RENEW_SECONDS). */
  readonly leaseRenewSeconds: number;
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
  /** Port of the health and metrics endpoint (and of button clicks); undefined = off. */
  readonly healthPort: number | undefined;
  /**
   * The bot's own address as the Mattermost server reaches it, for Acknowledge buttons
   * (clicks come to `<ACTIONS_URL>/actions/ack` on HEALTH_PORT); undefined = reactions only.
   */
  readonly actionsUrl: string | undefined;
  readonly shutdownGraceSeconds: number;
  /** A broadcast to at least this many channels needs `yes <count>`; 0 = never. */
  readonly broadcastConfirmThreshold: number;
  /** How long `!edit` is possible after a broadcast (default: the undo window). */
  readonly editWindowSeconds: number;
  /** Where scheduled broadcasts keep their files until they are sent. */
  readonly scheduledFilesDir: string;
  /** How long a broadcast awaits approval before the request lapses. */
  readonly approvalTtlSeconds: number;
  /** Deno's own variables as set (DENO_DIR, DENO_CERT, ...): a task process's environment. */
  readonly taskProcessEnv: Readonly<Record<string, string>>;
}

/** An optional value that must pass `valid`; `expected` says what it must be. */
function checked(valid: (value: string) => boolean, expected: string) {
  return (reader: EnvReader, [name]: readonly string[]): string | undefined => {
    const value = reader.raw(name);
    if (value !== undefined && !valid(value)) reader.problem(name, `${expected}, got "${value}"`);
    return value;
  };
}

/** The broadcast app's and the task runner's variables, declared once. */
export const POSTBOT_VARIABLES = {
  channelCacheTtlSeconds: integer("CHANNEL_CACHE_TTL_SECONDS", {
    default: 3600,
    min: 10,
    max: 604_800,
    doc: "how often the channel list is reloaded in the background",
  }),
  botLogChannelId: custom("BOT_LOG_CHANNEL_ID", {
    shownDefault: "empty = off",
    read: (reader, names) =>
      checked(
        isMattermostId,
        "must be a channel id (26 lowercase letters and digits; send !id <channel> to the bot " +
          "to find it)",
      )(reader, names) ?? "",
    doc: "channel for audit posts (every broadcast, undo, retry) and task failure alerts",
  }),
  channelsTomlPath: text("CHANNELS_TOML_PATH", {
    default: "channels.toml",
    // Replaced atomically through `<path>.tmp` (channels/channels_file.ts).
    paths: ["read", "write", "read +.tmp", "write +.tmp"],
    doc: "groups, whitelist, aliases",
  }),
  dbPath: text("DB_PATH", {
    default: "broadcast_log.db",
    paths: ["read", "write"],
    doc: "SQLite: broadcast log, sessions, task history",
  }),
  database: custom("DATABASE_URL", {
    shownDefault: "empty = SQLite at `DB_PATH`",
    read: (reader, [name]) => {
      const value = reader.raw(name)?.trim();
      if (value === undefined || value === "") return undefined;
      const target = parsePostgresUrl(value);
      if (!target.ok) {
        reader.problem(name, `${target.error.message}. ${target.error.hint ?? ""}`.trim());
        return undefined;
      }
      return target.value;
    },
    doc: "`postgres://user:password@host/db`: one store, two instances (see below)",
  }),
  leaseTtlSeconds: integer("LEASE_TTL_SECONDS", {
    default: 15,
    min: 2,
    max: 600,
    doc: "with `DATABASE_URL`: a standby takes over this long after the active stopped renewing",
  }),
  leaseRenewSeconds: integer("LEASE_RENEW_SECONDS", {
    default: 5,
    min: 1,
    max: 300,
    doc: "with `DATABASE_URL`: how often the active renews its lease (less than the TTL)",
  }),
  tasksDir: text("TASKS_DIR", { default: "tasks", paths: ["read"], doc: "task plugins" }),
  schedulerTomlPath: text("SCHEDULER_TOML_PATH", {
    default: "scheduler.toml",
    paths: ["read"],
    doc: "task schedules",
  }),
  schedulerTimezone: custom("SCHEDULER_TIMEZONE", {
    shownDefault: "scheduler.toml's `timezone`, else the host's",
    read: checked(isTimeZone, "must be an IANA time zone such as Europe/Berlin"),
    doc: "IANA zone schedules are written in",
  }),
  taskTimeoutSeconds: integer("TASK_TIMEOUT_SECONDS", {
    default: 300,
    min: 1,
    max: 86_400,
    doc: "a task run taking longer is stopped (its process killed); also caps a file's import",
  }),
  taskMemoryMb: integer("TASK_MEMORY_MB", {
    default: 256,
    min: 16,
    max: 65_536,
    doc: "memory each task inspection and run may use (16\u201365536); beyond it its process ends",
  }),
  broadcastConcurrency: integer("BROADCAST_CONCURRENCY", {
    default: 8,
    min: 1,
    max: 64,
    doc: "channels delivered to at once (1\u201364)",
  }),
  broadcastAttribution: choice("BROADCAST_ATTRIBUTION", {
    choices: ["none", "footer"],
    default: "none",
    doc: '`footer` adds "Sent by @user via postbot" to every broadcast',
  }),
  broadcastChannelMentions: choice("BROADCAST_CHANNEL_MENTIONS", {
    choices: CHANNEL_MENTION_POLICIES,
    default: "admins",
    doc: "who may broadcast `@all`, `@channel`, `@here`: `admins`, `all` (everyone) or `none`",
  }),
  undoWindowSeconds: integer("UNDO_WINDOW_SECONDS", {
    default: 3600,
    min: 0,
    max: 2_592_000,
    doc: "how long `!undo` is possible after a broadcast",
  }),
  healthPort: optionalInteger("HEALTH_PORT", {
    min: 1,
    max: 65_535,
    shownDefault: "empty = off",
    doc: "port of `GET /healthz` and `GET /metrics`",
  }),
  actionsUrl: custom("ACTIONS_URL", {
    shownDefault: "empty = reactions",
    read: (reader, [name]) => {
      const value = reader.raw(name);
      if (value !== undefined && !isActionsUrl(value)) {
        reader.problem(
          name,
          `must be the bot's own address as the Mattermost server reaches it, ` +
            `http(s)://host[:port][/path] without a query, got "${value}"`,
        );
        return undefined;
      }
      return value?.replace(/\/+$/, "");
    },
    doc: "the bot's address as the server reaches it, for Acknowledge buttons (see Health)",
  }),
  shutdownGraceSeconds: integer("SHUTDOWN_GRACE_SECONDS", {
    default: 30,
    min: 0,
    max: 3_600,
    doc: "on SIGTERM/SIGINT, how long running deliveries may finish",
  }),
  broadcastConfirmThreshold: integer("BROADCAST_CONFIRM_THRESHOLD", {
    default: 25,
    min: 0,
    max: 1_000_000,
    doc: "a broadcast to this many channels or more needs `yes <number of channels>`; 0 = off",
  }),
  /** Unset means the undo window: filled in by {@link readPostbotConfig}. */
  editWindowSeconds: optionalInteger("EDIT_WINDOW_SECONDS", {
    min: 0,
    max: 2_592_000,
    shownDefault: "`UNDO_WINDOW_SECONDS`",
    doc: "how long `!edit` is possible after a broadcast",
  }),
  scheduledFilesDir: text("SCHEDULED_FILES_DIR", {
    default: "scheduled_files",
    paths: ["read", "write"],
    doc: "where scheduled broadcasts keep their files until they are sent (inside the grants)",
  }),
  approvalTtlSeconds: integer("APPROVAL_TTL_SECONDS", {
    default: 86_400,
    min: 1,
    max: 2_592_000,
    doc: "how long a broadcast awaits approval before the request lapses",
  }),
  denoDir: passedOn("DENO_DIR", "Deno's cache directory"),
  denoCert: passedOn("DENO_CERT", "a CA certificate file Deno trusts (see TLS)"),
  denoTlsCaStore: passedOn("DENO_TLS_CA_STORE", "`system` to trust the host's CAs (see TLS)"),
  home: passedOn("HOME", "where Deno finds its cache when `DENO_DIR` is unset"),
  xdgCacheHome: passedOn("XDG_CACHE_HOME", "where Deno finds its cache when `DENO_DIR` is unset"),
} as const satisfies Declaration;

/**
 * One of Deno's own variables: read by the runtime itself, and passed on to task processes,
 * which start with an empty environment (nothing else of the bot's reaches them).
 */
function passedOn(name: string, doc: string) {
  return custom(name, {
    shownDefault: "unset",
    read: (reader, [variable]) => reader.raw(variable),
    doc: `${doc}; passed on to task processes`,
  });
}

/** Whether `value` is an http(s) URL with a host and no query, fragment or credentials. */
function isActionsUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" &&
    url.search === "" && url.hash === "" && url.username === "" && url.password === "" &&
    !value.includes("?") && !value.includes("#");
}

/** The variables {@link passedOn} declares, by configuration field. */
const PASSED_ON = {
  denoDir: "DENO_DIR",
  denoCert: "DENO_CERT",
  denoTlsCaStore: "DENO_TLS_CA_STORE",
  home: "HOME",
  xdgCacheHome: "XDG_CACHE_HOME",
} as const;

/** Every variable postbot reads, the generic layer's first: the README table's order. */
export const POSTBOT_DECLARATION = {
  ...redescribe(BOT_VARIABLES, {
    adminUsers: "who may change `channels.toml`, run tasks and send `@all`/`@channel`/`@here`",
    sessionTtlSeconds:
      "a wizard question left unanswered this long ends the broadcast (the user is told)",
  }),
  ...POSTBOT_VARIABLES,
} as const;

/**
 * Every variable name postbot reads, aliases included. The start and compile tasks grant
 * `--allow-env` for exactly these (a test compares them), and startup refuses to run when
 * one is not granted (grants.ts).
 */
export const ENV_VARIABLES: readonly string[] = variableNames(POSTBOT_DECLARATION);

/** Reads and validates the whole configuration. */
export function readPostbotConfig(source: EnvSource): Result<PostbotConfig, ConfigProblem[]> {
  const reader = new EnvReader(source);
  const declared = readDeclared(reader, POSTBOT_DECLARATION);
  const taskProcessEnv: Record<string, string> = {};
  for (const [field, name] of Object.entries(PASSED_ON)) {
    const value = declared[field as keyof typeof PASSED_ON];
    if (value !== undefined && value !== "") taskProcessEnv[name] = value;
  }
  if (declared.leaseRenewSeconds >= declared.leaseTtlSeconds) {
    reader.problem(
      "LEASE_RENEW_SECONDS",
      `must be less than LEASE_TTL_SECONDS (${declared.leaseTtlSeconds}): the lease would ` +
        "lapse between renewals",
    );
  }
  if (declared.actionsUrl !== undefined && declared.healthPort === undefined) {
    reader.problem(
      "ACTIONS_URL",
      "needs HEALTH_PORT: the bot answers button clicks on that port, so set HEALTH_PORT to " +
        "the port ACTIONS_URL reaches (or leave ACTIONS_URL empty: recipients then acknowledge " +
        "with a reaction)",
    );
  }
  const config: PostbotConfig = {
    ...declared,
    editWindowSeconds: declared.editWindowSeconds ?? declared.undoWindowSeconds,
    taskProcessEnv,
  };
  return reader.problems.length > 0 ? err(reader.problems) : ok(config);
}
