/**
 * Who may learn that a private channel exists. Mattermost hides a private channel's name,
 * display name and id from everyone who is not a member; the bot is a member of private
 * channels (to post there), so every answer that could name one asks first: a private
 * channel is shown only to its members (checked live on the server, through the channel's
 * member lookup) and to admins. Public channels are visible to every team member.
 *
 * @module
 */

import { isChannelMember, type RestTransport } from "@postbot/framework";
import type { ChannelCache } from "./channel_cache.ts";

/** What is known of a channel when asking whether someone may see it. */
export interface ChannelRef {
  readonly id: string;
  /** `"O"` public, `"P"` private; looked up when unknown. */
  readonly type?: "O" | "P";
}

/** One person's view of the channels, for the length of one answer. */
export interface Viewer {
  readonly userId: string;
  readonly admin: boolean;
  /** Whether this person may see the channel's name, display name and id. */
  canSee(channel: ChannelRef): Promise<boolean>;
}

/** Makes {@link Viewer}s; membership answers are cached per viewer, never across answers. */
export class ChannelPrivacy {
  readonly #transport: RestTransport;
  readonly #cache: ChannelCache;

  constructor(transport: RestTransport, cache: ChannelCache) {
    this.#transport = transport;
    this.#cache = cache;
  }

  /** A viewer for `userId`; admins see every channel the bot sees. */
  viewer(userId: string, admin: boolean): Viewer {
    const answers = new Map<string, Promise<boolean>>();
    const canSee = (channel: ChannelRef): Promise<boolean> => {
      if (admin) return Promise.resolve(true);
      let answer = answers.get(channel.id);
      if (answer === undefined) {
        answer = this.#decide(channel, userId);
        answers.set(channel.id, answer);
      }
      return answer;
    };
    return { userId, admin, canSee };
  }

  /** Whether a channel is private, or unknown to the bot (which may hide a private one). */
  async isPrivate(channel: ChannelRef): Promise<boolean> {
    return (await this.#typeOf(channel)) !== "O";
  }

  async #typeOf(channel: ChannelRef): Promise<"O" | "P" | undefined> {
    return channel.type ?? this.#cache.byId(channel.id)?.type ??
      (await this.#cache.lookup(channel.id).catch(() => undefined))?.channel.type;
  }

  async #decide(channel: ChannelRef, userId: string): Promise<boolean> {
    const type = await this.#typeOf(channel);
    // A channel the bot cannot see at all may be anyone's private channel: hidden.
    if (type === undefined) return false;
    if (type === "O") return true;
    return await this.#isMember(channel.id, userId);
  }

  #isMember(channelId: string, userId: string): Promise<boolean> {
    return isChannelMember(this.#transport, channelId, userId);
  }
}

/** Keeps the items whose channel the viewer may see, in order. */
export async function visibleTo<T>(
  viewer: Viewer,
  items: readonly T[],
  channelOf: (item: T) => ChannelRef,
): Promise<T[]> {
  const keep = await Promise.all(items.map((item) => viewer.canSee(channelOf(item))));
  return items.filter((_, i) => keep[i]);
}

/**
 * What a reader sees instead of the names of private channels they are not in ("1 private
 * channel you are not a member of"): reports, previews and lists all count them this way.
 */
export function hiddenChannelsText(n: number): string {
  return `${n} private channel${n === 1 ? "" : "s"} you are not a member of`;
}
