/**
 * What happens when handling a message fails (a handler throws, or recording the post as
 * handled does): the bot hands the error and the message's context to one
 * {@link ErrorHandler}, set with `bot.catch(...)` in the style of grammY's `bot.catch` and
 * Hono's `app.onError`. Never a crash, and the sender is never left without an answer: the
 * default, {@link logAndApologize}, logs the failure once with the sender and tells them.
 *
 * @module
 */

import type { Logger } from "@logtape/logtape";
import type { MessageContext } from "./context.ts";
import { logger } from "./logging.ts";

/**
 * Sees every failure of handling a message, with its context (who, where, the post, and
 * `ctx.reply`). Runs in the sender's queue: their next message waits for it.
 */
export type ErrorHandler = (error: unknown, ctx: MessageContext) => void | Promise<void>;

/** What the sender is told by default: it failed, it was not done, what to do. */
export const FAILURE_REPLY = "Something went wrong on my side while handling that message, " +
  "and it was not completed. Please try again in a moment; if it keeps failing, tell the " +
  "bot's operator.";

/** Where {@link logAndApologize} logs, and what it answers. */
export interface ApologyOptions {
  /** Default: the framework's `bot` logger. */
  readonly log?: Logger;
  /** Default: {@link FAILURE_REPLY}. */
  readonly reply?: string;
}

/**
 * The usual error handler, and the bot's default: one error line naming the sender (their
 * username, and their id as a property), then the apology; a reply that fails too is dropped.
 * The error's details stay in the log, never in the reply.
 *
 * @example Failures logged under the app's own category
 * ```ts
 * import { type Bot, logAndApologize, logger } from "@postbot/framework";
 *
 * declare const bot: Bot;
 * bot.catch(logAndApologize({ log: logger("app") }));
 * ```
 */
export function logAndApologize(options: ApologyOptions = {}): ErrorHandler {
  const log = options.log ?? logger("bot");
  const reply = options.reply ?? FAILURE_REPLY;
  return async (error, ctx) => {
    log.error("Handling a message from {user} failed: {error}", {
      user: ctx.username,
      userId: ctx.userId,
      error,
    });
    await ctx.reply(reply).catch(() => {});
  };
}
