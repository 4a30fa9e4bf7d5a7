/**
 * Whether a broadcast's sender may still send it, asked whenever a broadcast goes out after
 * the sender's `yes`: a scheduled broadcast at its time, a `!retry`, an `!edit` of the posts
 * (and whatever later sends on someone's behalf: approvals, reminders). What held at the yes
 * may not hold any more, and nothing goes out on authority its sender has lost:
 *
 * - the sender's account is still active (not deactivated), they are still a member of the
 *   team, and still allowed (`ALLOWED_USERS` as configured now); otherwise nothing is sent;
 * - each channel is still within their reach, by the wizard's rules: a channel of a group is
 *   the operator's choice; a whitelisted public channel is open to all; a whitelisted private
 *   channel only to its members (and administrators); any other channel (named by its id)
 *   only while the sender is a member. A channel out of reach is dropped, the rest go out;
 * - each person likewise, by how they were reached: named or in a list, always; as "members
 *   of" a group, always (the operator's choice); as "members of" a channel, while the sender
 *   may still see that channel (public, or private and a member or administrator); through
 *   `everyone`, only while the sender is an administrator (or named by `[everyone]`'s
 *   senders);
 * - the `senders` of channels.toml's groups and lists: a group's channel counts as the
 *   operator's choice only through a group that admits the sender, a list's people only
 *   while the list does (administrators always).
 *
 * Team membership and accounts come from {@link TeamMembership} (which follows the server's
 * events); channel membership is asked of the server every time.
 *
 * @module
 */

import { isAdminUnder, listed, unreachable, type UserRef } from "@postbot/framework";
import { type ChannelsConfig, nameKey } from "./channels/parse.ts";
import type { Account } from "./team_membership.ts";
import { maySendTo, rulesOf, sendersText } from "./targets/audiences.ts";
import type { BroadcastTarget, ChannelTarget, PersonTarget } from "./broadcast/model.ts";

/** A recipient a broadcast goes to (a delivery record or a resolved target). */
export type ReachTarget = BroadcastTarget;

/** Why a sender may send nothing any more. */
export type SenderRefusal =
  | { readonly kind: "deactivated" }
  | { readonly kind: "gone" }
  | { readonly kind: "left_team"; readonly team: string }
  | { readonly kind: "not_allowed" };

/** Where a sender stands now. */
export type Standing =
  | { readonly ok: true; readonly username: string; readonly admin: boolean }
  | { readonly ok: false; readonly refusal: SenderRefusal };

/** The outcome of {@link SenderAuthority.check}. */
export type AuthorityVerdict<T extends ReachTarget> =
  | { readonly kind: "refused"; readonly refusal: SenderRefusal }
  | {
    readonly kind: "allowed";
    readonly keep: readonly T[];
    /** Recipients out of the sender's reach, with why (the text names the recipient). */
    readonly dropped: readonly { readonly target: T; readonly reason: string }[];
  };

/** What the check reads; every answer is about now. */
export interface AuthorityDeps {
  /** The bot's team (its URL name), for the refusal text. */
  readonly teamName: string;
  readonly account: (userId: string) => Promise<Account | undefined>;
  readonly isTeamMember: (userId: string) => Promise<boolean>;
  readonly allowed: readonly UserRef[];
  readonly admins: readonly UserRef[];
  /** channels.toml as the bot holds it now. */
  readonly channels: () => ChannelsConfig;
  /** A channel's type, or undefined when the bot cannot see it. */
  readonly channelType: (channelId: string) => Promise<"O" | "P" | undefined>;
  readonly isChannelMember: (channelId: string, userId: string) => Promise<boolean>;
}

/** The one check of a sender's authority; failures to ask the server are thrown. */
export class SenderAuthority {
  readonly #deps: AuthorityDeps;

  constructor(deps: AuthorityDeps) {
    this.#deps = deps;
  }

  /** Whether the sender may send at all now. */
  async standing(sender: { readonly id: string }): Promise<Standing> {
    const account = await this.#deps.account(sender.id);
    if (account === undefined) return { ok: false, refusal: { kind: "gone" } };
    if (!account.active) return { ok: false, refusal: { kind: "deactivated" } };
    if (!await this.#deps.isTeamMember(sender.id)) {
      return { ok: false, refusal: { kind: "left_team", team: this.#deps.teamName } };
    }
    const { username } = account;
    if (this.#deps.allowed.length > 0 && !listed(this.#deps.allowed, sender.id, username)) {
      return { ok: false, refusal: { kind: "not_allowed" } };
    }
    return {
      ok: true,
      username,
      admin: isAdminUnder({ admins: this.#deps.admins }, sender.id, username),
    };
  }

  /** The sender's standing, then each target's reach: what may go out now, and what not. */
  async check<T extends ReachTarget>(
    sender: { readonly id: string; readonly username: string },
    targets: readonly T[],
  ): Promise<AuthorityVerdict<T>> {
    const standing = await this.standing(sender);
    if (!standing.ok) return { kind: "refused", refusal: standing.refusal };
    const keep: T[] = [];
    const dropped: { target: T; reason: string }[] = [];
    for (const target of targets) {
      const reason = await this.#outOfReach(target, sender.id, standing);
      if (reason === undefined) keep.push(target);
      else dropped.push({ target, reason });
    }
    return { kind: "allowed", keep, dropped };
  }

  /** Why the recipient is out of the sender's reach now; undefined when it is within. */
  #outOfReach(
    target: ReachTarget,
    senderId: string,
    standing: Extract<Standing, { ok: true }>,
  ): Promise<string | undefined> {
    return target.kind === "channel"
      ? this.#channelOutOfReach(target, senderId, standing)
      : this.#personOutOfReach(target, senderId, standing);
  }

  /** Why a person is out of reach now, by how they were reached. */
  async #personOutOfReach(
    target: PersonTarget,
    senderId: string,
    standing: Extract<Standing, { ok: true }>,
  ): Promise<string | undefined> {
    const who = `@${standing.username}`;
    const reach = target.reach;
    const config = this.#deps.channels();
    const sender = { id: senderId, username: standing.username, admin: standing.admin };
    switch (reach.by) {
      case "name":
        return undefined;
      case "list": {
        const rules = rulesOf(config, "list", reach.list);
        return maySendTo(rules, sender) ? undefined : `only ${sendersText(rules!)} may send to ` +
          `list ${JSON.stringify(reach.list)}, and ${who} is not one of them`;
      }
      case "everyone":
        return standing.admin ||
            config.everyone?.senders !== undefined && maySendTo(config.everyone, sender)
          ? undefined
          : `only administrators may send to everyone, and ${who} ` +
            "is no longer one";
      case "members": {
        if (standing.admin) return undefined;
        if (reach.group !== undefined) {
          const rules = rulesOf(config, "group", reach.group);
          if (maySendTo(rules, sender)) return undefined;
          return `only ${sendersText(rules!)} may send to group ` +
            `${JSON.stringify(reach.group)}, and ${who} is not one of them`;
        }
        const type = await this.#deps.channelType(reach.channelId);
        if (type === "O") return undefined;
        if (type === "P" && await this.#deps.isChannelMember(reach.channelId, senderId)) {
          return undefined;
        }
        return `@${target.username} was reached as a member of ~${reach.channelName}, which ` +
          `${who} may no longer see`;
      }
      default:
        return unreachable(reach);
    }
  }

  /** Why a channel is out of reach now. */
  async #channelOutOfReach(
    target: ChannelTarget,
    senderId: string,
    standing: Extract<Standing, { ok: true }>,
  ): Promise<string | undefined> {
    const config = this.#deps.channels();
    const sender = { id: senderId, username: standing.username, admin: standing.admin };
    // A group's channel is the operator's choice, for the senders the group admits.
    const grouped = [...config.groups, ...config.privateGroups]
      .some(([name, ids]) =>
        ids.includes(target.channelId) && maySendTo(rulesOf(config, "group", name), sender)
      );
    if (grouped) return undefined;
    const whitelisted = config.whitelist.some((w) =>
      w === target.channelId || nameKey(w) === target.name.toLowerCase()
    );
    const type = await this.#deps.channelType(target.channelId);
    if (whitelisted && type === "O") return undefined;
    if (whitelisted && type === "P" && standing.admin) return undefined;
    if (await this.#deps.isChannelMember(target.channelId, senderId)) return undefined;
    const who = `@${standing.username}`;
    return whitelisted
      ? `~${target.name} is private and ${who} is no longer a member of it`
      : `${who} is no longer a member of ~${target.name} (a channel outside the groups and the ` +
        "whitelist is sent to only while its sender is a member)";
  }
}

/** A refusal as one clause: "@bob's account has been deactivated". */
export function refusalText(refusal: SenderRefusal, username: string): string {
  const who = `@${username}`;
  switch (refusal.kind) {
    case "deactivated":
      return `${who}'s account has been deactivated`;
    case "gone":
      return `${who}'s account no longer exists`;
    case "left_team":
      return `${who} is no longer a member of the team ${refusal.team}`;
    case "not_allowed":
      return `${who} is no longer among the people who may use this bot (ALLOWED_USERS)`;
    default:
      return unreachable(refusal);
  }
}

/** Whether the sender can still read a DM: not when the account is gone or deactivated. */
export function reachable(refusal: SenderRefusal): boolean {
  return refusal.kind === "left_team" || refusal.kind === "not_allowed";
}
