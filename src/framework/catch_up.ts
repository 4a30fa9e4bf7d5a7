/**
 * What a catch-up after a restart (or lost WebSocket events) must read and answer, decided
 * from what Mattermost itself records, not from the bot's own database (which may be a
 * restored backup or brand new):
 *
 * - **which DM channels to read**: the cheap signals of two list requests. The bot marks a DM
 *   channel viewed once it has handled everything in it, so a channel whose `total_msg_count`
 *   is above the bot's `msg_count` (or whose `last_post_at` is after the bot's
 *   `last_viewed_at`) got something since. Every other DM channel is skipped unread, so the
 *   cost grows with what was missed, not with how many people DM the bot.
 * - **which posts were missed**: in a channel read, a user's post is answered when a later
 *   post of the bot answers it -- one carrying {@link REPLY_TO_PROP} for it or for a later
 *   post, or one without that prop (an older bot, a report). System posts (`system_*`, which
 *   the server writes under the bot's id when it joins) are never answers.
 *
 * Pure functions; bot.ts does the requests.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";

/** The post prop naming the post a bot reply answers (set by `MessageContext.reply`). */
export const REPLY_TO_PROP = "reply_to_post_id";

/** The fields of a channel the selection reads (`GET /users/me/teams/{team}/channels`). */
export interface ChannelCounts {
  readonly id: string;
  readonly type: string;
  readonly last_post_at: number;
  readonly total_msg_count: number;
}

/** The bot's membership fields it reads (`GET /users/me/teams/{team}/channels/members`). */
export interface MemberCounts {
  readonly channel_id: string;
  readonly msg_count: number;
  readonly last_viewed_at: number;
}

/** A DM channel to read: posts created after `readFrom` (ms) may be unanswered. */
export interface UnreadDm {
  readonly channelId: string;
  readonly readFrom: number;
}

/**
 * DM channels with a post at or after `since` that the bot has not viewed completely, in
 * the order of their newest post (oldest first, so older misses are answered first).
 */
export function unreadDirectChannels(
  channels: readonly ChannelCounts[],
  members: readonly MemberCounts[],
  since: number,
): UnreadDm[] {
  const byChannel = new Map(members.map((m) => [m.channel_id, m]));
  const unread: (UnreadDm & { last: number })[] = [];
  for (const channel of channels) {
    if (channel.type !== "D" || (channel.last_post_at ?? 0) < since) continue;
    const member = byChannel.get(channel.id);
    const msgCount = member?.msg_count ?? 0;
    const lastViewedAt = member?.last_viewed_at ?? 0;
    if ((channel.total_msg_count ?? 0) <= msgCount && channel.last_post_at <= lastViewedAt) {
      continue;
    }
    unread.push({
      channelId: channel.id,
      readFrom: Math.max(since, lastViewedAt),
      last: channel.last_post_at,
    });
  }
  return unread.sort((a, b) => a.last - b.last)
    .map(({ channelId, readFrom }) => ({ channelId, readFrom }));
}

/** A channel's recent posts split into those still unanswered and those already answered. */
export interface Reading {
  /** Users' posts no later bot post answers, oldest first: these were missed. */
  readonly missed: Post[];
  /** Users' posts a later bot post answers: handled before, never to be answered again. */
  readonly answered: Post[];
}

/** True for posts the server writes itself (joins, header changes...): never an answer. */
export function isSystemPost(post: Post): boolean {
  return typeof post.type === "string" && post.type.startsWith("system_");
}

/**
 * Splits the users' posts created after `readFrom` by whether a later post of the bot
 * answers them (see the module doc). Deleted posts are neither.
 */
export function readConversation(
  posts: readonly Post[],
  botUserId: string,
  readFrom: number,
): Reading {
  const live = posts.filter((p) => (p.delete_at ?? 0) === 0 && !isSystemPost(p));
  const createdAt = new Map(live.map((p) => [p.id, p.create_at]));
  const botPosts = live.filter((p) => p.user_id === botUserId);
  const missed: Post[] = [];
  const answered: Post[] = [];
  const userPosts = live
    .filter((p) => p.user_id !== botUserId && p.create_at > readFrom)
    .sort((a, b) => a.create_at - b.create_at);
  for (const post of userPosts) {
    const isAnswered = botPosts.some((b) => {
      if (b.create_at <= post.create_at) return false;
      const target = b.props?.[REPLY_TO_PROP];
      if (typeof target !== "string" || target === "") return true;
      if (target === post.id) return true;
      return (createdAt.get(target) ?? -Infinity) > post.create_at;
    });
    (isAnswered ? answered : missed).push(post);
  }
  return { missed, answered };
}
