/**
 * The copies of a broadcast already in a channel: the search that keeps a second attempt
 * (a lost answer, a retry, a restart, another instance taking over) from posting twice, and
 * the clean-up for the one race that search cannot close alone.
 *
 * That race: an instance checks its lease, its post request leaves, and the process freezes
 * before the bytes reach the server (a GC pause, SIGSTOP, a slow link). Another instance takes
 * over, searches the channel, finds nothing and posts. The frozen request then lands: two
 * copies. No check before a request can prevent it, so both sides look after their post has
 * landed ({@link keepOneCopy}): the instance without the lease removes its own post when another
 * copy is there; the holder of the lease, posting where the previous holder may have posted,
 * removes every copy but its own. Whichever landed last sees both, so one copy remains, and it
 * is the one the holder recorded.
 *
 * @module
 */

import type { PostList } from "@mattermost/types/posts";
import { logger, type RestTransport } from "@postbot/framework";

const log = logger("delivery");

/** The props key that marks a post as part of a broadcast. */
export const BROADCAST_PROP = "postbot_broadcast_id";

/** How far back (ms) before a broadcast's creation its copies are searched: clock skew. */
export const SEARCH_MARGIN_MS = 10 * 60_000;

/** Limits of the search for an earlier copy: page size (the server's maximum) and pages. */
export interface SearchLimits {
  readonly perPage?: number;
  readonly maxPages?: number;
}

/** A channel too busy to search: whether it holds a copy is unknown. */
export class UnsearchableChannel extends Error {}

/** Where to look for a broadcast's copies. */
export interface CopySearch {
  readonly transport: RestTransport;
  readonly botUserId: string;
  readonly broadcastId: string;
  readonly channelId: string;
  /** When the broadcast was created (ms since epoch): older posts cannot be copies. */
  readonly since: number;
  readonly limits?: SearchLimits;
}

/**
 * The ids of the live posts in the channel that carry this broadcast, newest first. Pages
 * back through the channel until posts are older than `since` (less a margin for clock skew);
 * `?since=` would not do: it returns at most 1000 posts and filters by update time. Throws
 * {@link UnsearchableChannel} when the channel has too many newer posts to search.
 */
async function* copiesIn(search: CopySearch): AsyncGenerator<string> {
  const perPage = search.limits?.perPage ?? 200;
  const maxPages = search.limits?.maxPages ?? 25;
  const oldest = search.since - SEARCH_MARGIN_MS;
  for (let page = 0; page < maxPages; page++) {
    const list = await search.transport.getJson<PostList>(
      `/channels/${search.channelId}/posts?page=${page}&per_page=${perPage}`,
    );
    const posts = (list.order ?? []).map((id) => list.posts[id]).filter((p) => p !== undefined);
    for (const post of posts) {
      if (
        post.user_id === search.botUserId && post.delete_at === 0 &&
        post.props?.[BROADCAST_PROP] === search.broadcastId
      ) yield post.id;
    }
    const last = posts.at(-1);
    if ((list.order ?? []).length < perPage || last === undefined || last.create_at < oldest) {
      return;
    }
  }
  throw new UnsearchableChannel(
    `more than ${(maxPages * perPage).toLocaleString("en-US")} posts arrived since the ` +
      "broadcast, too many to search",
  );
}

/**
 * The id of a live post in the channel that already carries this broadcast, if any (the
 * newest). Throws {@link UnsearchableChannel} when the answer cannot be known: posting again
 * could then make a duplicate.
 */
export async function findBroadcastPost(search: CopySearch): Promise<string | undefined> {
  for await (const id of copiesIn(search)) return id;
  return undefined;
}

/** Every live copy of the broadcast in the channel, newest first. */
export async function broadcastCopies(search: CopySearch): Promise<string[]> {
  return await Array.fromAsync(copiesIn(search));
}

/**
 * After `own` landed where another instance may have posted too: with the lease (`holder`),
 * every other copy is removed; without it, `own` is removed when another copy is there.
 * Never throws: a copy that could not be removed is logged, the delivery stands.
 */
export async function keepOneCopy(search: CopySearch, own: string, holder: boolean): Promise<void> {
  let others: string[];
  try {
    others = (await broadcastCopies(search)).filter((id) => id !== own);
  } catch (e) {
    log.error("Broadcast {id}: could not check channel {channel} for a second copy: {error}", {
      id: search.broadcastId,
      channel: search.channelId,
      error: e,
    });
    return;
  }
  const doomed = holder ? others : others.length > 0 ? [own] : [];
  for (const postId of doomed) {
    try {
      const removed = await search.transport.send(search.transport.api(`/posts/${postId}`), {
        method: "DELETE",
      });
      await removed.body?.cancel();
      log.warn("Broadcast {id}: removed post {post}, a second copy in channel {channel}", {
        id: search.broadcastId,
        post: postId,
        channel: search.channelId,
      });
    } catch (e) {
      log.error("Broadcast {id}: could not remove post {post}, a second copy: {error}", {
        id: search.broadcastId,
        post: postId,
        error: e,
      });
    }
  }
}
