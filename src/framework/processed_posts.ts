/**
 * Remembers which posts were already handled, so a message that arrives twice (a replayed
 * WebSocket event, a REST catch-up overlapping live events, a restart) is handled once.
 *
 * @module
 */

/**
 * Storage of handled post ids and of the DM channels seen. Async: the store may be a database
 * across a network, shared by several instances (the claim then decides which one answers).
 */
export interface ProcessedPosts {
  /**
   * Records a post; resolves false when it was already recorded (or when this instance may
   * not answer it any more, e.g. it lost the lease to another instance).
   */
  claim(postId: string, channelId: string, createAt: number): Promise<boolean>;
  /** `create_at` of the newest recorded post, or 0. */
  lastCreateAt(): Promise<number>;
  /** DM channels that have sent the bot something. */
  dmChannels(): Promise<string[]>;
  /**
   * Remembers that a DM channel was marked read while it held a post after `after` (ms) the
   * bot had not handled: the next catch-up reads it whatever its unread counts say. An
   * earlier mark is kept.
   */
  markUnsettled(channelId: string, after: number): Promise<void>;
  /** Forgets the mark: everything in the channel was handled when it was marked read. */
  markSettled(channelId: string): Promise<void>;
  /** The marked channels, with the time after which their posts must be read. */
  unsettled(): Promise<{ channelId: string; after: number }[]>;
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

  claim(postId: string, channelId: string, createAt: number): Promise<boolean> {
    return Promise.resolve(this.claimNow(postId, channelId, createAt));
  }

  /** {@link claim}, answered synchronously (memory needs no wait). */
  claimNow(postId: string, channelId: string, createAt: number): boolean {
    if (this.#ids.has(postId)) return false;
    this.#ids.add(postId);
    if (this.#ids.size > this.#capacity) {
      this.#ids.delete(this.#ids.values().next().value as string);
    }
    this.#channels.add(channelId);
    this.#last = Math.max(this.#last, createAt);
    return true;
  }

  lastCreateAt(): Promise<number> {
    return Promise.resolve(this.#last);
  }

  dmChannels(): Promise<string[]> {
    return Promise.resolve([...this.#channels]);
  }

  markUnsettled(channelId: string, after: number): Promise<void> {
    if (!this.#unsettled.has(channelId)) this.#unsettled.set(channelId, after);
    return Promise.resolve();
  }

  markSettled(channelId: string): Promise<void> {
    this.#unsettled.delete(channelId);
    return Promise.resolve();
  }

  unsettled(): Promise<{ channelId: string; after: number }[]> {
    return Promise.resolve(
      [...this.#unsettled].map(([channelId, after]) => ({ channelId, after })),
    );
  }
}
