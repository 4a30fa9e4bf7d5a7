/**
 * Channel-wide mentions (`@all`, `@channel`, `@here`) in a broadcast notify every member of
 * every target channel, as the bot, sidestepping the channel setting that stops members from
 * using them. postbot finds them (in any case, inside any markdown: bold, links, quotes,
 * even code, to be safe), says in the preview how many people they will notify, and lets
 * only those `BROADCAST_CHANNEL_MENTIONS` allows send them.
 *
 * @module
 */

import {
  forEachBounded,
  MattermostError,
  type RestTransport,
  unreachable,
} from "@postbot/framework";
import { defuseEveryMention } from "@postbot/framework/text";
import type { ChannelMentionPolicy } from "../config.ts";

/** Whether a sender may broadcast channel-wide mentions under `policy`. */
export function mayMentionChannels(policy: ChannelMentionPolicy, admin: boolean): boolean {
  switch (policy) {
    case "all":
      return true;
    case "admins":
      return admin;
    case "none":
      return false;
    default:
      return unreachable(policy);
  }
}

/** The refusal: what was found, who may send it, and how to send the message without it. */
export function channelMentionRefusal(
  mentions: readonly string[],
  policy: ChannelMentionPolicy,
): string {
  const list = mentions.map(shown).join(", ");
  const who = policy === "none"
    ? "nobody may broadcast them here (BROADCAST_CHANNEL_MENTIONS=none)"
    : "only administrators may broadcast them (BROADCAST_CHANNEL_MENTIONS=admins)";
  return `Your message contains ${list}, which would notify every member of every channel ` +
    `it goes to; ${who}. Nothing was sent. To send it without notifying everyone, remove ` +
    `the @ (write "all", "everyone", "this channel") and send the message again.`;
}

/** A mention as quoted back: in code, and defused too, so the quote itself notifies nobody. */
function shown(mention: string): string {
  return "`" + defuseEveryMention(mention) + "`";
}

/** How many members the target channels have, as the server counts them. */
export interface Audience {
  /** Sum of the channels' member counts (a person in two channels counts twice). */
  readonly members: number;
  /** Channels whose count the server would not give (they add nothing to `members`). */
  readonly unknown: number;
}

/** Asks the server for each channel's member count (`GET /channels/{id}/stats`). */
export async function audienceOf(
  transport: RestTransport,
  channelIds: readonly string[],
  concurrency = 8,
): Promise<Audience> {
  let members = 0;
  let unknown = 0;
  await forEachBounded(channelIds, { concurrency }, async (id) => {
    try {
      const stats = await transport.getJson<{ member_count?: number }>(`/channels/${id}/stats`);
      if (typeof stats.member_count === "number") members += stats.member_count;
      else unknown++;
    } catch (e) {
      if (!(e instanceof MattermostError)) throw e;
      unknown++;
    }
  });
  return { members, unknown };
}

/** The preview's plain statement of who will be notified. */
export function audienceNotice(
  mentions: readonly string[],
  channels: number,
  audience: Audience,
): string {
  const n = (x: number) => x.toLocaleString("en-US");
  const who = audience.unknown > 0
    ? `at least ${n(audience.members)} members`
    : `all ${n(audience.members)} members`;
  const here = mentions.length === 1 && mentions[0] === "@here" ? " (those online)" : "";
  return `**This message notifies everyone:** it contains ${
    mentions.map(shown).join(", ")
  }, so it will notify ${who}${here} of ${n(channels)} channel${channels === 1 ? "" : "s"}` +
    (audience.unknown > 0
      ? ` (${n(audience.unknown)} channel${
        audience.unknown === 1 ? "" : "s"
      } would not tell me their member count)`
      : "") +
    ".";
}
