/**
 * postbot assembled: opens the database and channels.toml, connects the bot, sweeps the
 * channels, wires the middleware chain (DMOnly → access control → commands, or
 * the broadcast wizard for any other message) and starts the background loops.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { Bot, type BotOptions } from "../framework/bot.ts";
import { CommandDispatcher } from "../framework/dispatcher.ts";
import {
  accessControl,
  directMessagesOnly,
  holdLateSideEffects,
  isAdminUnder,
} from "../framework/filters.ts";
import { logger } from "../framework/logging.ts";
import { isStatus, MattermostError } from "../framework/mattermost_error.ts";
import { isChannelMember } from "../framework/client.ts";
import { err, ok, type Result } from "../framework/result.ts";
import { openDatabase } from "../framework/sqlite.ts";
import { ChannelCache } from "./channel_cache.ts";
import { formatChannelsFileError } from "./channels/config.ts";
import { ChannelsStore } from "./channels/store.ts";
import { channelsCommand, idCommand, refreshCommand } from "./commands/channels.ts";
import { aliasCommand } from "./commands/alias.ts";
import { addGroupCommand, listGroupsCommand } from "./commands/groups.ts";
import { helpCommand } from "./commands/help.ts";
import { historyCommand, retryCommand, undoCommand } from "./commands/broadcasts.ts";
import { Broadcaster } from "./broadcast/broadcaster.ts";
import { BroadcastLog } from "./broadcast/log.ts";
import { Notifier } from "./notifier.ts";
import { SqliteSessionBackend } from "./storage/sessions.ts";
import type { Conversation } from "./wizard/conversation.ts";
import { decodeConversation } from "./wizard/decode.ts";
import { Wizard } from "./wizard/wizard.ts";
import type { SessionStore } from "../framework/sessions.ts";
import type { PostbotConfig } from "./config.ts";
import { MIGRATIONS } from "./schema.ts";
import type { PostbotServices } from "./services.ts";
import { SqliteProcessedPosts } from "./storage/processed_posts.ts";
import { createTaskSystem } from "../tasks/mod.ts";
import { Editor } from "./broadcast/editor.ts";
import { editCommand } from "./commands/edit.ts";
import { cancelCommand, scheduledCommand } from "./commands/scheduled.ts";
import { statusCommand } from "./commands/status.ts";
import { reresolve } from "./schedule/reresolve.ts";
import { Scheduler } from "./schedule/scheduler.ts";
import { SendLater } from "./schedule/send_later.ts";
import { ScheduledStore } from "./schedule/store.ts";
import { type HealthSnapshot, serveHealth } from "./health.ts";
import { ChannelPrivacy } from "./privacy.ts";
import { auditChannelProblems } from "./audit_channel.ts";

const log = logger("app");

/**
 * A command with side effects found by the catch-up after a restart is carried out only when
 * it was sent less than this long ago; an older one is explained and not run.
 */
export const LATE_SIDE_EFFECT_MS = 3 * 60_000;

/** A running postbot. */
export interface RunningPostbot {
  readonly services: PostbotServices;
  readonly bot: Bot;
  readonly broadcaster: Broadcaster;
  readonly sessions: SessionStore<Conversation>;
  /** What `/healthz` and `/metrics` report, also without HEALTH_PORT. */
  readonly health: () => HealthSnapshot;
  /** Stops taking messages, lets work in flight finish, closes everything. */
  stop(): Promise<void>;
}

/** Extra knobs for tests and benchmarks; production uses the defaults. */
export interface PostbotOptions {
  readonly bot?: BotOptions;
}

/** Starts postbot, or explains in one message why it cannot. */
// deno-lint-ignore postbot/max-function-lines
export async function startPostbot(
  config: PostbotConfig,
  options: PostbotOptions = {},
): Promise<Result<RunningPostbot, string>> {
  const lock = await lockDatabase(config.dbPath);
  if (!lock.ok) return lock;
  const opened = openDatabase(config.dbPath, MIGRATIONS);
  if (!opened.ok) {
    lock.value.close();
    return err(opened.error.message);
  }
  const db = opened.value;
  const fail = (message: string) => {
    db.close();
    lock.value.close();
    return err(message);
  };

  const loaded = await ChannelsStore.load(config.channelsTomlPath);
  if (!loaded.ok) return fail(formatChannelsFileError(loaded.error));
  const channels = loaded.value;
  if (channels.missing) {
    // Once, at startup, in the log and (WARNING) on the console: a bot without groups is
    // almost always a file in the wrong place, not a choice.
    log.warn(
      "{path} was not found: starting with no groups, aliases or whitelisted channels, so " +
        "users can only broadcast to channel ids they are members of. Create {path} in the " +
        "working directory (see README, channels.toml) or set CHANNELS_TOML_PATH; " +
        "!add_group creates it.",
      { path: config.channelsTomlPath },
    );
  }

  const processed = new SqliteProcessedPosts(db);
  processed.prune(Date.now() - 7 * 86_400_000);
  const connected = await Bot.connect(config, { processed, ...options.bot });
  if (!connected.ok) return fail(connected.error.message);
  const bot = connected.value;

  const cache = new ChannelCache({
    transport: bot.transport,
    teamId: bot.identity.teamId,
    botUserId: bot.identity.userId,
    ttlMs: config.channelCacheTtlSeconds * 1000,
  });
  try {
    await cache.refresh();
  } catch (e) {
    return fail(
      `Could not list the team's channels: ${e instanceof MattermostError ? e.message : String(e)}`,
    );
  }

  const auditClash = auditChannelProblems(config.botLogChannelId, channels.config, cache);
  if (auditClash.length > 0) {
    return fail(
      `The audit channel (BOT_LOG_CHANNEL_ID=${config.botLogChannelId}) must never receive ` +
        `broadcasts, but ${config.channelsTomlPath} makes it a target:\n` +
        auditClash.map((p) => `  - ${p}`).join("\n") +
        `\nRemove it from ${config.channelsTomlPath}, or set BOT_LOG_CHANNEL_ID to a channel ` +
        "used only for the bot's audit posts.",
    );
  }

  const services: PostbotServices = {
    config,
    identity: bot.identity,
    transport: bot.transport,
    cache,
    channels,
    db,
    privacy: new ChannelPrivacy(bot.transport, cache),
    isAdmin: (userId, username) => isAdminUnder({ admins: config.adminUsers }, userId, username),
  };

  const notifier = new Notifier(bot.transport, bot.identity.userId, config.botLogChannelId);
  const broadcaster = new Broadcaster(bot.transport, new BroadcastLog(db), notifier, {
    auditChannelId: config.botLogChannelId,
    privacy: services.privacy,
    isAdmin: services.isAdmin,
    concurrency: config.broadcastConcurrency,
    attribution: config.broadcastAttribution,
    undoWindowSeconds: config.undoWindowSeconds,
    botUserId: bot.identity.userId,
    botUsername: bot.identity.username,
  });
  const scheduledStore = new ScheduledStore(db, config.scheduledFilesDir);
  const senderIsMember = (channelId: string, userId: string) =>
    isChannelMember(bot.transport, channelId, userId);
  const scheduler = new Scheduler({
    store: scheduledStore,
    broadcaster,
    notifier,
    resolve: (answer, sender) =>
      reresolve(answer, {
        config: channels.config,
        cache,
        senderIsMember: (channelId) => senderIsMember(channelId, sender.id),
        viewer: services.privacy.viewer(sender.id, services.isAdmin(sender.id, sender.username)),
        auditChannelId: config.botLogChannelId,
      }),
    // Channels archived or created since the broadcast was scheduled must count.
    beforeBatch: async () => {
      await cache.refresh();
    },
  });
  const later = new SendLater({
    transport: bot.transport,
    store: scheduledStore,
    scheduler,
    notifier,
    fallbackZone: () => tasks.timezone,
  });
  const editor = new Editor({
    transport: bot.transport,
    broadcaster,
    scheduled: scheduledStore,
    notifier,
    attribution: config.broadcastAttribution,
    editWindowSeconds: config.editWindowSeconds,
  });
  const theWizard = new Wizard(services, broadcaster, notifier, {
    ttlMs: config.sessionTtlSeconds * 1000,
    cleanupIntervalMs: config.sessionCleanupIntervalSeconds * 1000,
    backend: new SqliteSessionBackend<Conversation>(db, decodeConversation),
  }, { later, editor });
  const sessions = theWizard.sessions;

  const dispatcher = new CommandDispatcher();
  dispatcher
    .register(helpCommand(() => dispatcher))
    .register(channelsCommand(services))
    .register(idCommand(services))
    .register(refreshCommand(services))
    .register(listGroupsCommand(services, "groups"))
    .register(listGroupsCommand(services, "private_groups"))
    .register(addGroupCommand(services, "groups"))
    .register(addGroupCommand(services, "private_groups"))
    .register(aliasCommand(services))
    .register(historyCommand(broadcaster, { scheduled: scheduledStore, transport: bot.transport }))
    .register(statusCommand(services, broadcaster, scheduledStore))
    .register(undoCommand(services, broadcaster, theWizard, scheduledStore))
    .register(retryCommand(broadcaster, scheduledStore))
    .register(editCommand(editor, broadcaster, scheduledStore, theWizard, config.editWindowSeconds))
    .register(scheduledCommand(later))
    .register(cancelCommand(later, theWizard));
  const tasks = createTaskSystem({
    db,
    serverUrl: config.serverUrl,
    token: config.token,
    tasksDir: config.tasksDir,
    schedulerTomlPath: config.schedulerTomlPath,
    timezone: config.schedulerTimezone,
    timeoutSeconds: config.taskTimeoutSeconds,
    memoryMb: config.taskMemoryMb,
    alert: (text) => notifier.audit(text),
  });
  for (const command of tasks.commands) dispatcher.register(command);

  if (config.adminUsers.length === 0) {
    log.warn(
      "ADMIN_USERS is empty: every allowed user may change channels.toml and run tasks. " +
        "Set ADMIN_USERS to restrict that.",
    );
  }
  const teamMembers = new TeamMembership(bot, 5 * 60_000);
  bot
    .use(directMessagesOnly())
    .use(accessControl({
      allowed: config.allowedUsers,
      admins: config.adminUsers,
      isTeamMember: (userId) => teamMembers.check(userId),
    }))
    .use(holdLateSideEffects({
      maxAgeMs: LATE_SIDE_EFFECT_MS,
      hasSideEffects: (ctx) =>
        dispatcher.hasSideEffects(ctx, (c) => theWizard.answerHasSideEffects(c.userId, c.text)),
    }))
    .use(dispatcher.middleware((ctx) => theWizard.handle(ctx)));

  // Settle what a previous process left unfinished before any DM can confirm a new broadcast:
  // recovery treats every pending broadcast as interrupted.
  await broadcaster.recover();
  let shuttingDown = false;
  const snapshot = (): HealthSnapshot => ({
    websocketConnected: bot.connected,
    websocketReconnects: bot.reconnects,
    cacheFresh: cache.fresh,
    cacheAgeSeconds: cache.refreshedAt > 0
      ? Math.round((Date.now() - cache.refreshedAt) / 1000)
      : undefined,
    cachedChannels: cache.size,
    broadcasts: broadcaster.counters.broadcasts,
    deliveriesOk: broadcaster.counters.deliveriesOk,
    deliveriesFailed: broadcaster.counters.deliveriesFailed,
    broadcastsInProgress: broadcaster.running,
    taskRunsOk: tasks.counters.runsOk,
    taskRunsFailed: tasks.counters.runsFailed,
    sessionsOpen: sessions.size,
    shuttingDown,
  });
  let stopHealth: (() => Promise<void>) | undefined;
  if (config.healthPort !== undefined) {
    try {
      stopHealth = serveHealth(config.healthPort, snapshot);
    } catch (e) {
      return fail(
        `HEALTH_PORT=${config.healthPort} cannot be used: ${(e as Error).message}. ` +
          "Choose a free port, or leave HEALTH_PORT empty.",
      );
    }
  }
  cache.start();
  // Tasks and sessions first: the catch-up in bot.start() may hand over a missed `!run`.
  await tasks.start();
  sessions.start();
  const connectedWs = await bot.start();
  if (!connectedWs.ok) {
    cache.stop();
    sessions.stop();
    await tasks.stop();
    await stopHealth?.();
    return fail(connectedWs.error.message);
  }
  // After recovery and the connection: what came due while postbot was down goes out now.
  await scheduler.start();
  log.info("postbot is ready: {channels} channels cached, listening for DMs", {
    channels: cache.size,
  });

  return ok({
    services,
    bot,
    broadcaster,
    sessions,
    health: snapshot,
    stop: async () => {
      shuttingDown = true;
      theWizard.close();
      cache.stop();
      sessions.stop();
      await scheduler.stop();
      await bot.stop();
      const finished = await broadcaster.drain(config.shutdownGraceSeconds * 1000);
      if (!finished) log.warn("Shutdown grace period over: unfinished deliveries were recorded");
      await tasks.stop();
      await stopHealth?.();
      db.close();
      lock.value.close();
      log.info("postbot stopped");
    },
  });
}

/** Caches positive team-membership answers for a while; refusals are re-checked. */
class TeamMembership {
  readonly #bot: Bot;
  readonly #ttlMs: number;
  readonly #members = new Map<string, number>();

  constructor(bot: Bot, ttlMs: number) {
    this.#bot = bot;
    this.#ttlMs = ttlMs;
  }

  async check(userId: string): Promise<boolean> {
    const until = this.#members.get(userId);
    if (until !== undefined && until > Date.now()) return true;
    try {
      const member = await this.#bot.client.getTeamMember(this.#bot.identity.teamId, userId);
      if ((member.delete_at ?? 0) > 0) return false;
      this.#members.set(userId, Date.now() + this.#ttlMs);
      return true;
    } catch (e) {
      if (isStatus(e, 404, 403)) return false;
      throw e;
    }
  }
}

/**
 * One postbot per database: two processes on one token would answer every DM twice and
 * deliver every broadcast twice. The lock is an OS file lock, released when the process dies.
 */
async function lockDatabase(path: string): Promise<Result<Deno.FsFile, string>> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      return err(
        `DB_PATH=${path} is outside the granted permissions: add it to --allow-read and ` +
          `--allow-write (or set DB_PATH inside the bot's data directory).`,
      );
    }
    return err(`DB_PATH=${path} cannot be opened: ${(e as Error).message}`);
  }
  if (!await file.tryLock(true)) {
    file.close();
    return err(
      `Another postbot is already running on DB_PATH=${path}. Two bots on one database ` +
        "would answer every message and deliver every broadcast twice; stop the other one first.",
    );
  }
  return ok(file);
}

/** Exposed for tests that need the raw database. */
export type { DatabaseSync };
