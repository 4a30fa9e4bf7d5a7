/**
 * The generic bot runtime: checks the credentials and team at startup, keeps the WebSocket
 * open, turns `posted` events into {@link MessageContext}s, runs them through the middleware
 * chain one at a time per user, and catches up over REST when events were lost. Every other
 * event (membership changes, user updates) goes to the app's {@link ServerWatcher}s, so
 * what the app caches about people follows the server instead of a timer.
 *
 * @module
 */

import type { Post, PostList } from "@mattermost/types/posts";
import type { UserProfile } from "@mattermost/types/users";
import type { Team } from "@mattermost/types/teams";
import type { BotConfig } from "./config.ts";
import {
  type ChannelCounts,
  type MemberCounts,
  readConversation,
  unreadDirectChannels,
  type UnreadDm,
} from "./catch_up.ts";
import { type BotIdentity, type IncomingMessage, MessageContext, parsePosted } from "./context.ts";
import { settleSoon } from "./idle_gc.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { logger } from "./logging.ts";
import { isStatus, MattermostError } from "./mattermost_error.ts";
import { compose, type Middleware } from "./middleware.ts";
import { MemoryProcessedPosts, type ProcessedPosts } from "./processed_posts.ts";
import { MattermostClient } from "./client.ts";
import { RestTransport, type TransportOptions } from "./rest.ts";
import { fail, ok, type Problem, type Result } from "./result.ts";
import { MattermostSocket, type SocketEvent } from "./websocket.ts";
import type { BackoffPolicy } from "./backoff.ts";

const log = logger("bot");

/** Tuning of the runtime; defaults suit production. */
export interface BotOptions {
  readonly processed?: ProcessedPosts;
  readonly pingIntervalMs?: number;
  readonly reconnectBackoff?: BackoffPolicy;
  /** Oldest DM (ms before now) a catch-up will still answer. Default one hour. */
  readonly catchUpWindowMs?: number;
  /**
   * How long a DM channel must stay quiet (everything in it handled, nothing new) before the
   * bot marks it read. Default {@link MARK_READ_QUIET_MS}.
   */
  readonly markReadQuietMs?: number;
  readonly transport?: Omit<TransportOptions, "serverUrl" | "token">;
}

/** A WebSocket event other than `posted`: `leave_team`, `user_removed`, `user_updated`... */
export type ServerEvent = SocketEvent;

/**
 * Hears the server besides DMs: an app that caches answers about people (team membership,
 * whether an account is active) drops them on the events that change them, and drops all of
 * them when events were lost (a reconnect the server could not resume).
 */
export interface ServerWatcher {
  /** Any event but `posted` (those are messages, handled by the middleware chain). */
  readonly onEvent?: (event: ServerEvent) => void;
  /** Events were lost: nothing derived from them may be trusted any more. */
  readonly onEventsLost?: () => void;
}

/**
 * A conversation is marked read once it has been quiet this long, not after every answer: a
 * user sending one command after another costs one `view` request, not one per command.
 */
export const MARK_READ_QUIET_MS = 1_000;

/**
 * A connected bot. Create with {@link Bot.connect}, add middleware with {@link Bot.use}, then
 * {@link Bot.start}; {@link Bot.stop} lets the messages being handled finish.
 *
 * @example
 * ```ts
 * import { Bot, type BotConfig, directMessagesOnly } from "@postbot/framework";
 *
 * declare const config: BotConfig; // from readBotConfig: see the package README
 * const connected = await Bot.connect(config);
 * if (!connected.ok) throw new Error(connected.error.message);
 * const bot = connected.value
 *   .use(directMessagesOnly())
 *   .use((ctx) => ctx.reply(`You said: ${ctx.text}`));
 * const started = await bot.start();
 * if (!started.ok) throw new Error(started.error.message);
 * Deno.addSignalListener("SIGTERM", () => void bot.stop());
 * ```
 */
export class Bot {
  readonly identity: BotIdentity;
  readonly client: MattermostClient;
  readonly transport: RestTransport;
  readonly #middleware: Middleware<MessageContext>[] = [];
  readonly #queue = new KeyedQueue();
  readonly #processed: ProcessedPosts;
  readonly #socket: MattermostSocket;
  readonly #catchUpWindowMs: number;
  readonly #usernames = new Map<string, string>();
  readonly #redact: (text: string) => string;
  /** DMs being handled per channel: the channel is marked read when it drops to zero. */
  readonly #inFlight = new Map<string, number>();
  /** Newest post the bot knows of per DM channel (its own included), by create_at. */
  readonly #newest = new Map<string, number>();
  /** Marks in flight, awaited by {@link stop} (they write to the database). */
  readonly #marking = new Set<Promise<void>>();
  /** Marks waiting for their channel to stay quiet; {@link stop} sends them at once. */
  readonly #quietMarks = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #markReadQuietMs: number;
  readonly #watchers: ServerWatcher[] = [];
  #chain: ((ctx: MessageContext) => Promise<void>) | undefined;
  #catchingUp: Promise<void> | undefined;
  #catchUpAgain = false;
  #lastDisconnect = "";
  #accepting = true;
  #ready: PromiseWithResolvers<void> = Promise.withResolvers();

  private constructor(
    fields: {
      identity: BotIdentity;
      client: MattermostClient;
      transport: RestTransport;
      config: BotConfig;
      options: BotOptions;
    },
  ) {
    this.identity = fields.identity;
    this.client = fields.client;
    this.transport = fields.transport;
    this.#processed = fields.options.processed ?? new MemoryProcessedPosts();
    this.#catchUpWindowMs = fields.options.catchUpWindowMs ?? 3_600_000;
    this.#markReadQuietMs = fields.options.markReadQuietMs ?? MARK_READ_QUIET_MS;
    const token = fields.config.token;
    this.#redact = (text) => token.scrub(text);
    this.#socket = new MattermostSocket({
      serverUrl: fields.config.serverUrl,
      token: fields.config.token,
      pingIntervalMs: fields.options.pingIntervalMs,
      backoff: fields.options.reconnectBackoff,
      onEvent: (event) => this.#onEvent(event),
      onEventsLost: () => {
        log.warn("WebSocket events were lost; catching up over REST");
        this.#tellWatchers((w) => w.onEventsLost?.());
        void this.catchUp();
      },
      onConnected: ({ resumed, connectionId }) => {
        log.info("WebSocket connected ({how}, connection {id})", {
          how: resumed ? "resuming the previous session" : "new session",
          id: connectionId,
        });
        this.#ready.resolve();
      },
      onDisconnected: (reason) => {
        this.#lastDisconnect = reason;
        log.warn("WebSocket disconnected: {reason}", { reason });
      },
    });
  }

  /**
   * Checks the server, the token and the team, and returns a bot ready to {@link start}.
   * Every failure comes back as a sentence naming the setting to fix.
   */
  static async connect(
    config: BotConfig,
    options: BotOptions = {},
  ): Promise<Result<Bot, Problem>> {
    const transport = new RestTransport({
      ...options.transport,
      serverUrl: config.serverUrl,
      token: config.token,
    });
    const client = new MattermostClient(transport);
    let me: UserProfile;
    try {
      me = await client.getMe();
    } catch (e) {
      return fail(describeStartupFailure(e, config));
    }
    let team: Team;
    try {
      team = await client.getTeamByName(config.teamName);
    } catch (e) {
      if (isStatus(e, 404, 403)) {
        return fail(
          `TEAM_NAME "${config.teamName}" was not found on ${config.serverUrl}, ` +
            `or the bot @${me.username} is not a member of it. Use the team's URL name ` +
            "(the part after the server address in the browser) and add the bot to the team.",
        );
      }
      return fail(describeStartupFailure(e, config));
    }
    log.info("Signed in as @{bot} on {url}, team {team}", {
      bot: me.username,
      url: config.serverUrl,
      team: team.name,
    });
    return ok(
      new Bot({
        identity: { userId: me.id, username: me.username, teamId: team.id, teamName: team.name },
        client,
        transport,
        config,
        options,
      }),
    );
  }

  /** Appends middleware; the last one is usually the command dispatcher. */
  use(middleware: Middleware<MessageContext>): this {
    this.#middleware.push(middleware);
    this.#chain = undefined;
    return this;
  }

  /** Adds a watcher of the server's other events (see {@link ServerWatcher}). */
  watch(watcher: ServerWatcher): this {
    this.#watchers.push(watcher);
    return this;
  }

  /** True while the WebSocket is connected. */
  get connected(): boolean {
    return this.#socket.connected;
  }

  /** WebSocket reconnections since start. */
  get reconnects(): number {
    return this.#socket.reconnects;
  }

  /**
   * Connects the WebSocket and resolves once it is connected and the catch-up has found the
   * DMs sent while the bot was away (within the catch-up window; they are answered after).
   * Fails with a readable reason when no connection could be made within `timeoutMs` (a
   * proxy refusing WebSocket upgrades, say).
   */
  async start(timeoutMs = 60_000): Promise<Result<void, Problem>> {
    this.#socket.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const connected = await Promise.race([this.#ready.promise.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!connected) {
      this.#socket.stop();
      return fail(
        `The WebSocket to ${this.transport.serverUrl}/api/v4/websocket did not connect ` +
          `within ${Math.round(timeoutMs / 1000)} s` +
          (this.#lastDisconnect !== "" ? ` (last attempt: ${this.#lastDisconnect})` : "") +
          ". The REST API works, so check that a proxy in front of Mattermost passes WebSocket " +
          "upgrades (Upgrade and Connection headers).",
      );
    }
    // Always: the database may be new or restored; Mattermost's unread counts say what to read.
    await this.catchUp();
    return ok(undefined);
  }

  /** Stops taking new messages and waits for the ones being handled. */
  async stop(): Promise<void> {
    this.#accepting = false;
    this.#socket.stop();
    await this.#catchingUp;
    await this.#queue.idle();
    // Conversations handled before the stop are still marked read, without waiting.
    for (const [channelId, timer] of this.#quietMarks) {
      clearTimeout(timer);
      this.#markReadNow(channelId);
    }
    this.#quietMarks.clear();
    while (this.#marking.size > 0) await Promise.all([...this.#marking]);
  }

  /** Feeds a message through the chain as if it had arrived now (REST catch-up, tests). */
  dispatch(received: IncomingMessage): Promise<void> {
    const message = { ...received, receivedAt: received.receivedAt ?? Date.now() };
    const post = message.post;
    const direct = message.channelType === "D";
    if (direct) this.#saw(message.channelId, post.create_at);
    if (!this.#accepting || post.user_id === this.identity.userId) return Promise.resolve();
    if (direct) {
      this.#inFlight.set(message.channelId, (this.#inFlight.get(message.channelId) ?? 0) + 1);
      // Not quiet any more: the mark waits until this one is handled too.
      clearTimeout(this.#quietMarks.get(message.channelId));
      this.#quietMarks.delete(message.channelId);
    }
    return this.#queue.run(post.user_id, async () => {
      try {
        await this.#handle(message, direct);
      } finally {
        if (direct) this.#settled(message.channelId);
        settleSoon();
      }
    });
  }

  /**
   * Claims a DM (once per post, across restarts) and runs the chain. Anything thrown, the
   * claim's store failing included, is logged and apologised for: never a crash.
   */
  async #handle(message: IncomingMessage, direct: boolean): Promise<void> {
    const post = message.post;
    const ctx = new MessageContext({
      message,
      bot: this.identity,
      client: this.client,
      transport: this.transport,
      log: logger("message"),
      redact: this.#redact,
      onPosted: (reply) => this.#saw(reply.channel_id, reply.create_at),
    });
    try {
      if (direct && !this.#processed.claim(post.id, message.channelId, post.create_at)) return;
      await this.#run(ctx);
    } catch (e) {
      log.error("Handling a message from {user} failed: {error}", {
        user: message.senderName,
        error: e,
      });
      await ctx.reply(
        "Something went wrong on my side while handling that message, and it was not " +
          "completed. Please try again in a moment; if it keeps failing, tell the bot's operator.",
      ).catch(() => {});
    }
  }

  #saw(channelId: string, createAt: number): void {
    if (createAt > (this.#newest.get(channelId) ?? 0)) this.#newest.set(channelId, createAt);
  }

  /** One DM of the channel is done; when none is left, the channel is marked read. */
  #settled(channelId: string): void {
    const left = (this.#inFlight.get(channelId) ?? 1) - 1;
    if (left > 0) {
      this.#inFlight.set(channelId, left);
      return;
    }
    this.#inFlight.delete(channelId);
    this.#markReadSoon(channelId);
  }

  /** Marks the channel read once it has stayed quiet for `markReadQuietMs`. */
  #markReadSoon(channelId: string): void {
    clearTimeout(this.#quietMarks.get(channelId));
    if (!this.#accepting) return;
    const timer = setTimeout(() => {
      this.#quietMarks.delete(channelId);
      this.#markReadNow(channelId);
    }, this.#markReadQuietMs);
    this.#quietMarks.set(channelId, timer);
  }

  /** Starts {@link #markRead} in the background; {@link stop} waits for it. */
  #markReadNow(channelId: string): void {
    const marking = this.#markRead(channelId).catch((e) => {
      log.warn("Marking DM channel {channel} read failed: {error}", {
        channel: channelId,
        error: e,
      });
    });
    this.#marking.add(marking);
    void marking.finally(() => this.#marking.delete(marking));
  }

  /**
   * Marks a DM channel viewed by the bot (`POST /channels/members/me/view`), so its
   * `msg_count` catches up with the channel's and the next catch-up skips it unread. The view
   * answers the channel's `last_post_at`: when that is newer than any post the bot knows
   * there, a post slipped under the mark before the bot handled it. Its event is normally on
   * its way (or a lost-events catch-up follows), but should the bot die first, the channel
   * is remembered as unsettled and the next catch-up reads it anyway.
   */
  async #markRead(channelId: string): Promise<void> {
    const known = this.#newest.get(channelId) ?? 0;
    let viewedUpTo: unknown;
    try {
      const response = await this.transport.send(this.transport.api("/channels/members/me/view"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ channel_id: channelId }),
        background: true,
      });
      const body = await response.json() as { last_viewed_at_times?: Record<string, unknown> };
      viewedUpTo = body.last_viewed_at_times?.[channelId];
    } catch (e) {
      log.warn("Could not mark DM channel {channel} as read: {error}", {
        channel: channelId,
        error: e,
      });
      return;
    }
    if (typeof viewedUpTo === "number" && viewedUpTo > known) {
      log.info("DM channel {channel} was marked read with a post not handled yet", {
        channel: channelId,
      });
      this.#processed.markUnsettled(channelId, known);
    } else {
      this.#processed.markSettled(channelId);
    }
  }

  #run(ctx: MessageContext): Promise<void> {
    this.#chain ??= compose(this.#middleware);
    return this.#chain(ctx);
  }

  #onEvent(event: SocketEvent): void {
    if (event.event !== "posted") {
      this.#tellWatchers((w) => w.onEvent?.(event));
      return;
    }
    const message = parsePosted(event.data, event.broadcast?.channel_id);
    if (message === undefined) {
      log.warn("Ignored a malformed posted event (seq {seq})", { seq: event.seq });
      return;
    }
    if (message.senderName !== "") this.#usernames.set(message.post.user_id, message.senderName);
    void this.dispatch(message);
  }

  /** Calls every watcher; one that throws is logged and does not stop the others. */
  #tellWatchers(call: (watcher: ServerWatcher) => void): void {
    for (const watcher of this.#watchers) {
      try {
        call(watcher);
      } catch (e) {
        log.error("A server event watcher failed: {error}", { error: e });
      }
    }
  }

  /**
   * Fetches DMs the bot may have missed and handles those not yet handled. A request while a
   * catch-up runs schedules one more pass, so a second gap is not folded into the first.
   */
  catchUp(): Promise<void> {
    if (this.#catchingUp !== undefined) {
      this.#catchUpAgain = true;
      return this.#catchingUp;
    }
    this.#catchingUp = (async () => {
      do {
        this.#catchUpAgain = false;
        await this.#catchUp();
      } while (this.#catchUpAgain && this.#accepting);
    })().finally(() => this.#catchingUp = undefined);
    return this.#catchingUp;
  }

  /**
   * One pass: lists the bot's channels and its memberships (two requests), reads only the DM
   * channels whose unread counts say something arrived since the bot last marked them read
   * (see catch_up.ts), and answers the users' posts no bot post answers yet. Posts found
   * answered are recorded as handled, so the database catches up with the conversation.
   * Every request is paced behind live traffic.
   */
  async #catchUp(): Promise<void> {
    const since = Math.max(0, Date.now() - this.#catchUpWindowMs);
    const team = this.identity.teamId;
    let unread: UnreadDm[];
    try {
      const [channels, members] = await Promise.all([
        this.transport.getJson<ChannelCounts[]>(
          `/users/me/teams/${team}/channels`,
          undefined,
          true,
        ),
        this.transport.getJson<MemberCounts[]>(
          `/users/me/teams/${team}/channels/members`,
          undefined,
          true,
        ),
      ]);
      unread = unreadDirectChannels(channels, members, since);
    } catch (e) {
      log.warn("Catch-up could not list the bot's DM channels: {error}", { error: e });
      unread = this.#processed.dmChannels().map((channelId) => ({ channelId, readFrom: since }));
    }
    const listed = new Set(unread.map((dm) => dm.channelId));
    for (const { channelId, after } of this.#processed.unsettled()) {
      if (!listed.has(channelId)) unread.push({ channelId, readFrom: Math.max(since, after) });
    }
    const missed = await this.#answerMissed(unread);
    log.info("Catch-up read {channels} DM channel(s) with news; {missed} DM(s) to answer", {
      channels: unread.length,
      missed,
    });
  }

  /** Reads the channels, then dispatches their unanswered posts oldest first; returns how many. */
  async #answerMissed(unread: readonly UnreadDm[]): Promise<number> {
    const missed: Post[] = [];
    for (const dm of unread) {
      if (!this.#accepting) break;
      missed.push(...await this.#readChannel(dm));
    }
    missed.sort((a, b) => a.create_at - b.create_at);
    const names = await this.#usernamesOf(missed.map((p) => p.user_id));
    for (const post of missed) {
      void this.dispatch({
        post,
        channelId: post.channel_id,
        channelType: "D",
        senderName: names.get(post.user_id) ?? post.user_id,
        caughtUp: true,
      });
    }
    return missed.length;
  }

  /** The channel's unanswered posts; answered ones are recorded, a settled channel marked read. */
  async #readChannel(dm: UnreadDm): Promise<Post[]> {
    let list: PostList;
    try {
      list = await this.transport.getJson<PostList>(
        `/channels/${dm.channelId}/posts?since=${dm.readFrom}&skipFetchThreads=true`,
        undefined,
        true,
      );
    } catch (e) {
      log.warn("Catch-up could not read DM channel {channel}: {error}", {
        channel: dm.channelId,
        error: e,
      });
      return [];
    }
    const posts = Object.values(list.posts ?? {}).filter((p) => p.channel_id === dm.channelId);
    for (const post of posts) this.#saw(dm.channelId, post.create_at);
    const reading = readConversation(posts, this.identity.userId, dm.readFrom);
    for (const post of reading.answered) {
      this.#processed.claim(post.id, post.channel_id, post.create_at);
    }
    if (reading.missed.length === 0 && !this.#inFlight.has(dm.channelId)) {
      this.#markReadSoon(dm.channelId);
    }
    return reading.missed;
  }

  /** Usernames of the senders, from live events or one `POST /users/ids` for the rest. */
  async #usernamesOf(userIds: readonly string[]): Promise<Map<string, string>> {
    const unknown = [...new Set(userIds)].filter((id) => !this.#usernames.has(id));
    if (unknown.length > 0) {
      try {
        const response = await this.transport.send(this.transport.api("/users/ids"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(unknown),
          background: true,
        });
        for (const user of await response.json() as UserProfile[]) {
          this.#usernames.set(user.id, user.username);
        }
      } catch (e) {
        log.warn("Catch-up could not look up {count} sender(s): {error}", {
          count: unknown.length,
          error: e,
        });
      }
    }
    return new Map(userIds.map((id) => [id, this.#usernames.get(id) ?? id]));
  }
}

function describeStartupFailure(e: unknown, config: BotConfig): string {
  if (e instanceof MattermostError) {
    if (e.status === 401) {
      return `The server at ${config.serverUrl} rejected TOKEN (401 Unauthorized). Create a ` +
        "bot account access token (System Console \u203a Integrations \u203a Bot Accounts) and set TOKEN.";
    }
    if (e.status === 0 && plainHttpAnswer(config.serverUrl, e.message)) {
      const http = config.serverUrl.replace(/^https:/, "http:");
      return `The server at URL=${config.serverUrl} answered in plain HTTP, not HTTPS (TLS): ` +
        `${e.message}. A URL without a scheme means https. If the server has no TLS, set ` +
        `URL=${http}; if it should have TLS, check the port.`;
    }
    if (e.status === 0) {
      return `Cannot reach the Mattermost server at URL=${config.serverUrl}: ${e.message}. ` +
        "Check URL, the network, and for https with a private CA set DENO_CERT=/path/ca.pem.";
    }
    return `The server at ${config.serverUrl} answered ${e.status} (${e.message}). ` +
      "Check that URL points at a Mattermost server.";
  }
  return `Starting failed: ${e instanceof Error ? e.message : String(e)}`;
}

/**
 * Whether an https request failed because the other side spoke plain HTTP: rustls reports
 * the HTTP bytes as a TLS record of an invalid content type ("received corrupt message of
 * type InvalidContentType").
 */
function plainHttpAnswer(serverUrl: string, message: string): boolean {
  return serverUrl.startsWith("https:") &&
    /InvalidContentType|corrupt message|wrong version number|http request to an https/i.test(
      message,
    );
}
