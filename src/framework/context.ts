/**
 * What a handler sees of one incoming message: who sent it, where, the post itself, what the
 * access check decided, and a way to answer. Apps never touch WebSocket frames.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { Logger } from "@logtape/logtape";
import type { MattermostClient } from "./client.ts";
import type { RestTransport } from "./rest.ts";
import { postMessage } from "./post_message.ts";
import { REPLY_TO_PROP } from "./catch_up.ts";

/** A post delivered by a `posted` event, with the event's envelope fields. */
export interface IncomingMessage {
  readonly post: Post;
  readonly channelId: string;
  /** `"D"` for a direct message, `"O"`/`"P"` for channels, `"G"` for group messages. */
  readonly channelType: string;
  /** Sender's username without the leading `@`. */
  readonly senderName: string;
  /**
   * True when the message was found by a REST catch-up (sent while the bot was away or while
   * its WebSocket was down) rather than delivered live.
   */
  readonly caughtUp?: boolean;
  /**
   * When the bot received it (ms, the bot's clock; set by `Bot.dispatch`): what a rate limit
   * counts, since a message may wait behind the sender's earlier ones before it is handled.
   */
  readonly receivedAt?: number;
}

/** What access control decided about the sender. */
export type Access =
  | { readonly kind: "unchecked" }
  | { readonly kind: "user" }
  | { readonly kind: "admin" };

/** The bot's own identity, known after startup. */
export interface BotIdentity {
  readonly userId: string;
  readonly username: string;
  readonly teamId: string;
  readonly teamName: string;
}

/**
 * Passed to every middleware and handler for one message.
 *
 * @example A middleware that answers one word and passes everything else on
 * ```ts
 * import type { MessageContext, Middleware } from "@postbot/framework";
 *
 * export const whoAmI: Middleware<MessageContext> = async (ctx, next) => {
 *   if (ctx.text.trim() !== "!whoami") return await next();
 *   ctx.log.info("{user} asked who they are", { user: ctx.username });
 *   await ctx.reply(`You are @${ctx.username}${ctx.isAdmin ? ", an admin" : ""}.`);
 * };
 * ```
 */
export class MessageContext {
  readonly message: IncomingMessage;
  readonly bot: BotIdentity;
  readonly client: MattermostClient;
  readonly transport: RestTransport;
  readonly log: Logger;
  access: Access = { kind: "unchecked" };
  readonly #redact: (text: string) => string;
  readonly #onPosted: (post: Post) => void;

  constructor(
    fields: {
      message: IncomingMessage;
      bot: BotIdentity;
      client: MattermostClient;
      transport: RestTransport;
      log: Logger;
      /** Applied to every reply, e.g. to remove the bot's token from echoed user input. */
      redact?: (text: string) => string;
      /** Told of every reply post created (the bot tracks its newest post per channel). */
      onPosted?: (post: Post) => void;
    },
  ) {
    this.message = fields.message;
    this.bot = fields.bot;
    this.client = fields.client;
    this.transport = fields.transport;
    this.log = fields.log;
    this.#redact = fields.redact ?? ((text) => text);
    this.#onPosted = fields.onPosted ?? (() => {});
  }

  /** The sender's user id. */
  get userId(): string {
    return this.message.post.user_id;
  }

  /** The sender's username (no `@`). */
  get username(): string {
    return this.message.senderName;
  }

  /** The message text. */
  get text(): string {
    return this.message.post.message;
  }

  /** True when access control found the sender to be an admin. */
  get isAdmin(): boolean {
    return this.access.kind === "admin";
  }

  /**
   * Answers in the same channel, split into several posts when longer than the limit. Each
   * post names the message it answers ({@link REPLY_TO_PROP}), so a catch-up can tell from
   * the conversation alone which messages were answered.
   */
  async reply(text: string): Promise<void> {
    const channelId = this.message.channelId;
    const props: Post["props"] = { [REPLY_TO_PROP]: this.message.post.id };
    await postMessage(async (message) => {
      const draft = { channel_id: channelId, message, props } as Partial<Post>;
      const post = await this.client.createPost(draft as Post);
      this.#onPosted(post);
    }, this.#redact(text));
  }

  /**
   * Answers with files the bot uploaded to this channel beforehand (`POST /files`), in one
   * post of at most the size limit; sent once (a file attaches to one post only), redacted
   * like {@link reply}.
   */
  async replyWithFiles(text: string, fileIds: readonly string[]): Promise<Post> {
    const props: Post["props"] = { [REPLY_TO_PROP]: this.message.post.id };
    const draft = {
      channel_id: this.message.channelId,
      message: this.#redact(text),
      file_ids: [...fileIds],
      props,
    } as Partial<Post>;
    const post = await this.client.createPost(draft as Post);
    this.#onPosted(post);
    return post;
  }

  /** How long ago (ms) the message was sent, by the server's clock on its post. */
  get ageMs(): number {
    return Math.max(0, Date.now() - this.message.post.create_at);
  }
}

/**
 * Extracts the message from a `posted` event. The post arrives as a JSON string inside
 * `data.post`; anything malformed yields undefined.
 */
export function parsePosted(data: Record<string, unknown>, channelId?: string) {
  if (typeof data.post !== "string") return undefined;
  let post: Post;
  try {
    post = JSON.parse(data.post);
  } catch {
    return undefined;
  }
  if (typeof post?.id !== "string" || typeof post.user_id !== "string") return undefined;
  const message: IncomingMessage = {
    post: { ...post, message: typeof post.message === "string" ? post.message : "" },
    channelId: post.channel_id ?? channelId ?? "",
    channelType: typeof data.channel_type === "string" ? data.channel_type : "",
    senderName: typeof data.sender_name === "string" ? data.sender_name.replace(/^@/, "") : "",
  };
  return message;
}
