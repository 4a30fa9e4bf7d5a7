/**
 * What a handler sees of one incoming message: who sent it, where, the post itself, what the
 * access check decided, and a way to answer. Apps never touch WebSocket frames.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { Logger } from "@logtape/logtape";
import type { Client4, RestTransport } from "./rest.ts";
import { postMessage } from "./post_message.ts";

/** A post delivered by a `posted` event, with the event's envelope fields. */
export interface IncomingMessage {
  readonly post: Post;
  readonly channelId: string;
  /** `"D"` for a direct message, `"O"`/`"P"` for channels, `"G"` for group messages. */
  readonly channelType: string;
  /** Sender's username without the leading `@`. */
  readonly senderName: string;
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

/** Passed to every middleware and handler for one message. */
export class MessageContext {
  readonly message: IncomingMessage;
  readonly bot: BotIdentity;
  readonly client: Client4;
  readonly transport: RestTransport;
  readonly log: Logger;
  access: Access = { kind: "unchecked" };
  readonly #redact: (text: string) => string;

  constructor(
    fields: {
      message: IncomingMessage;
      bot: BotIdentity;
      client: Client4;
      transport: RestTransport;
      log: Logger;
      /** Applied to every reply, e.g. to remove the bot's token from echoed user input. */
      redact?: (text: string) => string;
    },
  ) {
    this.message = fields.message;
    this.bot = fields.bot;
    this.client = fields.client;
    this.transport = fields.transport;
    this.log = fields.log;
    this.#redact = fields.redact ?? ((text) => text);
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

  /** Answers in the same channel, split into several posts when longer than the limit. */
  async reply(text: string): Promise<void> {
    const channelId = this.message.channelId;
    await postMessage(
      (message) => this.client.createPost({ channel_id: channelId, message } as Post),
      this.#redact(text),
    );
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
