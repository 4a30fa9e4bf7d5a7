/**
 * `@postbot/framework`: a small library for Mattermost bots on Deno that talk to people in
 * direct messages. It signs in, keeps the WebSocket open (resuming and catching up over REST
 * when events were lost), turns each `posted` event into a {@link MessageContext}, and runs it
 * through a middleware chain, one message at a time per user. Everything else (commands,
 * access control, sessions, configuration from the environment, logging, SQLite) is a plain
 * module the app wires in.
 *
 * The exports come in tiers, most used first: the bot and the message context; middleware
 * and filters; REST and the socket's events; configuration and logging; small utilities.
 * What not every bot needs is a subpath: `@postbot/framework/text` (the dependency-free text
 * helpers, whose source a Worker reads), `/mentions` (channel-wide mentions as the server
 * reads them), `/sqlite` (the database), `/toml` (TOML syntax errors in plain words),
 * `/idle_gc` (memory given back when the bot goes quiet), `/heap_budget` (the heap kept near
 * what is alive during long work) and `/testing` (for tests).
 *
 * @example A bot that answers `!hello` in direct messages
 * ```ts
 * import {
 *   Bot,
 *   CommandDispatcher,
 *   directMessagesOnly,
 *   Secret,
 * } from "@postbot/framework";
 *
 * const commands = new CommandDispatcher().register({
 *   name: "hello",
 *   summary: "says hello",
 *   run: (ctx) => ctx.reply(`Hello, @${ctx.username}!`),
 * });
 *
 * const connected = await Bot.connect({
 *   serverUrl: "https://chat.example.com",
 *   token: new Secret(Deno.env.get("TOKEN") ?? ""),
 *   teamName: "staff",
 *   sessionTtlSeconds: 300,
 *   sessionCleanupIntervalSeconds: 60,
 *   logLevel: "info",
 *   consoleLogLevel: "warning",
 *   logFile: "",
 *   allowedUsers: [],
 *   adminUsers: [],
 *   allowedBots: [],
 *   userRateLimit: 20,
 *   userRateWindowSeconds: 60,
 * });
 * if (!connected.ok) throw new Error(connected.error.message);
 * connected.value
 *   .use(directMessagesOnly())
 *   .use(commands.middleware((ctx) => ctx.reply("Send `!hello`.")));
 * await connected.value.start();
 * ```
 *
 * @module
 */

// (a) The bot and the message context: connect, start, stop; what a handler sees.
export { Bot, type BotOptions } from "./bot.ts";
export {
  type ApologyOptions,
  type ErrorHandler,
  FAILURE_REPLY,
  logAndApologize,
} from "./error_handler.ts";
export { type Access, type BotIdentity, type IncomingMessage, MessageContext } from "./context.ts";
export { REPLY_TO_PROP } from "./catch_up.ts";
export type { ProcessedPosts } from "./processed_posts.ts";

// (b) Middleware and filters: the chain, commands, and the usual steps of a DM bot.
export { compose, type Middleware } from "./middleware.ts";
export { type Command, CommandDispatcher, parseCommand, type ParsedCommand } from "./dispatcher.ts";
export {
  accessControl,
  type AccessPolicy,
  directMessagesOnly,
  holdLateSideEffects,
  isAdminUnder,
  type LateActionPolicy,
  listed,
} from "./filters.ts";
export {
  BotAccounts,
  type BotSenderPolicy,
  ignoreBots,
  markedAutomated,
  type NotAPerson,
} from "./bot_senders.ts";
export {
  type Admission,
  type RateLimitCounters,
  rateLimitNotice,
  rateLimitPerUser,
  type RateLimitPolicy,
  UserRateLimiter,
} from "./user_rate_limit.ts";
export {
  type SessionBackend,
  type SessionEntry,
  SessionStore,
  type SessionStoreOptions,
} from "./sessions.ts";
export { parseUserRef, type UserRef } from "./user_ref.ts";

// (c) REST and the socket: the transport, typed calls, posting, files, the server's events.
export {
  type Client4,
  RequestWithheld,
  RestTransport,
  type SendInit,
  type TransportOptions,
} from "./rest.ts";
export { isChannelMember, MattermostClient, type NewPost } from "./client.ts";
export { isStatus, MattermostError, type MattermostErrorKind } from "./mattermost_error.ts";
export { postMessage, type SendPost, sendTo } from "./post_message.ts";
export { FileBytes } from "./file_bytes.ts";
export { jsonArrayObjects } from "./json_objects.ts";
export { type MultipartBody, multipartBody, type MultipartFile } from "./multipart.ts";
export { isMattermostId, mattermostIdProblem } from "./mattermost_id.ts";
export { type ServerEvent, type ServerWatcher } from "./bot.ts";

// (d) Configuration and logging: declared variables, the environment and `.env`, grants.
export {
  BOT_VARIABLES,
  type BotConfig,
  envSource,
  FIXED_PATHS,
  type LogLevelName,
  readBotConfig,
} from "./config.ts";
export {
  choice,
  custom,
  type Declaration,
  type Declared,
  type Described,
  describeVariables,
  formatVariables,
  integer,
  optionalInteger,
  type PathUse,
  readDeclared,
  redescribe,
  required,
  text,
  type Variable,
  variableNames,
  type VariableRow,
} from "./env_declaration.ts";
export {
  type ConfigProblem,
  EnvReader,
  type EnvSource,
  formatProblems,
  type ProblemReport,
} from "./env_reader.ts";
export { deniedHost, deniedPaths, type PathNeed, pathNeeds, ungrantedVariables } from "./grants.ts";
export { Secret } from "./secret.ts";
export { logger, type LoggingOptions, setupLogging } from "./logging.ts";

// (e) Utilities: typed outcomes, bounded concurrency, retry delays, small checks.
export { describeProblem, err, fail, ok, type Problem, problem, type Result } from "./result.ts";
export { forEachBounded, type PoolOptions } from "./pool.ts";
export { Semaphore } from "./semaphore.ts";
export { backoffDelay, type BackoffPolicy, delay } from "./backoff.ts";
export { isTimeZone } from "./time_zone.ts";
export {
  addDays,
  fromWallEpoch,
  WallClock,
  wallDate,
  wallEpoch,
  type WallReading,
  type WallTime,
  wallTimeOfDay,
} from "./wall_clock.ts";
export { unreachable } from "./unreachable.ts";
