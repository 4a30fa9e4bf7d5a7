/**
 * Channel memberships and their unread counters: a new membership as the server saves it,
 * marking channels viewed (msg_count and last_viewed_at up to the channel's, mentions to 0,
 * `channel_viewed`), and one more mention for each member a post notifies.
 */

import type { ChannelMemberRecord, PostRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** The channel notification settings a new membership gets (GetDefaultChannelNotifyProps). */
const DEFAULT_CHANNEL_NOTIFY_PROPS: Readonly<Record<string, string>> = {
  desktop: "default",
  email: "default",
  ignore_channel_mentions: "default",
  mark_unread: "all",
  push: "default",
  channel_auto_follow_threads: "off",
};

/** Who is in which channel, and what they have read there. */
export class MembershipStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;

  /** A store over the shared tables, announcing through `events`. */
  constructor(tables: Tables, events: StoreEvents) {
    this.#tables = tables;
    this.#events = events;
  }

  /** Saves a membership (nothing read yet); no events, no system post: the callers add those. */
  join(channelId: string, userId: string): void {
    const members = this.#tables.channelMembers.get(channelId)!;
    if (members.has(userId)) return;
    members.set(userId, newMembership(channelId, userId, Date.now()));
  }

  /**
   * ViewChannel -> MarkChannelsAsViewed -> SqlChannelStore.UpdateLastViewedAt: for each channel
   * the user is in, msg_count (and _root) rise to the channel's totals, last_viewed_at to its
   * last_post_at, mention counts drop to 0; publishes `channel_viewed` to the user. Returns
   * last_post_at per existing channel (the response's last_viewed_at_times).
   */
  viewChannels(userId: string, channelIds: string[]): Record<string, number> {
    const times: Record<string, number> = {};
    for (const id of channelIds) {
      const channel = this.#tables.channels.get(id);
      if (!channel) continue;
      times[id] = channel.last_post_at;
      const member = this.#tables.channelMemberRecord(id, userId);
      if (!member) continue;
      member.msg_count = Math.max(member.msg_count, channel.total_msg_count);
      member.msg_count_root = Math.max(member.msg_count_root, channel.total_msg_count_root);
      member.last_viewed_at = Math.max(member.last_viewed_at, channel.last_post_at);
      member.last_update_at = Math.max(member.last_viewed_at, channel.last_post_at);
      member.mention_count = 0;
      member.mention_count_root = 0;
      member.urgent_mention_count = 0;
      this.#events.publish(
        "channel_viewed",
        { channel_id: id },
        { user_id: userId },
        (uid) => uid === userId,
      );
    }
    this.#events.changed();
    return times;
  }

  /** IncrementMentionCount: each member a post notifies gets one more mention in the channel. */
  countMentions(post: PostRecord, mentioned: readonly string[]): void {
    for (const userId of mentioned) {
      const member = this.#tables.channelMemberRecord(post.channel_id, userId);
      if (!member) continue;
      member.mention_count++;
      if (post.root_id === "") member.mention_count_root++;
    }
  }
}

/** A membership as AddChannelMember saves it: a plain channel user who has read nothing. */
function newMembership(channelId: string, userId: string, now: number): ChannelMemberRecord {
  return {
    channel_id: channelId,
    user_id: userId,
    roles: "channel_user",
    last_viewed_at: 0,
    msg_count: 0,
    mention_count: 0,
    mention_count_root: 0,
    urgent_mention_count: 0,
    msg_count_root: 0,
    notify_props: { ...DEFAULT_CHANNEL_NOTIFY_PROPS },
    last_update_at: now,
    scheme_guest: false,
    scheme_user: true,
    scheme_admin: false,
    explicit_roles: "",
  };
}
