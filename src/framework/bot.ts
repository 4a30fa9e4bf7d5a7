/**
 * The generic bot runtime, composed of its pieces: signing in (sign_in.ts), the WebSocket
 * (connection.ts), the catch-up over REST when events were lost (catch_up_runner.ts) and the
 * read marks of DM channels (read_marks.ts). The bot turns `posted` events into
 * {@link MessageContext}s and runs them through the middleware chain one at a time per user;
 * a failure goes to its {@link ErrorHandler}. Every other event (membership changes, user
 * updates) goes to the app's {@link ServerWatcher}s, so what the app caches about people
 * follows the server instead of a timer.
 *
 * @module
 */

import type { BackoffPolicy } from "./backoff.ts";
import { CatchUpRunner } from "./catch_up_runner.ts";
import type { MattermostClient } from "./client.ts";
import type { BotConfig } from "./config.ts";
import { BotConnection } from "./connection.ts";
import { type BotIdentity, type IncomingMessage, MessageContext, parsePosted } from "./context.ts";
import { type ErrorHandler, logAndApologize } from "./error_handler.ts";
import { settleSoon } from "./idle_gc.ts";
import { KeyedQueue } from "./keyed_queue.ts";
import { logger } from "./logging.ts";
import { compose, type Middleware } from "./middleware.ts";
import { MemoryProcessedPosts, type ProcessedPosts } from "./processed_posts.ts";
import { ReadMarks } from "./read_marks.ts";
import type { RestTransport, TransportOptions } from "./rest.ts";
import { ok, type Problem, type Result } from "./result.ts";
import { type SignedIn, signIn } from "./sign_in.ts";
import type { SocketEvent } from "./websocket.ts";

const log = logger("bot");

/** What the bot does with a failure unless told otherwise ({@link Bot.catch}). */
const apologize = logAndApologize();

/** Tuning of the runtime; defaults suit production. */
export interface BotOptions {
  readonly processed?: ProcessedPosts;
  readonly pingIntervalMs?: number;
  readonly reconnectBackoff?: BackoffPolicy;
  /** Oldest DM (ms before now) a catch-up will still answer. Default one hour. */
  readonly catchUpWindowMs?: number;
  /**
   * How long a DM channel must stay quiet (everything in it handled, nothing new) before the
   * bot marks it read. Default one second (`MARK_READ_QUIET_MS` in read_marks.ts).
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
 *   .use((ctx) => ctx.reply(`You said: ${ctx.text}`))
 *   .catch(async (error, ctx) => {
 *     ctx.log.error("{user}'s message failed: {error}", { user: ctx.username, error });
 *     await ctx.reply("That did not work; please try again.");
 *   });
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
  readonly #connection: BotConnection;
  readonly #marks: ReadMarks;
  readonly #catchUp: CatchUpRunner;
  readonly #redact: (text: string) => string;
  readonly #watchers: ServerWatcher[] = [];
  #onError: ErrorHandler = apologize;
  #chain: ((ctx: MessageContext) => Promise<void>) | undefined;
  #accepting = true;

  private constructor(signedIn: SignedIn, config: BotConfig, options: BotOptions) {
    this.identity = signedIn.identity;
    this.client = signedIn.client;
    this.transport = signedIn.transport;
    this.#processed = options.processed ?? new MemoryProcessedPosts();
    const token = config.token;
    this.#redact = (text) => token.scrub(text);
    const accepting = () => this.#accepting;
    this.#marks = new ReadMarks({
      transport: this.transport,
      processed: this.#processed,
      quietMs: options.markReadQuietMs,
      accepting,
    });
    this.#catchUp = new CatchUpRunner({
      transport: this.transport,
      identity: this.identity,
      processed: this.#processed,
      marks: this.#marks,
      windowMs: options.catchUpWindowMs ?? 3_600_000,
      accepting,
      dispatch: (message) => this.dispatch(message),
    });
    this.#connection = new BotConnection({
      serverUrl: config.serverUrl,
      token: config.token,
      pingIntervalMs: options.pingIntervalMs,
      reconnectBackoff: options.reconnectBackoff,
      onEvent: (event) => this.#onEvent(event),
      onEventsLost: () => {
        log.warn("WebSocket events were lost; catching up over REST");
        this.#tellWatchers((w) => w.onEventsLost?.());
        void this.catchUp();
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
    const signedIn = await signIn(config, options.transport);
    if (!signedIn.ok) return signedIn;
    return ok(new Bot(signedIn.value, config, options));
  }

  /** Appends middleware; the last one is usually the command dispatcher. */
  use(middleware: Middleware<MessageContext>): this {
    this.#middleware.push(middleware);
    this.#chain = undefined;
    return this;
  }

  /**
   * Sets what happens when handling a message fails (see {@link ErrorHandler}); replaces the
   * default, which logs the failure and apologises to the sender ({@link logAndApologize}).
   * A handler that throws itself is logged, and the default runs after all.
   */
  catch(handler: ErrorHandler): this {
    this.#onError = handler;
    return this;
  }

  /** Adds a watcher of the server's other events (see {@link ServerWatcher}). */
  watch(watcher: ServerWatcher): this {
    this.#watchers.push(watcher);
    return this;
  }

  /** True while the WebSocket is connected. */
  get connected(): boolean {
    return this.#connection.connected;
  }

  /** WebSocket reconnections since start. */
  get reconnects(): number {
    return this.#connection.reconnects;
  }

  /**
   * Connects the WebSocket and resolves once it is connected and the catch-up has found the
   * DMs sent while the bot was away (within the catch-up window; they are answered after).
   * Fails with a readable reason when no connection could be made within `timeoutMs` (a
   * proxy refusing WebSocket upgrades, say).
   */
  async start(timeoutMs = 60_000): Promise<Result<void, Problem>> {
    const opened = await this.#connection.open(timeoutMs);
    if (!opened.ok) return opened;
    // Always: the database may be new or restored; Mattermost's unread counts say what to read.
    await this.catchUp();
    return ok(undefined);
  }

  /** Stops taking new messages and waits for the ones being handled. */
  async stop(): Promise<void> {
    this.#accepting = false;
    this.#connection.close();
    await this.#catchUp.running;
    await this.#queue.idle();
    await this.#marks.flush();
  }

  /**
   * Fetches DMs the bot may have missed and handles those not yet handled. A request while a
   * catch-up runs schedules one more pass, so a second gap is not folded into the first.
   */
  catchUp(): Promise<void> {
    return this.#catchUp.run();
  }

  /** Feeds a message through the chain as if it had arrived now (REST catch-up, tests). */
  dispatch(received: IncomingMessage): Promise<void> {
    const message = { ...received, receivedAt: received.receivedAt ?? Date.now() };
    const post = message.post;
    const direct = message.channelType === "D";
    const own = post.user_id === this.identity.userId;
    if (direct && own) this.#marks.sawOwn(message.channelId, post.create_at);
    else if (direct) this.#marks.saw(message.channelId, post.create_at);
    if (!this.#accepting || own) return Promise.resolve();
    if (direct) this.#marks.began(message.channelId);
    return this.#queue.run(post.user_id, async () => {
      try {
        await this.#handle(message, direct);
      } finally {
        if (direct) this.#marks.settled(message.channelId);
        settleSoon();
      }
    });
  }

  /**
   * Claims a DM (once per post, across restarts) and runs the chain. Anything thrown, the
   * claim's store failing included, goes to the error handler: never a crash.
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
      onPosted: (reply) => this.#marks.saw(reply.channel_id, reply.create_at),
    });
    try {
      if (direct && !await this.#processed.claim(post.id, message.channelId, post.create_at)) {
        return;
      }
      this.#chain ??= compose(this.#middleware);
      await this.#chain(ctx);
    } catch (e) {
      await this.#failed(e, ctx);
    }
  }

  /** Hands a failure to the error handler; one that throws falls back to the default. */
  async #failed(error: unknown, ctx: MessageContext): Promise<void> {
    try {
      await this.#onError(error, ctx);
    } catch (e) {
      log.error("The error handler failed: {error}", { error: e });
      await apologize(error, ctx);
    }
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
    if (message.senderName !== "") {
      this.#catchUp.knowSender(message.post.user_id, message.senderName);
    }
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
}
