/**
 * The durable record of handled DMs, so a DM is answered once even when it is seen again
 * after a restart (REST catch-up) or replayed by the server. With several instances on one
 * database the claim is fenced (database/fencing.ts): the instance whose claim is written
 * answers; one that lost the lease claims nothing and stays silent. Claims arriving together
 * are written together (claim_batch.ts).
 *
 * @module
 */

import type { ProcessedPosts } from "@postbot/framework";
import type { Database } from "../database/port.ts";
import { type FenceSource, SOLE_INSTANCE } from "../database/fencing.ts";
import { type Claim, ClaimBatcher } from "./claim_batch.ts";

/** {@link ProcessedPosts} in the `processed_posts` table. */
export class StoredProcessedPosts implements ProcessedPosts {
  readonly #db: Database;
  readonly #fence: FenceSource;
  readonly #batcher = new ClaimBatcher((claims) => this.#write(claims));

  constructor(db: Database, fence: FenceSource = SOLE_INSTANCE) {
    this.#db = db;
    this.#fence = fence;
  }

  claim(postId: string, channelId: string, createAt: number): Promise<boolean> {
    return this.#batcher.claim({ postId, channelId, createAt });
  }

  /** Inserts the claims not yet recorded, if this instance may act; the post ids inserted. */
  async #write(claims: readonly Claim[]): Promise<ReadonlySet<string>> {
    const rows = claims.map((_, i) =>
      i === 0 ? "(CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER))" : "(?, ?, ?)"
    );
    const written = await this.#db.query<{ post_id: string }>(
      `INSERT INTO processed_posts (post_id, channel_id, create_at)
       SELECT * FROM (VALUES ${rows.join(", ")}) AS claimed
       WHERE ${this.#fence()} ON CONFLICT (post_id) DO NOTHING RETURNING post_id`,
      claims.flatMap((c) => [c.postId, c.channelId, c.createAt]),
    );
    return new Set(written.map((r) => r.post_id));
  }

  async lastCreateAt(): Promise<number> {
    const [row] = await this.#db.query<{ last: number | null }>(
      "SELECT MAX(create_at) AS last FROM processed_posts",
    );
    return row?.last ?? 0;
  }

  async dmChannels(): Promise<string[]> {
    const rows = await this.#db.query<{ channel_id: string }>(
      "SELECT DISTINCT channel_id FROM processed_posts",
    );
    return rows.map((r) => r.channel_id);
  }

  async markUnsettled(channelId: string, after: number): Promise<void> {
    await this.#db.run(
      "INSERT INTO unsettled_channels (channel_id, after) VALUES (?, ?) ON CONFLICT DO NOTHING",
      [channelId, after],
    );
  }

  async markSettled(channelId: string): Promise<void> {
    await this.#db.run("DELETE FROM unsettled_channels WHERE channel_id = ?", [channelId]);
  }

  async unsettled(): Promise<{ channelId: string; after: number }[]> {
    const rows = await this.#db.query<{ channel_id: string; after: number }>(
      "SELECT channel_id, after FROM unsettled_channels",
    );
    return rows.map((r) => ({ channelId: r.channel_id, after: r.after }));
  }

  /** Forgets posts older than `olderThanMs` (ms since epoch), keeping the table small. */
  prune(olderThanMs: number): Promise<number> {
    return this.#db.run("DELETE FROM processed_posts WHERE create_at < ?", [olderThanMs]);
  }
}
