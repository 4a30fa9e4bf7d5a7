/**
 * The catch-up's requests: after a start or lost WebSocket events, lists the bot's DM
 * channels, reads those whose unread counts say something arrived (catch_up.ts decides
 * which, and which posts were missed), and hands the missed posts to the bot oldest first.
 * Every request is paced behind live traffic.
 *
 * @module
 */

import type { Post, PostList } from "@mattermost/types/posts";
import type { UserProfile } from "@mattermost/types/users";
import {
  type ChannelCounts,
  type MemberCounts,
  readConversation,
  unreadDirectChannels,
  type UnreadDm,
} from "./catch_up.ts";
import type { BotIdentity, IncomingMessage } from "./context.ts";
import { logger } from "./logging.ts";
import type { ProcessedPosts } from "./processed_posts.ts";
import type { ReadMarks } from "./read_marks.ts";
import type { RestTransport } from "./rest.ts";

const log = logger("bot");

/** What a catch-up reads with, records in, and hands its finds to. */
export interface CatchUpOptions {
  readonly transport: RestTransport;
  readonly identity: BotIdentity;
  readonly processed: ProcessedPosts;
  readonly marks: ReadMarks;
  /** Oldest DM (ms before now) a catch-up will still answer. */
  readonly windowMs: number;
  /** False once the bot is stopping: no more channels are read, no further pass runs. */
  readonly accepting: () => boolean;
  /** Handles a missed DM as if it had just arrived. */
  readonly dispatch: (message: IncomingMessage) => Promise<void>;
}

/** Runs catch-up passes, one at a time; a request during a pass asks for one more. */
export class CatchUpRunner {
  readonly #options: CatchUpOptions;
  /** Senders' usernames, from live events and earlier look-ups. */
  readonly #usernames = new Map<string, string>();
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: CatchUpOptions) {
    this.#options = options;
  }

  /** A live event named the sender: a catch-up need not look them up. */
  knowSender(userId: string, username: string): void {
    this.#usernames.set(userId, username);
  }

  /** The pass running now, if any (stop waits for it). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  /**
   * Fetches DMs the bot may have missed and handles those not yet handled. A request while a
   * catch-up runs schedules one more pass, so a second gap is not folded into the first.
   */
  run(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#pass();
      } while (this.#again && this.#options.accepting());
    })().finally(() => this.#running = undefined);
    return this.#running;
  }

  /**
   * One pass: lists the bot's channels and its memberships (two requests, one after the
   * other), reads only the DM channels whose unread counts say something arrived since the
   * bot last marked them read (see catch_up.ts), and answers the users' posts no bot post answers yet. Posts found
   * answered are recorded as handled, so the database catches up with the conversation.
   */
  async #pass(): Promise<void> {
    const { processed } = this.#options;
    const since = Math.max(0, Date.now() - this.#options.windowMs);
    const team = this.#options.identity.teamId;
    let unread: UnreadDm[];
    try {
      const { channels, members } = await this.#candidates(team, since);
      unread = unreadDirectChannels(channels, members, since);
    } catch (e) {
      log.warn("Catch-up could not list the bot's DM channels: {error}", { error: e });
      unread = (await processed.dmChannels()).map((channelId) => ({ channelId, readFrom: since }));
    }
    const listed = new Set(unread.map((dm) => dm.channelId));
    for (const { channelId, after } of await processed.unsettled()) {
      if (!listed.has(channelId)) unread.push({ channelId, readFrom: Math.max(since, after) });
    }
    const missed = await this.#answerMissed(unread);
    log.info("Catch-up read {channels} DM channel(s) with news; {missed} DM(s) to answer", {
      channels: unread.length,
      missed,
    });
  }

  /**
   * The bot's DM channels with a post at or after `since`, and its memberships of them. Both
   * lists hold every DM the bot ever opened (10,000 after a broadcast to 10,000 people): they
   * are read one object at a time, and only the few fields the selection reads of the
   * channels that may have news are kept.
   */
  async #candidates(
    team: string,
    since: number,
  ): Promise<{ channels: ChannelCounts[]; members: MemberCounts[] }> {
    const { transport } = this.#options;
    const channels: ChannelCounts[] = [];
    const listed = transport.getJsonObjects<ChannelCounts>(
      `/users/me/teams/${team}/channels`,
      undefined,
      true,
    );
    for await (const { id, type, last_post_at, total_msg_count } of listed) {
      if (type === "D" && (last_post_at ?? 0) >= since) {
        channels.push({ id, type, last_post_at, total_msg_count });
      }
    }
    const wanted = new Set(channels.map((c) => c.id));
    const members: MemberCounts[] = [];
    const memberships = transport.getJsonObjects<MemberCounts>(
      `/users/me/teams/${team}/channels/members`,
      undefined,
      true,
    );
    for await (const { channel_id, msg_count, last_viewed_at } of memberships) {
      if (wanted.has(channel_id)) members.push({ channel_id, msg_count, last_viewed_at });
    }
    return { channels, members };
  }

  /** Reads the channels, then dispatches their unanswered posts oldest first; returns how many. */
  async #answerMissed(unread: readonly UnreadDm[]): Promise<number> {
    const missed: Post[] = [];
    for (const dm of unread) {
      if (!this.#options.accepting()) break;
      missed.push(...await this.#readChannel(dm));
    }
    missed.sort((a, b) => a.create_at - b.create_at);
    const names = await this.#usernamesOf(missed.map((p) => p.user_id));
    for (const post of missed) {
      void this.#options.dispatch({
        post,
        channelId: post.channel_id,
        channelType: "D",
        senderName: names.get(post.user_id) ?? post.user_id,
        caughtUp: true,
      });
    }
    return missed.length;
  }

  /** The channel's unanswered posts; answered ones are recorded, a settled channel marked read. */
  async #readChannel(dm: UnreadDm): Promise<Post[]> {
    const { transport, processed, marks, identity } = this.#options;
    let list: PostList;
    try {
      list = await transport.getJson<PostList>(
        `/channels/${dm.channelId}/posts?since=${dm.readFrom}&skipFetchThreads=true`,
        undefined,
        true,
      );
    } catch (e) {
      log.warn("Catch-up could not read DM channel {channel}: {error}", {
        channel: dm.channelId,
        error: e,
      });
      return [];
    }
    const posts = Object.values(list.posts ?? {}).filter((p) => p.channel_id === dm.channelId);
    for (const post of posts) marks.saw(dm.channelId, post.create_at);
    const reading = readConversation(posts, identity.userId, dm.readFrom);
    for (const post of reading.answered) {
      await processed.claim(post.id, post.channel_id, post.create_at);
    }
    if (reading.missed.length === 0 && !marks.handling(dm.channelId)) {
      marks.markSoon(dm.channelId);
    }
    return reading.missed;
  }

  /** Usernames of the senders, from live events or one `POST /users/ids` for the rest. */
  async #usernamesOf(userIds: readonly string[]): Promise<Map<string, string>> {
    const unknown = [...new Set(userIds)].filter((id) => !this.#usernames.has(id));
    if (unknown.length > 0) {
      const transport = this.#options.transport;
      try {
        const response = await transport.send(transport.api("/users/ids"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(unknown),
          background: true,
        });
        for (const user of await response.json() as UserProfile[]) {
          this.#usernames.set(user.id, user.username);
        }
      } catch (e) {
        log.warn("Catch-up could not look up {count} sender(s): {error}", {
          count: unknown.length,
          error: e,
        });
      }
    }
    return new Map(userIds.map((id) => [id, this.#usernames.get(id) ?? id]));
  }
}
