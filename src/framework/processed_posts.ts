/**
 * Remembers which posts were already handled, so a message that arrives twice (a replayed
 * WebSocket event, a REST catch-up overlapping live events, a restart) is handled once.
 *
 * @module
 */

/** Storage of handled post ids and of the DM channels seen. */
export interface ProcessedPosts {
  /** Records a post; returns false when it was already recorded. */
  claim(postId: string, channelId: string, createAt: number): boolean;
  /** `create_at` of the newest recorded post, or 0. */
  lastCreateAt(): number;
  /** DM channels that have sent the bot something. */
  dmChannels(): string[];
  /**
   * Remembers that a DM channel was marked read while it held a post after `after` (ms) the
   * bot had not handled: the next catch-up reads it whatever its unread counts say. An
   * earlier mark is kept.
   */
  markUnsettled(channelId: string, after: number): void;
  /** Forgets the mark: everything in the channel was handled when it was marked read. */
  markSettled(channelId: string): void;
  /** The marked channels, with the time after which their posts must be read. */
  unsettled(): { channelId: string; after: number }[];
}

/** In-memory {@link ProcessedPosts}, bounded to the most recent `capacity` ids. */
export class MemoryProcessedPosts implements ProcessedPosts {
  readonly #ids = new Set<string>();
  readonly #channels = new Set<string>();
  readonly #unsettled = new Map<string, number>();
  readonly #capacity: number;
  #last = 0;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  claim(postId: string, channelId: string, createAt: number): boolean {
    if (this.#ids.has(postId)) return false;
    this.#ids.add(postId);
    if (this.#ids.size > this.#capacity) {
      this.#ids.delete(this.#ids.values().next().value as string);
    }
    this.#channels.add(channelId);
    this.#last = Math.max(this.#last, createAt);
    return true;
  }

  lastCreateAt(): number {
    return this.#last;
  }

  dmChannels(): string[] {
    return [...this.#channels];
  }

  markUnsettled(channelId: string, after: number): void {
    if (!this.#unsettled.has(channelId)) this.#unsettled.set(channelId, after);
  }

  markSettled(channelId: string): void {
    this.#unsettled.delete(channelId);
  }

  unsettled(): { channelId: string; after: number }[] {
    return [...this.#unsettled].map(([channelId, after]) => ({ channelId, after }));
  }
}
