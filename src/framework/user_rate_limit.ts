/**
 * A rate limit per sender on what the bot answers. Whatever talks to the bot -- a person
 * pasting in a loop, a script, another bot's auto-replies, an outsider collecting refusals --
 * gets at most `limit` answered messages in any `windowMs`; the next one gets one notice, and
 * everything after it is dropped unanswered until the silence is over. So no loop and no
 * flood costs more than `limit + 1` replies per silence.
 *
 * A sender who runs into the limit again within a day after a silence is silenced twice as
 * long as the time before (up to a day): a flood that keeps going costs fewer and fewer replies, while a person
 * who typed fast once waits one window.
 *
 * Time is when a message reached the bot (its arrival, not the server's `create_at`, which an
 * administrator's client may set), so messages queued behind a slow answer are not counted
 * late.
 *
 * @module
 */

import type { MessageContext } from "./context.ts";
import type { Middleware } from "./middleware.ts";

/** How many answers a sender gets, over what time. */
export interface RateLimitPolicy {
  /** Messages answered per window; 0 turns the limit off. */
  readonly limit: number;
  /** The window (ms); also the first silence. */
  readonly windowMs: number;
}

/** What to do with one message. */
export type Admission =
  | { readonly kind: "answer" }
  /** Over the limit for the first time: tell the sender, answer nothing else until `until`. */
  | { readonly kind: "notice"; readonly silenceMs: number; readonly until: number }
  | { readonly kind: "drop" };

/** Offences are remembered this long after their silence: one more within it doubles it. */
const STRIKE_MEMORY_MS = 86_400_000;
/** The longest silence. */
const MAX_SILENCE_MS = 86_400_000;

interface Sender {
  /** Arrival times of the answered messages still inside the window, oldest first. */
  readonly answered: number[];
  /** Answers nothing before this instant (ms): the end of the last silence. */
  silentUntil: number;
  /** Offences in a row (each within a day after the silence before it ended). */
  strikes: number;
}

/** The bookkeeping of {@link rateLimitPerUser}; pure, clock given by the caller. */
export class UserRateLimiter {
  readonly #policy: RateLimitPolicy;
  readonly #senders = new Map<string, Sender>();
  #prunedAt = 0;

  constructor(policy: RateLimitPolicy) {
    this.#policy = policy;
  }

  /** Senders remembered now (for tests: the map does not grow without bound). */
  get size(): number {
    return this.#senders.size;
  }

  /** Decides one message of `userId` that arrived at `now` (ms). */
  admit(userId: string, now: number): Admission {
    const { limit, windowMs } = this.#policy;
    if (limit <= 0) return { kind: "answer" };
    this.#prune(now);
    let sender = this.#senders.get(userId);
    if (sender === undefined) {
      sender = { answered: [], silentUntil: -Infinity, strikes: 0 };
      this.#senders.set(userId, sender);
    }
    if (now < sender.silentUntil) return { kind: "drop" };
    while (sender.answered.length > 0 && sender.answered[0] <= now - windowMs) {
      sender.answered.shift();
    }
    if (sender.answered.length < limit) {
      sender.answered.push(now);
      return { kind: "answer" };
    }
    sender.strikes = now - sender.silentUntil < STRIKE_MEMORY_MS ? sender.strikes + 1 : 1;
    const silenceMs = Math.max(
      windowMs,
      Math.min(MAX_SILENCE_MS, windowMs * 2 ** (sender.strikes - 1)),
    );
    sender.silentUntil = now + silenceMs;
    sender.answered.length = 0;
    return { kind: "notice", silenceMs, until: sender.silentUntil };
  }

  /** Forgets senders with nothing left to remember, at most once per window. */
  #prune(now: number): void {
    if (now - this.#prunedAt < this.#policy.windowMs) return;
    this.#prunedAt = now;
    for (const [userId, s] of this.#senders) {
      const idle = s.answered.every((at) => at <= now - this.#policy.windowMs);
      if (idle && now - s.silentUntil >= STRIKE_MEMORY_MS) {
        this.#senders.delete(userId);
      }
    }
  }
}

/** A duration as the notice says it: "60 seconds", "2 minutes", "1 hour". */
export function spokenDuration(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  const [value, unit] = seconds < 120
    ? [seconds, "second"]
    : seconds < 7200
    ? [Math.ceil(seconds / 60), "minute"]
    : [Math.ceil(seconds / 3600), "hour"];
  return `${value} ${unit}${value === 1 ? "" : "s"}`;
}

/** The notice a sender gets once when over the limit. */
export function rateLimitNotice(silenceMs: number): string {
  return "You are sending messages faster than I answer them, so I will not answer anything " +
    `you send in the next ${spokenDuration(silenceMs)}: those messages are dropped, not kept ` +
    "for later. After that, send again what you still need.";
}

/** Counts of what {@link rateLimitPerUser} held back, for metrics. */
export interface RateLimitCounters {
  /** Messages not acted upon (the one answered with the notice included). */
  dropped: number;
  /** Notices sent. */
  notices: number;
}

/**
 * The middleware: answers `limit` messages per sender per window, then one notice, then
 * drops everything until the silence is over. Put it after the filters that ignore bots and
 * before access control, so that refusals count too.
 */
export function rateLimitPerUser(
  policy: RateLimitPolicy,
  counters: RateLimitCounters = { dropped: 0, notices: 0 },
): Middleware<MessageContext> {
  const limiter = new UserRateLimiter(policy);
  return async (ctx, next) => {
    const decision = limiter.admit(ctx.userId, ctx.message.receivedAt ?? Date.now());
    switch (decision.kind) {
      case "answer":
        return await next();
      case "notice":
        counters.dropped++;
        counters.notices++;
        ctx.log.info(
          "Rate limit: @{user} sent more than {limit} messages in {window} s; " +
            "not answering them for {silence} s",
          {
            user: ctx.username,
            limit: policy.limit,
            window: policy.windowMs / 1000,
            silence: Math.round(decision.silenceMs / 1000),
          },
        );
        return await ctx.reply(rateLimitNotice(decision.silenceMs));
      case "drop":
        counters.dropped++;
        return;
    }
  };
}
