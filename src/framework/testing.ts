/**
 * Test helpers for code built on the framework: a {@link MessageContext} whose replies are
 * collected instead of posted, so middleware, commands and conversations can be unit-tested
 * without a server.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import { getLogger } from "@logtape/logtape";
import type { MattermostClient } from "./client.ts";
import { type Access, type BotIdentity, type IncomingMessage, MessageContext } from "./context.ts";
import type { RestTransport } from "./rest.ts";

/** The bot a {@link recordingContext} speaks for unless told otherwise. */
export const TEST_BOT: BotIdentity = {
  userId: "bot",
  username: "bot",
  teamId: "t1",
  teamName: "staff",
};

/** What a test says about the incoming message; everything has a plain default. */
export interface RecordedMessage extends Partial<Omit<IncomingMessage, "post">> {
  /** Fields of the post (default: id "p", from "u1", message ""). */
  readonly post?: Partial<Post>;
  readonly bot?: BotIdentity;
  /** What access control decided (default: not checked yet). */
  readonly access?: Access["kind"];
}

/**
 * A DM (by default from alice) as a context whose replies land in `replies`; only
 * `createPost` is there to be called.
 *
 * @example
 * ```ts
 * import { recordingContext } from "@postbot/framework/testing";
 *
 * const { ctx, replies } = recordingContext({ post: { message: "!help" } });
 * await ctx.reply("hello");
 * // replies: ["hello"]
 * ```
 */
export function recordingContext(
  message: RecordedMessage = {},
): { ctx: MessageContext; replies: string[] } {
  const replies: string[] = [];
  const client = {
    createPost: (post: Post) => {
      replies.push(post.message);
      return Promise.resolve(post);
    },
  } as unknown as MattermostClient;
  const ctx = new MessageContext({
    message: {
      post: { id: "p", user_id: "u1", message: "", ...message.post } as Post,
      channelId: message.channelId ?? "c",
      channelType: message.channelType ?? "D",
      senderName: message.senderName ?? "alice",
      caughtUp: message.caughtUp,
      receivedAt: message.receivedAt,
    },
    bot: message.bot ?? TEST_BOT,
    client,
    transport: {} as RestTransport,
    log: getLogger(["test"]),
  });
  if (message.access !== undefined) ctx.access = { kind: message.access };
  return { ctx, replies };
}
