/**
 * Marking DM channels read, so the next catch-up can skip them by their unread counts
 * (catch_up.ts). A channel is marked once everything in it was handled and it has stayed
 * quiet a moment: a user sending one command after another costs one `view` request, not one
 * per command. A post that slipped under a mark before the bot handled it leaves the channel
 * remembered as unsettled, so the next catch-up reads it anyway.
 *
 * @module
 */

import { logger } from "./logging.ts";
import type { ProcessedPosts } from "./processed_posts.ts";
import type { RestTransport } from "./rest.ts";

const log = logger("bot");

/**
 * A conversation is marked read once it has been quiet this long, not after every answer: a
 * user sending one command after another costs one `view` request, not one per command.
 */
export const MARK_READ_QUIET_MS = 1_000;

/** What {@link ReadMarks} needs: the server, the record of handled posts, the bot's state. */
export interface ReadMarksOptions {
  readonly transport: RestTransport;
  readonly processed: ProcessedPosts;
  /** Default {@link MARK_READ_QUIET_MS}. */
  readonly quietMs?: number;
  /** False once the bot is stopping: no new quiet timers are set. */
  readonly accepting: () => boolean;
}

/** The read marks of the bot's DM channels: what is being handled, what waits to be marked. */
export class ReadMarks {
  readonly #transport: RestTransport;
  readonly #processed: ProcessedPosts;
  readonly #quietMs: number;
  readonly #accepting: () => boolean;
  /** DMs being handled per channel: the channel is marked read when it drops to zero. */
  readonly #inFlight = new Map<string, number>();
  /** Newest post the bot knows of per DM channel (its own included), by create_at. */
  readonly #newest = new Map<string, number>();
  /** Marks in flight, awaited by {@link flush} (they write to the database). */
  readonly #marking = new Set<Promise<void>>();
  /** Marks waiting for their channel to stay quiet; {@link flush} sends them at once. */
  readonly #quietMarks = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(options: ReadMarksOptions) {
    this.#transport = options.transport;
    this.#processed = options.processed;
    this.#quietMs = options.quietMs ?? MARK_READ_QUIET_MS;
    this.#accepting = options.accepting;
  }

  /** A post (a user's, or the bot's own reply) exists in the channel at `createAt`. */
  saw(channelId: string, createAt: number): void {
    if (createAt > (this.#newest.get(channelId) ?? 0)) this.#newest.set(channelId, createAt);
  }

  /**
   * The bot's own post (its event) in the channel at `createAt`: it matters only to a mark to
   * come -- the channel being handled or waiting for its mark. A post elsewhere (a broadcast
   * to 10,000 people) is not remembered: no mark follows it.
   */
  sawOwn(channelId: string, createAt: number): void {
    if (this.#inFlight.has(channelId) || this.#quietMarks.has(channelId)) {
      this.saw(channelId, createAt);
    }
  }

  /** How many channels' newest posts are remembered (tests). */
  get remembered(): number {
    return this.#newest.size;
  }

  /** A DM of the channel is being handled: no mark until it is done. */
  began(channelId: string): void {
    this.#inFlight.set(channelId, (this.#inFlight.get(channelId) ?? 0) + 1);
    // Not quiet any more: the mark waits until this one is handled too.
    clearTimeout(this.#quietMarks.get(channelId));
    this.#quietMarks.delete(channelId);
  }

  /** One DM of the channel is done; when none is left, the channel is marked read soon. */
  settled(channelId: string): void {
    const left = (this.#inFlight.get(channelId) ?? 1) - 1;
    if (left > 0) {
      this.#inFlight.set(channelId, left);
      return;
    }
    this.#inFlight.delete(channelId);
    this.markSoon(channelId);
  }

  /** True while a DM of the channel is being handled. */
  handling(channelId: string): boolean {
    return this.#inFlight.has(channelId);
  }

  /** Marks the channel read once it has stayed quiet for the quiet time. */
  markSoon(channelId: string): void {
    clearTimeout(this.#quietMarks.get(channelId));
    if (!this.#accepting()) return;
    const timer = setTimeout(() => {
      this.#quietMarks.delete(channelId);
      this.#markNow(channelId);
    }, this.#quietMs);
    this.#quietMarks.set(channelId, timer);
  }

  /**
   * At stop: conversations handled before it are still marked read, without waiting for
   * quiet; resolves once every mark is written.
   */
  async flush(): Promise<void> {
    for (const [channelId, timer] of this.#quietMarks) {
      clearTimeout(timer);
      this.#markNow(channelId);
    }
    this.#quietMarks.clear();
    while (this.#marking.size > 0) await Promise.all([...this.#marking]);
  }

  /** Starts {@link #markRead} in the background; {@link flush} waits for it. */
  #markNow(channelId: string): void {
    const marking = this.#markRead(channelId).catch((e) => {
      log.warn("Marking DM channel {channel} read failed: {error}", {
        channel: channelId,
        error: e,
      });
    });
    this.#marking.add(marking);
    void marking.finally(() => this.#marking.delete(marking));
  }

  /**
   * Marks a DM channel viewed by the bot (`POST /channels/members/me/view`), so its
   * `msg_count` catches up with the channel's and the next catch-up skips it unread. The view
   * answers the channel's `last_post_at`: when that is newer than any post the bot knows
   * there, a post slipped under the mark before the bot handled it. Its event is normally on
   * its way (or a lost-events catch-up follows), but should the bot die first, the channel
   * is remembered as unsettled and the next catch-up reads it anyway.
   */
  async #markRead(channelId: string): Promise<void> {
    const known = this.#newest.get(channelId) ?? 0;
    let viewedUpTo: unknown;
    try {
      const response = await this.#transport.send(
        this.#transport.api("/channels/members/me/view"),
        {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ channel_id: channelId }),
          background: true,
        },
      );
      const body = await response.json() as { last_viewed_at_times?: Record<string, unknown> };
      viewedUpTo = body.last_viewed_at_times?.[channelId];
    } catch (e) {
      log.warn("Could not mark DM channel {channel} as read: {error}", {
        channel: channelId,
        error: e,
      });
      return;
    }
    if (typeof viewedUpTo === "number" && viewedUpTo > known) {
      log.info("DM channel {channel} was marked read with a post not handled yet", {
        channel: channelId,
      });
      await this.#processed.markUnsettled(channelId, known);
    } else {
      await this.#processed.markSettled(channelId);
    }
    // Marked: what the channel held is settled either way, so unless another mark is coming
    // it is forgotten (every post after this one is seen again before its own mark).
    if (!this.#inFlight.has(channelId) && !this.#quietMarks.has(channelId)) {
      this.#newest.delete(channelId);
    }
  }
}
