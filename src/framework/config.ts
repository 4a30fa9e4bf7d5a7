/**
 * The configuration every Mattermost bot built on this layer needs: where the server is, who
 * the bot is, how sessions and logs behave, and who may talk to it, declared once in
 * {@link BOT_VARIABLES}. Apps declare their own variables the same way (env_declaration.ts).
 *
 * @module
 */

import { parseDotenv } from "./dotenv.ts";
import {
  custom,
  type Declaration,
  integer,
  readDeclared,
  required,
  text,
} from "./env_declaration.ts";
import type { ConfigProblem, EnvReader, EnvSource } from "./env_reader.ts";
import type { PathNeed } from "./grants.ts";
import { err, fail, ok, type Problem, type Result } from "./result.ts";
import { Secret } from "./secret.ts";
import { parseUserRef, type UserRef } from "./user_ref.ts";

/** Log levels as operators write them (Python-style names are accepted too). */
export type LogLevelName = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

/** Settings of the generic bot layer. */
export interface BotConfig {
  /** Server base URL without trailing slash, e.g. `https://chat.example.com/mm`. */
  readonly serverUrl: string;
  readonly token: Secret;
  readonly teamName: string;
  readonly sessionTtlSeconds: number;
  readonly sessionCleanupIntervalSeconds: number;
  readonly logLevel: LogLevelName;
  readonly consoleLogLevel: LogLevelName;
  readonly logFile: string;
  /** User ids or usernames (by form); empty means every member of the team. */
  readonly allowedUsers: readonly UserRef[];
  /** User ids or usernames (by form); empty means "the same as allowed" (warned at startup). */
  readonly adminUsers: readonly UserRef[];
  /** Bot accounts (ids or usernames, by form) answered like people; every other bot is ignored. */
  readonly allowedBots: readonly UserRef[];
  /** Messages answered per sender per window; 0 = no limit. */
  readonly userRateLimit: number;
  /** The rate limit's window, and the first silence of a sender over it. */
  readonly userRateWindowSeconds: number;
}

const LEVELS: Record<string, LogLevelName> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warning: "warning",
  warn: "warning",
  error: "error",
  critical: "fatal",
  fatal: "fatal",
};

/**
 * Builds the variable source: real environment variables first, then the `.env` file.
 * The default `.env` (in the working directory) may be absent; an explicit `--env-file` must
 * exist.
 */
export function envSource(
  options: { envFile?: string; explicit: boolean; getEnv: (name: string) => string | undefined },
): Result<EnvSource, ConfigProblem> {
  let fileValues: Record<string, string> = {};
  const path = options.envFile ?? ".env";
  try {
    const parsed = parseDotenv(Deno.readTextFileSync(path));
    if (!parsed.ok) {
      return err({ variable: path, ...parsed.error });
    }
    fileValues = parsed.value;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && !options.explicit) {
      fileValues = {};
    } else if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return err({
        variable: path,
        message: `cannot be read: grant it with --allow-read=${path}`,
      });
    } else {
      return err({ variable: path, message: `cannot be read: ${(e as Error).message}` });
    }
  }
  return ok((name) => options.getEnv(name) ?? fileValues[name]);
}

/**
 * `URL` as it may be shown back to the operator: a query, a fragment and user information
 * (where people paste `?token=...` or `user:password@`) replaced by `...`, and the text
 * bounded. Config errors print this, never the raw value.
 */
export function shownUrl(input: string): string {
  const safe = input
    .replace(
      /^([^/?#]*\/\/)?[^/?#@]*@/,
      (_, scheme: string | undefined) => `${scheme ?? ""}\u2026@`,
    )
    .replace(/[?#][\s\S]*$/, (m) => `${m[0]}\u2026`)
    .replace(/\p{Cc}/gu, " ");
  const chars = Array.from(safe);
  return chars.length > 120 ? chars.slice(0, 120).join("") + "\u2026" : safe;
}

/** A DNS name (underscores allowed, as container service names use them) or an IPv4 address. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Turns `URL` as an operator writes it into a base URL, or explains what is wrong. */
export function normalizeServerUrl(input: string): Result<string, Problem> {
  const expected = "a host name (chat.example.com, optionally :port) or an " +
    "http(s)://host[:port][/path] URL";
  const notUrl = fail(`is not a URL: expected ${expected}, got "${shownUrl(input)}"`);
  if (/[\s\p{Cc}\\]/u.test(input)) return notUrl;
  const scheme = /^([^:/?#]*):\/\//.exec(input);
  if (scheme !== null && !/^[a-z][a-z0-9+.-]*$/i.test(scheme[1])) return notUrl;
  const withScheme = scheme !== null ? input : `https://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return notUrl;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return fail(`must use http:// or https://, got "${shownUrl(url.protocol)}//"`);
  }
  if (url.username !== "" || url.password !== "") {
    // Never echo the input here: it holds a password.
    return fail(
      `must not contain credentials (user:password@); the bot signs in with TOKEN. ` +
        `Write it as ${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`,
    );
  }
  if (url.search !== "" || url.hash !== "" || /[?#]/.test(input)) {
    // Nor here: a query is where people paste ?token=....
    return fail(
      `must not contain a query (?\u2026) or a fragment (#\u2026); the bot signs in with TOKEN. ` +
        `Write it as ${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`,
    );
  }
  const host = url.hostname;
  const ipv6 = host.startsWith("[") && host.endsWith("]");
  if (!ipv6 && !HOST_NAME.test(host)) return notUrl;
  const path = url.pathname.replace(/\/+$/, "");
  return ok(`${url.protocol}//${url.host}${path}`);
}

/** A log level from the first of `names` that is set; a bad value is a problem. */
function level(reader: EnvReader, names: readonly string[], fallback: LogLevelName): LogLevelName {
  for (const name of names) {
    const value = reader.raw(name);
    if (value === undefined) continue;
    const found = LEVELS[value.toLowerCase()];
    if (found === undefined) {
      reader.problem(
        name,
        `must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "${value}"`,
      );
      return fallback;
    }
    return found;
  }
  return fallback;
}

/** A comma-separated list of user ids and usernames; each bad entry is a problem. */
function userList(reader: EnvReader, [name]: readonly string[]): UserRef[] {
  const refs: UserRef[] = [];
  for (const entry of reader.list(name)) {
    const ref = parseUserRef(entry);
    if (ref.ok) refs.push(ref.value);
    else reader.problem(name, `entry ${ref.error.message}`);
  }
  return refs;
}

/** The token, wrapped at once; a token with spaces is refused without echoing it. */
function token(reader: EnvReader, [name]: readonly string[]): Secret {
  const value = reader.required(name, "the bot account's access token");
  if (value !== "" && /\s/.test(value)) reader.problem(name, "must not contain spaces");
  return new Secret(value);
}

/**
 * The generic bot layer's variables, declared once: {@link readBotConfig}, the README table,
 * `--help`, the `--allow-env` grant and the path check all come from here. An app may say
 * what they mean for it with {@link redescribe}.
 */
export const BOT_VARIABLES = {
  serverUrl: required("URL", {
    expected: "the Mattermost server, e.g. chat.example.com",
    parse: normalizeServerUrl,
    fallback: "",
    doc: "the server: `chat.example.com` (https, port 443) or `http(s)://host[:port][/subpath]`",
  }),
  token: custom("TOKEN", {
    shownDefault: "\u2014 (required)",
    read: token,
    doc: "the bot's access token; never logged, never echoed",
  }),
  teamName: required("TEAM_NAME", {
    expected: "the team's URL name, e.g. staff",
    doc: "the team's URL name",
  }),
  allowedUsers: custom("ALLOWED_USERS", {
    shownDefault: "empty = every team member",
    read: userList,
    doc: "user ids or usernames, comma-separated, who may use the bot",
  }),
  adminUsers: custom("ADMIN_USERS", {
    shownDefault: "empty = same as allowed (warned at startup)",
    read: userList,
    doc: "user ids or usernames, comma-separated, who may use the admin commands",
  }),
  allowedBots: custom("ALLOWED_BOTS", {
    shownDefault: "empty = no bot",
    read: userList,
    doc: "bot accounts (ids or usernames) answered like people; other bots get no answer",
  }),
  userRateLimit: integer("USER_RATE_LIMIT", {
    default: 20,
    min: 0,
    max: 100_000,
    doc: "answers per sender and window (0 = no limit); over it, one notice, then no answers",
  }),
  userRateWindowSeconds: integer("USER_RATE_WINDOW_SECONDS", {
    default: 60,
    min: 1,
    max: 86_400,
    doc: "the rate limit's window, and the silence after it (doubled for a repeat within a day)",
  }),
  sessionTtlSeconds: integer("SESSION_TTL_SECONDS", {
    default: 300,
    min: 10,
    max: 86_400,
    doc: "a conversation left unanswered this long ends (the user is told)",
  }),
  sessionCleanupIntervalSeconds: integer("SESSION_CLEANUP_INTERVAL_SECONDS", {
    default: 60,
    min: 1,
    max: 3_600,
    doc: "how often lapsed sessions are swept",
  }),
  logLevel: custom("LOG_LEVEL", {
    shownDefault: "INFO",
    read: (reader, names) => level(reader, names, "info"),
    doc: "level of the log file (DEBUG, INFO, WARNING, ERROR, CRITICAL)",
  }),
  consoleLogLevel: custom("CONSOLE_LOG_LEVEL", {
    aliases: ["CONSOLE_LOGGING_LEVEL"],
    shownDefault: "WARNING",
    read: (reader, names) => level(reader, names, "warning"),
    doc: "level of the console (stderr)",
  }),
  logFile: text("LOG_FILE", {
    default: "logs/bot.log",
    paths: ["write", "read directory"],
    doc: "log file; its directory is created",
  }),
} as const satisfies Declaration;

/** Files the generic layer reads whatever the configuration says: `.env` (see {@link envSource}). */
export const FIXED_PATHS: readonly PathNeed[] = [
  { variable: "--env-file", path: ".env", access: "read" },
];

/**
 * Reads the generic bot settings; problems are recorded on the reader.
 *
 * @example
 * ```ts
 * import { EnvReader, envSource, formatProblems, readBotConfig } from "@postbot/framework";
 *
 * const source = envSource({ explicit: false, getEnv: (name) => Deno.env.get(name) });
 * if (!source.ok) throw new Error(`${source.error.variable} ${source.error.message}`);
 * const reader = new EnvReader(source.value);
 * const config = readBotConfig(reader); // URL, TOKEN, TEAM_NAME, LOG_LEVEL, ...
 * if (reader.problems.length > 0) {
 *   console.error(formatProblems(reader.problems, { app: "hellobot" }));
 *   Deno.exit(2);
 * }
 * console.log(`${config.teamName} on ${config.serverUrl}`);
 * ```
 */
export function readBotConfig(reader: EnvReader): BotConfig {
  return readDeclared(reader, BOT_VARIABLES);
}
