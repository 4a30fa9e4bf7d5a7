/**
 * How a broadcast landed, read from the live server: per channel when it was delivered, a
 * permalink, reactions counted by emoji and thread replies; and the totals. The posts are
 * fetched in bulk (`POST /posts/ids`, up to 200 a request), so a few hundred channels cost a
 * handful of requests, paced to the server's rate limit by the transport.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import { isStatus, type RestTransport } from "@postbot/framework";
import { keepHeapNear } from "@postbot/framework/heap_budget";
import { code, plural, quote } from "../format.ts";
import { when } from "./report.ts";
import {
  type BroadcastRecord,
  channelsOf,
  type DeliveryRecord,
  peopleOf,
  recipientsText,
  targetKey,
  targetLabel,
} from "./model.ts";
import { hiddenChannelsText } from "../privacy.ts";
import { hiddenPeopleText } from "./report.ts";
import type { SeenPicture } from "./seen.ts";
import { seenPart, seenTotalsLines } from "./seen_text.ts";

/** People listed one by one in `!status` before the rest are summed up. */
const PEOPLE_LISTED = 100;

/** Post ids asked for in one request (the server accepts up to 1000). */
const CHUNK = 200;

/** The reactions of a post nobody reacted to: one map for all of them, not one each. */
const NO_REACTIONS: ReadonlyMap<string, number> = new Map();

/** What the server says about one post of a broadcast now. */
export interface LivePost {
  readonly createAt: number;
  readonly deleted: boolean;
  /** Reaction counts by emoji name. */
  readonly reactions: ReadonlyMap<string, number>;
  readonly replies: number;
}

/** Reads the posts from the server; ids it does not know are absent from the map. */
export async function fetchLivePosts(
  transport: RestTransport,
  postIds: readonly string[],
): Promise<Map<string, LivePost>> {
  const live = new Map<string, LivePost>();
  for (let i = 0; i < postIds.length; i += CHUNK) {
    const chunk = postIds.slice(i, i + CHUNK);
    let posts: Post[];
    try {
      const response = await transport.send(transport.api("/posts/ids"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(chunk),
      });
      posts = await response.json() as Post[];
    } catch (e) {
      // None of them exists any more: the server answers 404 rather than an empty list.
      if (isStatus(e, 404)) continue;
      throw e;
    }
    for (const p of posts) {
      keepHeapNear();
      live.set(p.id, {
        createAt: p.create_at,
        deleted: p.delete_at > 0,
        reactions: reactionCounts(p),
        replies: p.reply_count ?? 0,
      });
    }
  }
  return live;
}

/** A post's reactions counted by emoji. */
function reactionCounts(p: Post): ReadonlyMap<string, number> {
  const reacted = p.metadata?.reactions ?? [];
  if (reacted.length === 0) return NO_REACTIONS;
  const counts = new Map<string, number>();
  for (const r of reacted) counts.set(r.emoji_name, (counts.get(r.emoji_name) ?? 0) + 1);
  return counts;
}

/** Reactions for people: ":+1: 3, :tada: 1" (most first). */
export function reactionText(reactions: ReadonlyMap<string, number>): string {
  return [...reactions].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([emoji, n]) => `:${emoji}: ${n}`).join(", ");
}

/** Totals over the live posts: reactions by emoji and replies. */
export function totals(posts: Iterable<LivePost>): {
  reactions: Map<string, number>;
  reactionCount: number;
  replies: number;
  live: number;
} {
  const reactions = new Map<string, number>();
  let replies = 0;
  let live = 0;
  for (const p of posts) {
    if (p.deleted) continue;
    live++;
    replies += p.replies;
    for (const [emoji, n] of p.reactions) reactions.set(emoji, (reactions.get(emoji) ?? 0) + n);
  }
  const reactionCount = [...reactions.values()].reduce((a, b) => a + b, 0);
  return { reactions, reactionCount, replies, live };
}

/** One recipient's line of `!status`; the live post it has, when it has one. */
function statusLine(
  d: DeliveryRecord,
  live: ReadonlyMap<string, LivePost>,
  permalink: (postId: string) => string,
  reading?: SeenPicture,
): { line: string; post?: LivePost } {
  const name = targetLabel(d);
  if (d.status === "failed") {
    return { line: `- ${name}: not delivered (${d.error ?? "unknown error"})` };
  }
  if (d.status === "deleted") return { line: `- ${name}: taken back with \`!undo\`` };
  if (d.status !== "delivered" || d.postId === null) {
    return { line: `- ${name}: ${d.status === "pending" ? "not sent yet" : "being sent"}` };
  }
  const post = live.get(d.postId);
  if (post === undefined || post.deleted) {
    return { line: `- ${name}: delivered, but the post has been deleted since`, post };
  }
  const parts = [
    `delivered ${when(post.createAt)}`,
    `[permalink](${permalink(d.postId)})`,
    post.reactions.size > 0 ? reactionText(post.reactions) : "no reactions",
    plural(post.replies, "reply", "replies"),
    ...(reading !== undefined ? [seenPart(d, reading)] : []),
  ];
  const label = d.kind === "channel" ? `${name} (${quote(d.displayName, 64)})` : name;
  return { line: `- ${label}: ${parts.join(" \u00b7 ")}`, post };
}

/** The `!status` text. */
export function statusReport(
  b: BroadcastRecord,
  deliveries: readonly DeliveryRecord[],
  live: ReadonlyMap<string, LivePost>,
  permalink: (postId: string) => string,
  /**
   * Recipients the reader may not see named (keys, see targetKey): private channels they are
   * not a member of, and people reached only through them. Counted, never named, and left out
   * of the totals -- their reactions and replies are that channel's business, and the totals
   * read the same whether such a channel exists or not.
   */
  hidden: ReadonlySet<string> = new Set(),
  /** Who has seen and acknowledged it (see seen.ts); absent, not shown. */
  reading?: SeenPicture,
): string {
  const lines = [`**Status of broadcast ${code(b.id)}** (sent ${when(b.createdAt)}):`];
  const seen: LivePost[] = [];
  const shown = deliveries.filter((d) => !hidden.has(targetKey(d)));
  let peopleListed = 0;
  for (const d of shown) {
    const { line, post } = statusLine(d, live, permalink, reading);
    if (post !== undefined) seen.push(post);
    if (d.kind === "person" && peopleListed++ >= PEOPLE_LISTED) continue;
    lines.push(line);
  }
  const people = peopleOf(shown);
  if (people.length > PEOPLE_LISTED) {
    const rest = people.slice(PEOPLE_LISTED);
    const got = rest.filter((d) => d.status === "delivered").length;
    lines.push(`- ${rest.length} more people: ${got} delivered, ${rest.length - got} not`);
  }
  const hiddenChannels = channelsOf(deliveries).length - channelsOf(shown).length;
  const hiddenPeople = peopleOf(deliveries).length - people.length;
  if (hiddenChannels > 0) lines.push(`- ${hiddenChannelsText(hiddenChannels)} (not in the totals)`);
  if (hiddenPeople > 0) lines.push(`- ${hiddenPeopleText(hiddenPeople)} (not in the totals)`);
  const t = totals(seen);
  if (shown.length === 0) {
    lines.push("", "**Totals:** none, since it went only to channels you cannot see.");
    return lines.join("\n");
  }
  const delivered = shown.filter((d) => d.status === "delivered").length;
  lines.push(
    "",
    `**Totals:** ${t.live} of ${recipientsText(channelsOf(shown).length, people.length)} show ` +
      "it" + (delivered > t.live ? ` (${delivered - t.live} deleted since)` : "") +
      ` \u00b7 ${plural(t.reactionCount, "reaction")}` +
      (t.reactionCount > 0 ? ` (${reactionText(t.reactions)})` : "") +
      ` \u00b7 ${plural(t.replies, "reply", "replies")}`,
  );
  if (reading !== undefined) lines.push(...seenTotalsLines(shown, reading));
  return lines.join("\n");
}
