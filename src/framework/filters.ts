/**
 * The standard front of the middleware chain: drop everything that is not a direct message and
 * decide who may talk to the bot at all. (The bot's own posts never get this far: `Bot` drops
 * them before dispatch.)
 *
 * @module
 */

import type { MessageContext } from "./context.ts";
import type { Middleware } from "./middleware.ts";
import { refersTo, type UserRef } from "./user_ref.ts";

/** Drops everything whose channel type is not `"D"`: the bot only listens in DMs. */
export function directMessagesOnly(): Middleware<MessageContext> {
  return async (ctx, next) => {
    if (ctx.message.channelType !== "D") return;
    await next();
  };
}

/** Who may use the bot and who may change its configuration. */
export interface AccessPolicy {
  /** User ids or usernames; empty allows every member of the team. */
  readonly allowed: readonly UserRef[];
  /** User ids or usernames; empty makes every allowed user an admin. */
  readonly admins: readonly UserRef[];
  /** Whether a user is an active member of the bot's team. */
  readonly isTeamMember: (userId: string) => Promise<boolean>;
}

/** Whether a user is on a list: an id entry matches the id only, a username the name only. */
export function listed(list: readonly UserRef[], userId: string, username: string): boolean {
  return list.some((ref) => refersTo(ref, userId, username));
}

/** Whether a user counts as an administrator under a policy (empty admin list: everyone). */
export function isAdminUnder(
  policy: Pick<AccessPolicy, "admins">,
  userId: string,
  username: string,
): boolean {
  return policy.admins.length === 0 || listed(policy.admins, userId, username);
}

/**
 * Answers outsiders with a refusal; marks everyone else as user or admin.
 *
 * @example
 * ```ts
 * import { accessControl, type Bot, directMessagesOnly, isStatus } from "@postbot/framework";
 *
 * declare const bot: Bot;
 * bot.use(directMessagesOnly()).use(accessControl({
 *   allowed: [], // every member of the team
 *   admins: [{ kind: "username", username: "alice" }],
 *   isTeamMember: async (userId) => {
 *     try {
 *       const member = await bot.client.getTeamMember(bot.identity.teamId, userId);
 *       return member.delete_at === 0;
 *     } catch (e) {
 *       if (isStatus(e, 404)) return false;
 *       throw e;
 *     }
 *   },
 * }));
 * ```
 */
export function accessControl(policy: AccessPolicy): Middleware<MessageContext> {
  return async (ctx, next) => {
    if (!await policy.isTeamMember(ctx.userId)) {
      ctx.log.info("Refused a DM from {user}: not a member of team {team}", {
        user: ctx.username,
        team: ctx.bot.teamName,
      });
      await ctx.reply(
        `Sorry, I only work for members of the team **${ctx.bot.teamName}**. ` +
          "Ask a team administrator to add you to the team.",
      );
      return;
    }
    if (policy.allowed.length > 0 && !listed(policy.allowed, ctx.userId, ctx.username)) {
      ctx.log.info("Refused a DM from {user}: not in ALLOWED_USERS", { user: ctx.username });
      await ctx.reply(
        "Sorry, you are not on the list of people who may use this bot. " +
          "Ask the bot's operator to add your username to ALLOWED_USERS.",
      );
      return;
    }
    const admin = isAdminUnder(policy, ctx.userId, ctx.username);
    ctx.access = admin ? { kind: "admin" } : { kind: "user" };
    await next();
  };
}

/** Which late messages must not be acted upon; the app declares what has side effects. */
export interface LateActionPolicy {
  /** A caught-up message older than this (ms) is held when it has side effects. */
  readonly maxAgeMs: number;
  /** Whether handling this message would change something (run a task, send, edit config). */
  readonly hasSideEffects: (ctx: MessageContext) => boolean;
}

/**
 * Holds back commands with side effects that arrived while the bot was away and are older
 * than the policy's age: carrying out a `!run` or a `yes` sent many minutes ago, without a
 * word, could surprise the sender. They are told and asked to send it again instead. Put it
 * after access control, so outsiders still get their refusal.
 */
export function holdLateSideEffects(policy: LateActionPolicy): Middleware<MessageContext> {
  return async (ctx, next) => {
    if (ctx.message.caughtUp && ctx.ageMs > policy.maxAgeMs && policy.hasSideEffects(ctx)) {
      const minutes = Math.max(1, Math.round(ctx.ageMs / 60_000));
      ctx.log.info("Held a late message from {user} ({minutes} min old): it has side effects", {
        user: ctx.username,
        minutes,
      });
      await ctx.reply(
        `Your message ${quoteStart(ctx.text)} reached me only now: you sent it ${minutes} ` +
          `minute${minutes === 1 ? "" : "s"} ago, while I was away. I did not carry it out ` +
          "this late, because it changes something. If you still want it, please send it again.",
      );
      return;
    }
    await next();
  };
}

function quoteStart(text: string): string {
  const line = text.trim().split("\n")[0].replaceAll("`", "'");
  const runes = Array.from(line);
  return `\`${runes.length > 60 ? `${runes.slice(0, 60).join("")}\u2026` : line}\``;
}
