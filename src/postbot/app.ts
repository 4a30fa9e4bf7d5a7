/**
 * postbot assembled, one step at a time: open the storage (database lock, database,
 * channels.toml), connect the bot and sweep the channels, wire the services (broadcasts,
 * schedules, the wizard, the commands), route messages (DMOnly -> bots ignored -> rate limit
 * -> access control -> commands, or the broadcast wizard for any other message), then start
 * the background loops.
 *
 * Every step that opens something registers its release on one `AsyncDisposableStack`: a
 * failure half-way releases what was opened, in reverse order, and stopping a running
 * postbot is that stack's `disposeAsync`.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import {
  accessControl,
  Bot,
  BotAccounts,
  type BotOptions,
  CommandDispatcher,
  describeProblem,
  directMessagesOnly,
  err,
  fail,
  holdLateSideEffects,
  ignoreBots,
  isAdminUnder,
  isChannelMember,
  logAndApologize,
  logger,
  MattermostError,
  ok,
  type Problem,
  type RateLimitCounters,
  rateLimitPerUser,
  type Result,
  type SessionStore,
} from "@postbot/framework";
import { databaseProblem, sqliteTrouble } from "@postbot/framework/sqlite";
import { createTaskSystem, type TaskSystem } from "../tasks/mod.ts";
import { SenderAuthority } from "./authority.ts";
import { BroadcastAudit } from "./broadcast/audit.ts";
import { Broadcaster } from "./broadcast/broadcaster.ts";
import { Editor } from "./broadcast/editor.ts";
import { AckCounts } from "./broadcast/ack_counts.ts";
import { ACK_ACTION_PATH, AckPosts } from "./broadcast/ack_post.ts";
import { ActionTokens, loadTokenKey } from "./broadcast/ack_token.ts";
import { Acknowledgements, AckStore } from "./broadcast/acknowledgements.ts";
import { followUpLines } from "./broadcast/follow_up_text.ts";
import { ReminderLoop } from "./broadcast/reminder_loop.ts";
import { ReminderStore, SeenTable } from "./broadcast/reminders.ts";
import { Reminders } from "./broadcast/reminder_service.ts";
import { ackActionHandler, approveActionHandler } from "./actions_server.ts";
import { remindCommand } from "./commands/remind.ts";
import { BroadcastLog } from "./broadcast/log.ts";
import { BroadcastService } from "./broadcast/service.ts";
import { SeenLog } from "./broadcast/seen_log.ts";
import { SeenReader } from "./broadcast/seen.ts";
import { captureRunThresholds } from "./broadcast/seen_threshold.ts";
import { ChannelCache } from "./channel_cache.ts";
import { ChannelsStore } from "./channels/channels_file.ts";
import { ChannelsSharing } from "./channels_sync.ts";
import { SharedFiles } from "./storage/shared_files.ts";
import { channelsRules, resolveChannelNames, TeamSnapshot } from "./channels_rules.ts";
import { aliasCommand } from "./commands/alias.ts";
import { historyCommand, retryCommand, undoCommand } from "./commands/broadcasts.ts";
import { channelsCommand, idCommand, refreshCommand } from "./commands/channels.ts";
import { editCommand } from "./commands/edit.ts";
import { exportCommand } from "./commands/export.ts";
import { addGroupCommand, listGroupsCommand } from "./commands/groups.ts";
import { addListCommand, listsCommand } from "./commands/lists.ts";
import { helpCommand } from "./commands/help.ts";
import { cancelCommand, scheduledCommand } from "./commands/scheduled.ts";
import {
  answerDecision,
  approveCommand,
  pendingCommand,
  rejectCommand,
  typedDecision,
} from "./commands/approval.ts";
import { Approvals, APPROVE_ACTION_PATH } from "./broadcast/approval/approvals.ts";
import { decisionLines } from "./broadcast/approval/approval_text.ts";
import { approvalNeeds } from "./targets/audiences.ts";
import { ApprovalExpiry } from "./broadcast/approval/approval_expiry.ts";
import { EditApprovals, type EditApprovalsDeps } from "./broadcast/approval/edit_approvals.ts";
import { EditRequestStore } from "./broadcast/approval/edit_requests.ts";
import { ApprovalDesk } from "./broadcast/approval/approval_desk.ts";
import { statusCommand } from "./commands/status.ts";
import type { PostbotConfig } from "./config.ts";
import { type ExtraRoutes, type HealthSnapshot, serveHealth } from "./health.ts";
import { Notifier } from "./notifier.ts";
import { ChannelPrivacy } from "./privacy.ts";
import { reresolve } from "./targets/reresolve.ts";
import { TeamDirectory } from "./targets/people.ts";
import { DirectChannels } from "./storage/direct_channels.ts";
import { Scheduler } from "./broadcast/scheduled/scheduler.ts";
import { SendLater } from "./broadcast/scheduled/send_later.ts";
import { ScheduledStore } from "./broadcast/scheduled/scheduled_broadcasts.ts";
import { databaseSettingProblem } from "./storage/setting_problem.ts";
import { StoredProcessedPosts } from "./storage/processed_posts.ts";
import type { Database } from "./database/port.ts";
import type { FenceSource } from "./database/fencing.ts";
import { type OpenedStore, openStore } from "./storage/open_store.ts";
import { DatabaseFiles } from "./broadcast/scheduled/scheduled_files.ts";
import { StoredSessionBackend } from "./storage/sessions.ts";
import { StoreHealth } from "./storage/store_health.ts";
import { TeamMembership } from "./team_membership.ts";
import type { Conversation } from "./wizard/conversation.ts";
import { decodeConversation } from "./wizard/decode.ts";
import { Wizard } from "./wizard/wizard.ts";
import { APP_NAME } from "./name.ts";
import type { ResolveContext } from "./targets/resolution.ts";
import type { BroadcastRecord } from "./broadcast/model.ts";

const log = logger("app");

/**
 * A command with side effects found by the catch-up after a restart is carried out only when
 * it was sent less than this long ago; an older one is explained and not run.
 */
export const LATE_SIDE_EFFECT_MS = 3 * 60_000;

/** How long a processed post id is remembered (catch-up never reaches further back). */
const PROCESSED_POSTS_KEPT_MS = 7 * 86_400_000;

/**
 * How long an idle connection to Mattermost is kept for the next request. Each holds buffers
 * that grew with what went through it (about 0.5 MB after an upload); fetch's own pool keeps
 * them 90 s, so after a burst of broadcasts the bot sat on a dozen of them that long.
 */
export const HTTP_POOL_IDLE_MS = 15_000;

/**
 * How long a positive team-membership (or active-account) answer is trusted at most; the
 * server's events drop it sooner (see team_membership.ts).
 */
const TEAM_MEMBERSHIP_TTL_MS = 5 * 60_000;

/** How long whether a user is a bot account is trusted (an account is rarely converted). */
const BOT_ACCOUNT_TTL_MS = 10 * 60_000;

/** A running postbot. */
export interface RunningPostbot {
  /** channels.toml as the bot holds it. */
  readonly channels: ChannelsStore;
  readonly bot: Bot;
  readonly broadcaster: Broadcaster;
  readonly sessions: SessionStore<Conversation>;
  /** What `/healthz` and `/metrics` report, also without HEALTH_PORT. */
  readonly health: () => HealthSnapshot;
  /**
   * Resolves when this instance, active on a shared database, lost the lease (another took
   * over): it acts no more (its writes are fenced) and should stop.
   */
  readonly lost: Promise<void>;
  /** Stops taking messages, lets work in flight finish, closes everything. */
  stop(): Promise<void>;
}

/** Extra knobs for tests and benchmarks; production uses the defaults. */
export interface PostbotOptions {
  readonly bot?: BotOptions;
}

/**
 * Starts postbot, or explains in one {@link Problem} why it cannot: a `SettingProblem`
 * when a place a setting names cannot be used (the database: damaged, read-only, a
 * directory...), which the entry point lists like a configuration problem.
 */
export async function startPostbot(
  config: PostbotConfig,
  options: PostbotOptions = {},
): Promise<Result<RunningPostbot, Problem>> {
  try {
    return await start(config, options);
  } catch (e) {
    // A store that fails after it opened cleanly (its disk, or damage quick_check missed).
    log.debug("Starting failed: {error}", { error: e });
    if (sqliteTrouble(e) !== undefined) {
      return err(databaseSettingProblem(databaseProblem(config.dbPath, e, { app: APP_NAME })));
    }
    return fail(`Starting failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function start(
  config: PostbotConfig,
  options: PostbotOptions,
): Promise<Result<RunningPostbot, Problem>> {
  // Whatever is still on the stack when this function returns was opened by a failed start.
  await using opened = new AsyncDisposableStack();
  const core = await openCore(config, options, opened);
  if (!core.ok) return core;
  const tasks = createTasks(core.value);
  const wiring = wireServices(core.value, tasks);
  const held = routeMessages(core.value, wiring);
  const health = await startLoops(core.value, wiring, tasks, held, opened);
  if (!health.ok) return health;
  const running = opened.move();
  const { broadcaster, wizard } = wiring;
  return ok({
    channels: core.value.channels,
    bot: core.value.bot,
    broadcaster,
    sessions: wizard.sessions,
    health: health.value,
    lost: core.value.store.lost,
    stop: async () => {
      await running.disposeAsync();
      log.info("postbot stopped");
    },
  });
}

/** What every later step builds on: storage, the connected bot and the channel sweep. */
interface Core {
  readonly config: PostbotConfig;
  /** The store (SQLite, or PostgreSQL shared with standbys) and this instance's role. */
  readonly store: OpenedStore;
  /** The database behind the port. */
  readonly database: Database;
  /** The fence of writes that commit to an outward action (database/fencing.ts). */
  readonly fence: FenceSource;
  /** The key of the acknowledgement buttons' tokens (kept in the database: ack_token.ts). */
  readonly tokenKey: Uint8Array;
  /** Gives each store its watched handle on the database; health reports those failing. */
  readonly stores: StoreHealth;
  readonly channels: ChannelsStore;
  /** channels.toml shared through the database (with `DATABASE_URL` only). */
  readonly sharing?: ChannelsSharing;
  readonly bot: Bot;
  readonly cache: ChannelCache;
  /** The team's people (for targets that are people). */
  readonly people: TeamDirectory;
  /** The team's people as last read, for channels.toml's check of senders and approvers. */
  readonly team: TeamSnapshot;
  readonly notifier: Notifier;
}

/**
 * Locks and opens the database, loads channels.toml, signs in and sweeps the team's
 * channels; refuses an audit channel that channels.toml makes a broadcast target.
 */
async function openCore(
  config: PostbotConfig,
  options: PostbotOptions,
  opened: AsyncDisposableStack,
): Promise<Result<Core, Problem>> {
  const store = await openStore(config, opened);
  if (!store.ok) return store;
  const channels = await loadChannels(config);
  if (!channels.ok) return channels;
  const stores = new StoreHealth();
  const { database, fence } = store.value;
  const processed = new StoredProcessedPosts(
    stores.watchDatabase(database, "processed posts"),
    fence,
  );
  await processed.prune(Date.now() - PROCESSED_POSTS_KEPT_MS);
  const tokenKey = await loadTokenKey(stores.watchDatabase(database, "settings"));
  const http = opened.use(Deno.createHttpClient({ poolIdleTimeout: HTTP_POOL_IDLE_MS }));
  const connected = await Bot.connect(config, {
    processed,
    ...options.bot,
    transport: { client: http, ...options.bot?.transport },
  });
  if (!connected.ok) return err(connected.error);
  const bot = connected.value;
  const cache = new ChannelCache({
    transport: bot.transport,
    teamId: bot.identity.teamId,
    botUserId: bot.identity.userId,
    ttlMs: config.channelCacheTtlSeconds * 1000,
  });
  const people = new TeamDirectory(bot.transport, bot.identity.teamId);
  const team = new TeamSnapshot(() => people.teamPeople());
  const guarded = await guardChannels(config, channels.value, cache, team);
  if (!guarded.ok) return guarded;
  const notifier = new Notifier(bot.transport, bot.identity.userId, config.botLogChannelId);
  const sharing = sharingOf(store.value, stores, channels.value);
  return ok({
    sharing,
    team,
    config,
    store: store.value,
    database,
    fence,
    tokenKey,
    stores,
    channels: channels.value,
    bot,
    cache,
    people,
    notifier,
  });
}

/**
 * Reads the team's channels and people, then checks channels.toml against them (the audit
 * channel never a target, senders and approvers active people of the team); the same rules
 * guard every later write of the file (!add_group, !add_alias).
 */
async function guardChannels(
  config: PostbotConfig,
  channels: ChannelsStore,
  cache: ChannelCache,
  team: TeamSnapshot,
): Promise<Result<void, Problem>> {
  try {
    await cache.refresh();
  } catch (e) {
    return fail(
      `Could not list the team's channels: ${e instanceof MattermostError ? e.message : String(e)}`,
    );
  }
  try {
    await team.refresh();
  } catch (e) {
    return fail(
      `Could not list the team's people: ${e instanceof MattermostError ? e.message : String(e)}`,
    );
  }
  channels.resolveWith((raw) => resolveChannelNames(raw, cache));
  const refused = channels.guard(
    channelsRules({ auditChannelId: config.botLogChannelId, cache, people: () => team.people }),
  );
  if (refused.length > 0) {
    return fail(
      `${config.channelsTomlPath} cannot be used (${
        refused.length === 1 ? "1 problem" : `${refused.length} problems`
      }):\n` + refused.map((p) =>
        `  - ${describeProblem(p).replaceAll("\n", "\n    ")}`
      ).join("\n"),
      `Fix ${config.channelsTomlPath} and start the bot again.`,
    );
  }
  return ok(undefined);
}

/**
 * With a shared database, channels.toml is shared through it too (channels_sync.ts): each
 * write by a command is stored from now on; the comparison runs on becoming active.
 */
function sharingOf(
  { holder, database, fence }: OpenedStore,
  stores: StoreHealth,
  channels: ChannelsStore,
): ChannelsSharing | undefined {
  if (holder === undefined) return undefined;
  const files = new SharedFiles(stores.watchDatabase(database, "shared files"), fence);
  const sharing = new ChannelsSharing(channels, files, holder);
  sharing.attach();
  return sharing;
}

/** Loads channels.toml; a missing file is allowed, and warned about once. */
async function loadChannels(config: PostbotConfig): Promise<Result<ChannelsStore, Problem>> {
  const loaded = await ChannelsStore.load(config.channelsTomlPath);
  if (!loaded.ok) return err(loaded.error);
  if (loaded.value.missing) {
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
  return ok(loaded.value);
}

/** The task plugins (`!tasks`, `!run`, scheduler.toml); nothing runs before `start()`. */
function createTasks({ config, database, fence, stores, notifier }: Core): TaskSystem {
  return createTaskSystem({
    db: stores.watchDatabase(database, "task history"),
    fence,
    serverUrl: config.serverUrl,
    token: config.token,
    tasksDir: config.tasksDir,
    schedulerTomlPath: config.schedulerTomlPath,
    timezone: config.schedulerTimezone,
    timeoutSeconds: config.taskTimeoutSeconds,
    memoryMb: config.taskMemoryMb,
    processEnv: config.taskProcessEnv,
    alert: (text) => notifier.audit(text),
  });
}

/** The services built from the core, with the wizard and the commands that use them. */
interface Wiring {
  readonly broadcaster: Broadcaster;
  readonly scheduler: Scheduler;
  /** What approvers answer, of new broadcasts and of edits. */
  readonly desk: ApprovalDesk;
  readonly approvalExpiry: ApprovalExpiry;
  readonly edits: EditApprovals;
  readonly wizard: Wizard;
  readonly dispatcher: CommandDispatcher;
  readonly teamMembers: TeamMembership;
  readonly followUp: FollowUp;
}

/** What happens to a broadcast after it went out: acknowledgements and reminders. */
interface FollowUp {
  readonly ackPosts: AckPosts;
  readonly acks: Acknowledgements;
  readonly counts: AckCounts;
  readonly reminders: Reminders;
  readonly reminderStore: ReminderStore;
  readonly loop: ReminderLoop;
  /** What `!status` adds about a broadcast. */
  readonly statusLines: (record: BroadcastRecord) => Promise<readonly string[]>;
  /** The buttons' tokens (acknowledgement and approval). */
  readonly tokens: ActionTokens;
}

/**
 * Acknowledgements (the buttons' tokens, the posts' counts, reactions heard on the socket) and
 * reminders (`!remind`, the automatic ones' loop). `isBusy` is the broadcaster's, built later.
 */
function wireFollowUp(
  { config, database, fence, stores, bot, people, notifier, tokenKey }: Core,
  broadcastLog: BroadcastLog,
  directChannels: DirectChannels,
  authority: SenderAuthority,
  isBusy: (id: string) => boolean,
): FollowUp {
  const { transport } = bot;
  const botUserId = bot.identity.userId;
  const tokens = new ActionTokens(tokenKey);
  const ackPosts = new AckPosts(config.actionsUrl, tokens);
  const ackStore = new AckStore(stores.watchDatabase(database, "acknowledgements"));
  const counts = new AckCounts({
    transport,
    ack: ackPosts,
    count: (id, postId) => ackStore.onPost(id, postId),
  });
  const acks = new Acknowledgements({
    store: ackStore,
    broadcastLog,
    transport,
    tokens,
    botUserId,
    isChannelMember: (channelId, userId) => isChannelMember(transport, channelId, userId),
    changed: (id, delivery) => counts.changed(id, delivery),
  });
  bot.watch(acks.watcher());
  const reminderStore = new ReminderStore(stores.watchDatabase(database, "reminders"), fence);
  const reminders = new Reminders({
    store: reminderStore,
    broadcastLog,
    transport,
    acks,
    seen: new SeenTable(stores.watchDatabase(database, "seen")),
    people,
    directChannels,
    authority,
    notifier,
    permalink: (postId) => `${config.serverUrl}/${bot.identity.teamName}/pl/${postId}`,
    botUserId,
    buttons: ackPosts.buttons,
    concurrency: config.broadcastConcurrency,
  });
  const loop = new ReminderLoop({
    store: reminderStore,
    reminders,
    broadcastLog,
    notifier,
    isBusy,
  });
  const statusLines = async (record: BroadcastRecord) =>
    followUpLines({
      record,
      deliveries: await broadcastLog.deliveries(record.id),
      acknowledged: await acks.who(record.id),
      reminders: [...(await reminderStore.counts(record.id)).values()].reduce((a, b) => a + b, 0),
      reminderDue: (await reminderStore.waiting(record.id))?.dueAt,
      now: Date.now(),
    });
  return { ackPosts, acks, counts, reminders, reminderStore, loop, statusLines, tokens };
}

/**
 * Who may see which private channel, who is an administrator, who still belongs to the team,
 * whether a sender may still send, and what the audit channel may read.
 */
interface AccessChecks {
  readonly privacy: ChannelPrivacy;
  readonly isAdmin: (userId: string, username: string) => boolean;
  readonly teamMembers: TeamMembership;
  readonly authority: SenderAuthority;
  readonly audit: BroadcastAudit;
}

/** Builds the {@link AccessChecks} of a core; team memberships follow the bot's events. */
function accessOf({ config, bot, cache, channels, notifier }: Core): AccessChecks {
  const privacy = new ChannelPrivacy(bot.transport, cache);
  const teamMembers = new TeamMembership(bot, TEAM_MEMBERSHIP_TTL_MS);
  bot.watch(teamMembers.watcher());
  const authority = new SenderAuthority({
    teamName: bot.identity.teamName,
    account: (userId) => teamMembers.account(userId),
    isTeamMember: (userId) => teamMembers.check(userId),
    allowed: config.allowedUsers,
    admins: config.adminUsers,
    channels: () => channels.config,
    channelType: async (channelId) =>
      cache.byId(channelId)?.type ??
        (await cache.lookup(channelId).catch(() => undefined))?.channel.type,
    isChannelMember: (channelId, userId) => isChannelMember(bot.transport, channelId, userId),
  });
  return {
    privacy,
    isAdmin: (userId, username) => isAdminUnder({ admins: config.adminUsers }, userId, username),
    teamMembers,
    authority,
    audit: new BroadcastAudit((text) => notifier.audit(text), (c) => privacy.isPrivate(c)),
  };
}

/** Builds the broadcast, schedule and edit services, the wizard, and registers the commands. */
function wireServices(core: Core, tasks: TaskSystem): Wiring {
  const { config, stores, bot, cache, channels, notifier, people } = core;
  const { transport } = bot;
  const botId = bot.identity.userId;
  const access = accessOf(core);
  const broadcastLog = broadcastLogOf(core);
  const directChannels = new DirectChannels(
    stores.watchDatabase(core.database, "direct channels"),
    transport,
    botId,
  );
  const followUp = wireFollowUp(
    core,
    broadcastLog,
    directChannels,
    access.authority,
    (id) => broadcaster.isBusy(id),
  );
  const seen = seenParts(core);
  const broadcaster = createBroadcaster(
    core,
    access,
    broadcastLog,
    { directChannels, followUp, captureSeen: seen.capture },
  );
  // The edit approvals apply an approved edit with the editor, built after them.
  const late: { editor?: Editor } = {};
  const { scheduled, broadcasts, scheduler, later, approvals, approvalExpiry, edits, desk } =
    wireScheduling(core, access, broadcastLog, broadcaster, tasks, {
      tokens: followUp.tokens,
      applyEdit: (id, text, actor, at) => late.editor!.applyApproved(id, text, actor, at),
    });
  const editor = late.editor = createEditor(core, access, broadcasts, scheduled, approvals, edits);
  // Known once the commands are registered (they need the wizard).
  let commandNames: ReadonlySet<string> = new Set();
  const wizard = new Wizard({
    config,
    channels,
    cache,
    people,
    privacy: access.privacy,
    transport,
    broadcasts,
    notifier,
    later,
    approvals,
    editor,
    reminders: followUp.reminders,
    commandNames: () => commandNames,
  }, sessionSettings(core));
  const dispatcher = registerCommands(
    core,
    access.privacy,
    broadcasts,
    scheduled,
    wizard,
    followUp,
    seen.reader,
    { edits, desk },
  );
  for (const command of tasks.commands) dispatcher.register(command);
  commandNames = new Set(dispatcher.commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]));
  return {
    broadcaster,
    scheduler,
    desk,
    approvalExpiry,
    edits,
    wizard,
    dispatcher,
    teamMembers: access.teamMembers,
    followUp,
  };
}

/** The broadcast log, its delivery claims fenced. */
function broadcastLogOf({ stores, database, fence }: Core): BroadcastLog {
  return new BroadcastLog(stores.watchDatabase(database, "broadcast log"), Date.now, fence);
}

/** The wizard's sessions: their time-to-live, and the shared table they are kept in. */
function sessionSettings({ config, stores, database, fence }: Core) {
  return {
    ttlMs: config.sessionTtlSeconds * 1000,
    cleanupIntervalMs: config.sessionCleanupIntervalSeconds * 1000,
    backend: new StoredSessionBackend<Conversation>(
      stores.watchDatabase(database, "sessions"),
      decodeConversation,
      fence,
    ),
  };
}

/** The scheduled store, the broadcasts' front door over it, the due loop and send later. */
function wireScheduling(
  core: Core,
  access: AccessChecks,
  broadcastLog: BroadcastLog,
  broadcaster: Broadcaster,
  tasks: TaskSystem,
  { tokens, applyEdit }: {
    readonly tokens: ActionTokens;
    readonly applyEdit: EditApprovalsDeps["apply"];
  },
) {
  const { config, database, fence, stores, bot, notifier } = core;
  const scheduled = new ScheduledStore(
    stores.watchDatabase(database, "scheduled broadcasts"),
    // Shared with standbys: the files wait in the database, where any active reaches them.
    config.database === undefined
      ? config.scheduledFilesDir
      : new DatabaseFiles(stores.watchDatabase(database, "scheduled files")),
    Date.now,
    fence,
  );
  const broadcasts = new BroadcastService({
    broadcastLog,
    engine: broadcaster,
    scheduled,
    undoWindowSeconds: config.undoWindowSeconds,
    editWindowSeconds: config.editWindowSeconds,
  });
  const scheduler = createScheduler(core, access, scheduled, broadcaster);
  const later = new SendLater({
    transport: bot.transport,
    store: scheduled,
    scheduler,
    notifier,
    audit: access.audit,
    fallbackZone: () => tasks.timezone,
  });
  // The loop reads the approvals, which wake it: it is built first, reading them lazily.
  const approvalExpiry = new ApprovalExpiry({
    expireLapsed: () => desk.expireLapsed(),
    nextExpiry: () => desk.nextExpiry(),
  });
  const common = {
    notifier,
    audit: access.audit,
    teamPeople: () => core.people.teamPeople(),
    ttlMs: config.approvalTtlSeconds * 1000,
    ...(config.actionsUrl === undefined ? {} : {
      buttons: { url: `${config.actionsUrl.replace(/\/+$/, "")}${APPROVE_ACTION_PATH}`, tokens },
    }),
    onOpened: () => approvalExpiry.wake(),
  };
  const edits = new EditApprovals({
    ...common,
    store: new EditRequestStore(stores.watchDatabase(core.database, "edit approvals")),
    scheduled,
    record: (id) => broadcastLog.get(id),
    needs: (answer) => approvalNeeds(answer, core.channels.config),
    apply: applyEdit,
  });
  const approvals: Approvals = new Approvals({
    ...common,
    store: scheduled,
    later,
    scheduler,
  });
  const desk = new ApprovalDesk({ approvals, edits, scheduled, tokens });
  return { scheduled, broadcasts, scheduler, later, approvals, approvalExpiry, edits, desk };
}

/** The delivery engine, with what its posts carry and who it wakes. */
function createBroadcaster(
  { config, bot, notifier, people, store }: Core,
  access: AccessChecks,
  broadcastLog: BroadcastLog,
  parts: {
    readonly directChannels: DirectChannels;
    readonly followUp: FollowUp;
    readonly captureSeen: (broadcastId: string) => Promise<void>;
  },
): Broadcaster {
  return new Broadcaster(bot.transport, broadcastLog, notifier, {
    directChannels: parts.directChannels,
    reminders: parts.followUp.loop,
    acknowledgement: parts.followUp.ackPosts,
    captureSeen: parts.captureSeen,
    unreachable: (targets) => people.unreachable(targets),
    auditChannelId: config.botLogChannelId,
    privacy: access.privacy,
    isAdmin: access.isAdmin,
    authority: access.authority,
    audit: access.audit,
    concurrency: config.broadcastConcurrency,
    attribution: config.broadcastAttribution,
    undoWindowSeconds: config.undoWindowSeconds,
    botUserId: bot.identity.userId,
    botUsername: bot.identity.username,
    mayAct: store.keeper === undefined ? undefined : () => store.keeper!.mayAct(),
  });
}

/** `!edit`'s editor. */
function createEditor(
  core: Core,
  access: AccessChecks,
  broadcasts: BroadcastService,
  scheduled: ScheduledStore,
  approvals: Approvals,
  edits: EditApprovals,
): Editor {
  return new Editor({
    transport: core.bot.transport,
    broadcasts,
    scheduled,
    approvals,
    edits,
    notifier: core.notifier,
    audit: access.audit,
    authority: access.authority,
    recipientsOf: async (answer) => {
      const found = await reresolve(answer, uncheckedContext(core));
      return found.ok ? found.value.targets : undefined;
    },
    attribution: core.config.broadcastAttribution,
  });
}

/**
 * Who has seen which broadcast: the reader `!status` and `!export` ask, and the capture of
 * the seen thresholds after each delivery run (see broadcast/seen_threshold.ts).
 */
function seenParts({ database, stores, bot }: Core): {
  reader: SeenReader;
  capture: (broadcastId: string) => Promise<void>;
} {
  const deps = {
    transport: bot.transport,
    seenLog: new SeenLog(stores.watchDatabase(database, "seen")),
    teamId: bot.identity.teamId,
    botUserId: bot.identity.userId,
  };
  return {
    reader: new SeenReader(deps),
    capture: async (id) => {
      await captureRunThresholds(deps, id);
    },
  };
}

/** The commands, each given the few things it uses. */
function registerCommands(
  { config, bot, cache, channels, people, team }: Core,
  privacy: ChannelPrivacy,
  broadcasts: BroadcastService,
  scheduled: ScheduledStore,
  questions: Wizard,
  followUp: FollowUp,
  seen: SeenReader,
  { edits, desk }: { readonly edits: EditApprovals; readonly desk: ApprovalDesk },
): CommandDispatcher {
  const { transport } = bot;
  const auditChannelId = config.botLogChannelId;
  const permalink = permalinkOf({ config, bot });
  const dispatcher = new CommandDispatcher();
  return dispatcher
    .register(helpCommand(() => dispatcher))
    .register(channelsCommand({ cache, privacy }))
    .register(idCommand({ cache, privacy }))
    .register(refreshCommand(cache))
    .register(listGroupsCommand({ channels, cache, privacy }, "groups"))
    .register(listGroupsCommand({ channels, cache, privacy }, "private_groups"))
    .register(addGroupCommand({ channels, cache, auditChannelId, team }, "groups"))
    .register(addGroupCommand({ channels, cache, auditChannelId, team }, "private_groups"))
    .register(listsCommand({ channels, people }))
    .register(addListCommand({ channels, people }))
    .register(aliasCommand({ channels, cache }))
    .register(historyCommand({ broadcasts, transport }))
    .register(statusCommand({
      broadcasts,
      transport,
      permalink,
      seen,
      more: async (record) => [
        ...await followUp.statusLines(record),
        ...decisionLines(await scheduled.decisions(record.id)),
      ],
    }))
    .register(exportCommand({ broadcasts, transport, permalink, seen }))
    .register(remindCommand({
      broadcasts,
      reminders: followUp.reminders,
      store: followUp.reminderStore,
      questions,
    }))
    .register(undoCommand({ broadcasts, questions }))
    .register(retryCommand(broadcasts))
    .register(editCommand({ broadcasts, questions, editWindowSeconds: config.editWindowSeconds }))
    .register(scheduledCommand(scheduled))
    .register(cancelCommand({ scheduled, questions, edits }))
    .register(approveCommand(desk))
    .register(rejectCommand(desk))
    .register(pendingCommand(desk));
}

/** The permalink of a post: `<server>/<team>/pl/<post id>`. */
function permalinkOf({ config, bot }: Pick<Core, "config" | "bot">): (postId: string) => string {
  return (postId) => `${config.serverUrl}/${bot.identity.teamName}/pl/${postId}`;
}

/**
 * Resolution as if the sender could reach every channel: what an answer leads to, whoever
 * asks. Its channels are then checked by the sender's authority (see authority.ts).
 */
function uncheckedContext({ config, cache, channels, bot, people }: Core): ResolveContext {
  return {
    config: channels.config,
    cache,
    senderIsMember: () => Promise.resolve(true),
    viewer: new ChannelPrivacy(bot.transport, cache).viewer("", true),
    auditChannelId: config.botLogChannelId,
    people,
  };
}

/** Sends scheduled broadcasts when due, to targets resolved again at that moment. */
function createScheduler(
  core: Core,
  { privacy, isAdmin, authority, audit }: AccessChecks,
  store: ScheduledStore,
  broadcaster: Broadcaster,
): Scheduler {
  const { config, cache, channels, bot, notifier, people } = core;
  return new Scheduler({
    store,
    broadcaster,
    notifier,
    audit,
    authority,
    resolve: (answer, sender) =>
      reresolve(answer, {
        config: channels.config,
        cache,
        senderIsMember: (channelId) => isChannelMember(bot.transport, channelId, sender.id),
        viewer: privacy.viewer(sender.id, isAdmin(sender.id, sender.username)),
        auditChannelId: config.botLogChannelId,
        people,
        senderName: sender.username,
      }, uncheckedContext(core)),
    // Channels archived or created since the broadcast was scheduled must count.
    beforeBatch: async () => {
      await cache.refresh();
    },
  });
}

/** What the front of the chain held back, for metrics. */
interface Held {
  /** Posts of bots and integrations not answered. */
  readonly bots: { ignored: number };
  readonly rateLimit: RateLimitCounters;
}

/**
 * The middleware chain: DMs only; bots ignored, then the rate limit (so refusals count, and
 * a bot costs nothing); access control, late side effects held, then commands.
 */
function routeMessages(
  { config, bot }: Core,
  { dispatcher, wizard, teamMembers, desk }: Wiring,
): Held {
  if (config.adminUsers.length === 0) {
    log.warn(
      "ADMIN_USERS is empty: every allowed user may change channels.toml and run tasks. " +
        "Set ADMIN_USERS to restrict that.",
    );
  }
  const accounts = new BotAccounts((userId) => bot.client.getUser(userId), BOT_ACCOUNT_TTL_MS);
  const windowMs = config.userRateWindowSeconds * 1000;
  const held: Held = { bots: { ignored: 0 }, rateLimit: { dropped: 0, notices: 0 } };
  bot
    .use(directMessagesOnly())
    .use(ignoreBots({
      allowed: config.allowedBots,
      isBot: (userId) => accounts.isBot(userId),
      logWindowMs: windowMs,
    }, held.bots))
    .use(rateLimitPerUser({ limit: config.userRateLimit, windowMs }, held.rateLimit))
    .use(accessControl({
      // An allowed bot may use the bot without also being listed in ALLOWED_USERS.
      allowed: config.allowedUsers.length === 0
        ? []
        : [...config.allowedUsers, ...config.allowedBots],
      admins: config.adminUsers,
      isTeamMember: (userId) => teamMembers.check(userId),
    }))
    .use(holdLateSideEffects({
      maxAgeMs: LATE_SIDE_EFFECT_MS,
      hasSideEffects: (ctx) =>
        dispatcher.hasSideEffects(
          ctx,
          (c) =>
            typedDecision(c.text) !== undefined || wizard.answerHasSideEffects(c.userId, c.text),
        ),
    }))
    .use(dispatcher.middleware((ctx) => {
      // `approve <id>` / `reject <id> <reason>` typed without `!` are decisions, not drafts.
      const typed = typedDecision(ctx.text);
      return typed !== undefined ? answerDecision(desk, ctx, typed) : wizard.handle(ctx);
    }))
    .catch(logAndApologize({ log }));
  return held;
}

/**
 * Serves health (and button clicks), then -- at once alone on SQLite, after taking the lease
 * as a standby on PostgreSQL -- settles what the previous process left (resumes it after a
 * takeover) and starts everything that acts: tasks, sessions, the bot (its catch-up answers
 * missed DMs), the scheduler and the follow-up loops.
 */
async function startLoops(
  core: Core,
  wiring: Wiring,
  tasks: TaskSystem,
  held: Held,
  opened: AsyncDisposableStack,
): Promise<Result<() => HealthSnapshot, Problem>> {
  const state = { shuttingDown: false };
  const snapshot = snapshotOf(core, wiring, tasks, held, state);
  const served = serveOn(core.config, wiring, snapshot, opened);
  if (!served.ok) return served;
  const { store } = core;
  if (store.keeper !== undefined) {
    // The keeper took its first round while the channels were swept: an instance that is
    // active already read them just now; a standby read them when it started, maybe hours ago.
    if (store.keeper.role.kind !== "active") {
      log.info("Standby: connected and ready; waiting for the lease to act");
      await store.active;
      await core.cache.refresh().catch((e) =>
        log.warn("Could not refresh the channel list on taking over: {error}", { error: e })
      );
    }
    // channels.toml as the previous active left it: the newest of this instance's own file
    // (re-read: a standby read it maybe hours ago) and the database's copy.
    await core.sharing?.onActive();
    // Settle what a previous process left unfinished before any DM can confirm a new one.
    const resumed = await wiring.broadcaster.resume();
    if (resumed > 0) log.warn("Took over {n} unfinished broadcasts", { n: resumed });
  } else {
    // Recovery treats every pending broadcast as interrupted (one process: it stopped).
    await wiring.broadcaster.recover();
  }
  const started = await activate(core, wiring, tasks, opened);
  if (!started.ok) return started;
  opened.defer(() => {
    state.shuttingDown = true;
    wiring.wizard.close();
  });
  log.info("postbot is ready: {channels} channels cached, listening for DMs", {
    channels: core.cache.size,
  });
  return ok(snapshot);
}

/** What /healthz and /metrics read, from the running parts. */
function snapshotOf(
  { config, bot, cache, stores, store }: Core,
  { broadcaster, wizard }: Wiring,
  tasks: TaskSystem,
  held: Held,
  state: { shuttingDown: boolean },
): () => HealthSnapshot {
  return () => ({
    ...healthOf(bot, cache, broadcaster, tasks),
    ignoredFromBots: held.bots.ignored,
    ignoredRateLimited: held.rateLimit.dropped,
    rateLimitNotices: held.rateLimit.notices,
    sessionsOpen: wizard.sessions.size,
    shuttingDown: state.shuttingDown,
    role: roleOf(store),
    database: config.database === undefined ? config.dbPath : store.shown,
    stores: storesHealth(stores),
  });
}

/** This instance's role as /healthz reports it. */
function roleOf(store: OpenedStore): HealthSnapshot["role"] {
  const role = store.keeper?.role;
  if (role === undefined || role.kind === "active") return { kind: "active" };
  const reason = role.reason;
  return {
    kind: "standby",
    reason: reason.kind === "held_by"
      ? `another instance is active (${reason.holder})`
      : reason.kind === "unreachable"
      ? `the database cannot be reached (${reason.error})`
      : reason.kind === "lost"
      ? "this instance lost the lease"
      : reason.kind === "stopped"
      ? "shutting down"
      : "starting",
  };
}

/** Serves health, metrics and (with ACTIONS_URL) button clicks on HEALTH_PORT, if set. */
function serveOn(
  config: PostbotConfig,
  { followUp, desk }: Wiring,
  snapshot: () => HealthSnapshot,
  opened: AsyncDisposableStack,
): Result<void, Problem> {
  if (config.healthPort === undefined) return ok(undefined);
  try {
    // Button clicks come to the same port (ACTIONS_URL names it as the server reaches it).
    const actions: ExtraRoutes = config.actionsUrl === undefined ? {} : {
      [ACK_ACTION_PATH]: ackActionHandler(followUp.acks),
      [APPROVE_ACTION_PATH]: approveActionHandler(desk),
    };
    opened.defer(serveHealth(config.healthPort, snapshot, actions));
    return ok(undefined);
  } catch (e) {
    return fail(
      `HEALTH_PORT=${config.healthPort} cannot be used: ${(e as Error).message}. ` +
        "Choose a free port, or leave HEALTH_PORT empty.",
    );
  }
}

/** Starts everything that acts; what starts is stopped in reverse by `opened`. */
async function activate(
  { config, bot, cache }: Core,
  { broadcaster, scheduler, wizard, followUp, approvalExpiry, edits }: Wiring,
  tasks: TaskSystem,
  opened: AsyncDisposableStack,
): Promise<Result<void, Problem>> {
  // Tasks and sessions first: the catch-up in bot.start() may hand over a missed `!run`.
  await tasks.start();
  opened.defer(() => tasks.stop());
  opened.defer(async () => {
    const finished = await broadcaster.drain(config.shutdownGraceSeconds * 1000);
    if (!finished) log.warn("Shutdown grace period over: unfinished deliveries were recorded");
    await followUp.counts.idle();
  });
  cache.start();
  opened.defer(() => cache.stop());
  // What the previous active instance's users were in the middle of (a takeover) continues.
  await wizard.sessions.load();
  wizard.sessions.start();
  opened.defer(async () => {
    wizard.sessions.stop();
    await wizard.sessions.flush();
  });
  opened.defer(() => bot.stop());
  const connected = await bot.start();
  if (!connected.ok) return err(connected.error);
  // After recovery and the connection: what came due while postbot was down goes out now.
  await scheduler.start();
  opened.defer(() => scheduler.stop());
  await approvalExpiry.start();
  opened.defer(() => approvalExpiry.stop());
  // An edit approved just before a stop (or a takeover) changes its posts now.
  await edits.resume();
  await followUp.loop.start();
  opened.defer(() => followUp.loop.stop());
  // Reactions given while postbot was down are read back; the socket hears the rest.
  void followUp.acks.sweep();
  return ok(undefined);
}

/** Every store in the database, with the last error of those failing now. */
function storesHealth(stores: StoreHealth): HealthSnapshot["stores"] {
  const failing = new Map(stores.failing.map((f) => [f.store, f.error]));
  return stores.stores.map((name) =>
    failing.has(name) ? { name, failing: failing.get(name) } : { name }
  );
}

/** The health figures the running parts keep themselves. */
function healthOf(
  bot: Bot,
  cache: ChannelCache,
  broadcaster: Broadcaster,
  tasks: TaskSystem,
): Omit<
  HealthSnapshot,
  | "sessionsOpen"
  | "shuttingDown"
  | "role"
  | "database"
  | "stores"
  | "ignoredFromBots"
  | "ignoredRateLimited"
  | "rateLimitNotices"
> {
  return {
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
  };
}

/** Exposed for tests that need the raw database. */
export type { DatabaseSync };
