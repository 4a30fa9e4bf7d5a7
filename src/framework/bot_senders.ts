/**
 * Posts that no person wrote get no answer. Two bots that both answer every DM talk to each
 * other forever, and an answer to a webhook or a server notice reaches nobody; so, unless the
 * sender is on an allow-list, the bot ignores:
 *
 * - posts of **bot accounts**: the server marks every post of a bot user `props.from_bot:
 *   "true"` (CreatePost), and the sender's `is_bot` says so too (`GET /users/{id}`, cached);
 * - posts marked as coming from an integration: `from_bot` or `from_webhook` set by any API
 *   client (a person's script may mark its posts so);
 * - **system posts** (`system_*`: a DM's header changed...), which the server writes under
 *   the user's id.
 *
 * Ignored means no reply at all (a refusal would be an answer to loop on), and one log line
 * per sender per window, not one per post.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { UserProfile } from "@mattermost/types/users";
import { isSystemPost } from "./catch_up.ts";
import type { MessageContext } from "./context.ts";
import { listed } from "./filters.ts";
import { logger } from "./logging.ts";
import type { Middleware } from "./middleware.ts";
import type { UserRef } from "./user_ref.ts";

const log = logger("bots");

/** Why a sender is not answered: what the post says, or what the account is. */
export type NotAPerson = "bot post" | "webhook post" | "bot account";

/** What the post itself says: marked by a bot or a webhook, or undefined (maybe a person). */
export function markedAutomated(post: Post): NotAPerson | undefined {
  const props = post.props ?? {};
  if (props.from_bot === "true") return "bot post";
  if (props.from_webhook === "true") return "webhook post";
  return undefined;
}

/**
 * Whether users are bot accounts, asked of the server once per user and remembered for
 * `ttlMs` (an account can be converted, rarely). A failed lookup is not remembered.
 */
export class BotAccounts {
  readonly #lookup: (userId: string) => Promise<Pick<UserProfile, "is_bot">>;
  readonly #ttlMs: number;
  readonly #known = new Map<string, { readonly bot: boolean; readonly until: number }>();
  readonly #now: () => number;

  constructor(
    lookup: (userId: string) => Promise<Pick<UserProfile, "is_bot">>,
    ttlMs: number,
    now: () => number = Date.now,
  ) {
    this.#lookup = lookup;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** True when `userId` is a bot account; throws when the server cannot say. */
  async isBot(userId: string): Promise<boolean> {
    const now = this.#now();
    const known = this.#known.get(userId);
    if (known !== undefined && known.until > now) return known.bot;
    const bot = (await this.#lookup(userId)).is_bot === true;
    if (this.#known.size >= 10_000) this.#forgetExpired(now);
    this.#known.set(userId, { bot, until: now + this.#ttlMs });
    return bot;
  }

  #forgetExpired(now: number): void {
    for (const [id, entry] of this.#known) if (entry.until <= now) this.#known.delete(id);
  }
}

/** Which senders that are not people may still talk to the bot. */
export interface BotSenderPolicy {
  /** Bot accounts (ids or usernames) the bot answers like people (`ALLOWED_BOTS`). */
  readonly allowed: readonly UserRef[];
  /** Whether a user is a bot account (see {@link BotAccounts}). */
  readonly isBot: (userId: string) => Promise<boolean>;
  /** One log line per sender per this many ms. */
  readonly logWindowMs: number;
}

/**
 * The middleware: drops posts of bots and integrations, and system posts, without a word,
 * unless the sender is allowed. A failed `is_bot` lookup lets the post through (a person must
 * not be ignored for a server hiccup; the rate limit after this bounds a bot let through).
 * `counters.ignored` counts what was dropped.
 */
export function ignoreBots(
  policy: BotSenderPolicy,
  counters: { ignored: number } = { ignored: 0 },
): Middleware<MessageContext> {
  const logged = new Map<string, number>();
  const once = (key: string, now: number): boolean => {
    if ((logged.get(key) ?? -Infinity) > now - policy.logWindowMs) return false;
    if (logged.size >= 10_000) {
      for (const [k, at] of logged) if (at <= now - policy.logWindowMs) logged.delete(k);
    }
    logged.set(key, now);
    return true;
  };
  return async (ctx, next) => {
    if (isSystemPost(ctx.message.post)) {
      log.debug("Ignored a system post ({type}) in the DM of @{user}", {
        type: ctx.message.post.type,
        user: ctx.username,
      });
      return;
    }
    if (listed(policy.allowed, ctx.userId, ctx.username)) return await next();
    const why = await senderKind(ctx, policy, (key) => once(key, Date.now()));
    if (why === undefined) return await next();
    counters.ignored++;
    if (once(ctx.userId, Date.now())) {
      log.info(
        "Ignoring posts from @{user} ({why}): no answers to bots and integrations unless " +
          "ALLOWED_BOTS names them (logged once per sender every {seconds} s)",
        { user: ctx.username, why, seconds: Math.round(policy.logWindowMs / 1000) },
      );
    }
  };
}

/**
 * Why the sender is not answered, or undefined when it is a person. A failed lookup is
 * logged when `firstTime` says so (once per sender per window: not once per post of a flood).
 */
async function senderKind(
  ctx: MessageContext,
  policy: BotSenderPolicy,
  firstTime: (key: string) => boolean,
): Promise<NotAPerson | undefined> {
  const marked = markedAutomated(ctx.message.post);
  if (marked !== undefined) return marked;
  try {
    return await policy.isBot(ctx.userId) ? "bot account" : undefined;
  } catch (e) {
    if (firstTime(`lookup ${ctx.userId}`)) {
      log.warn("Could not tell whether @{user} is a bot ({error}); answering as a person", {
        user: ctx.username,
        error: e,
      });
    }
    return undefined;
  }
}
