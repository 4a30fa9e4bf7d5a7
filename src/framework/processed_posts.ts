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
}

/** In-memory {@link ProcessedPosts}, bounded to the most recent `capacity` ids. */
export class MemoryProcessedPosts implements ProcessedPosts {
  readonly #ids = new Set<string>();
  readonly #channels = new Set<string>();
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
}
