/**
 * The durable record of handled DMs, so a DM is answered once even when it is seen again
 * after a restart (REST catch-up) or replayed by the server.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { ProcessedPosts } from "@postbot/framework";

/** {@link ProcessedPosts} in the `processed_posts` table. */
export class SqliteProcessedPosts implements ProcessedPosts {
  readonly #insert: StatementSync;
  readonly #last: StatementSync;
  readonly #channels: StatementSync;
  readonly #prune: StatementSync;
  readonly #markUnsettled: StatementSync;
  readonly #markSettled: StatementSync;
  readonly #unsettled: StatementSync;

  constructor(db: DatabaseSync) {
    this.#insert = db.prepare(
      "INSERT OR IGNORE INTO processed_posts (post_id, channel_id, create_at) VALUES (?, ?, ?)",
    );
    this.#last = db.prepare("SELECT MAX(create_at) AS last FROM processed_posts");
    this.#channels = db.prepare("SELECT DISTINCT channel_id FROM processed_posts");
    this.#prune = db.prepare("DELETE FROM processed_posts WHERE create_at < ?");
    this.#markUnsettled = db.prepare(
      "INSERT OR IGNORE INTO unsettled_channels (channel_id, after) VALUES (?, ?)",
    );
    this.#markSettled = db.prepare("DELETE FROM unsettled_channels WHERE channel_id = ?");
    this.#unsettled = db.prepare("SELECT channel_id, after FROM unsettled_channels");
  }

  claim(postId: string, channelId: string, createAt: number): boolean {
    return Number(this.#insert.run(postId, channelId, createAt).changes) === 1;
  }

  lastCreateAt(): number {
    const row = this.#last.get() as { last: number | null } | undefined;
    return row?.last ?? 0;
  }

  dmChannels(): string[] {
    return (this.#channels.all() as { channel_id: string }[]).map((r) => r.channel_id);
  }

  markUnsettled(channelId: string, after: number): void {
    this.#markUnsettled.run(channelId, after);
  }

  markSettled(channelId: string): void {
    this.#markSettled.run(channelId);
  }

  unsettled(): { channelId: string; after: number }[] {
    return (this.#unsettled.all() as { channel_id: string; after: number }[])
      .map((r) => ({ channelId: r.channel_id, after: r.after }));
  }

  /** Forgets posts older than `olderThanMs` (ms since epoch), keeping the table small. */
  prune(olderThanMs: number): number {
    return Number(this.#prune.run(olderThanMs).changes);
  }
}
