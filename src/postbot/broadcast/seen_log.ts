/**
 * What is stored about what people did with a broadcast, for `!status` and `!export`: each
 * delivery's seen threshold (the channel's message count right after the post), the people
 * known to have seen it (a row each, written once: seeing is not undone), and -- read only,
 * written by the acknowledgement and reminder features -- who acknowledged it and when people
 * were reminded. Also the DM channel of each person (direct_channels), where a person's copy is.
 *
 * @module
 */

import type { Database } from "../database/port.ts";
import type { TargetRef } from "./model.ts";
import { targetKey } from "./model.ts";

/** One acknowledgement of a broadcast (by a button or a reaction on one of its posts). */
export interface Acknowledgement {
  readonly at: number;
  readonly postId: string;
}

/** Reads and writes the seen facts of broadcasts. */
export class SeenLog {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** The seen thresholds of a broadcast's deliveries that have one, by target key. */
  async thresholds(broadcastId: string): Promise<Map<string, number>> {
    const rows = await this.#db.query(
      `SELECT kind, channel_id, user_id, seen_threshold FROM deliveries
       WHERE broadcast_id = ? AND seen_threshold IS NOT NULL`,
      [broadcastId],
    );
    return new Map(rows.map((r) => [
      targetKey(
        r.kind === "person"
          ? { kind: "person", userId: String(r.user_id) }
          : { kind: "channel", channelId: String(r.channel_id) },
      ),
      Number(r.seen_threshold),
    ]));
  }

  /**
   * Records the thresholds of deliveries that have none yet (a first capture is the closest
   * to the post; a later one is only ever higher, so it is never replaced).
   */
  async setThresholds(broadcastId: string, counts: readonly [TargetRef, number][]): Promise<void> {
    if (counts.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const [target, count] of counts) {
        const [where, key] = target.kind === "channel"
          ? ["kind = 'channel' AND channel_id = ?", target.channelId]
          : ["kind = 'person' AND user_id = ?", target.userId];
        await tx.run(
          `UPDATE deliveries SET seen_threshold = ?
           WHERE broadcast_id = ? AND ${where} AND seen_threshold IS NULL`,
          [count, broadcastId, key],
        );
      }
    });
  }

  /** The people known to have seen a broadcast, with when postbot found out. */
  async seenPeople(broadcastId: string): Promise<Map<string, number>> {
    const rows = await this.#db.query(
      "SELECT user_id, seen_at FROM seen WHERE broadcast_id = ?",
      [broadcastId],
    );
    return new Map(rows.map((r) => [String(r.user_id), Number(r.seen_at)]));
  }

  /** Records that these people have seen a broadcast (kept as first recorded). */
  async markSeen(broadcastId: string, userIds: readonly string[], at: number): Promise<void> {
    if (userIds.length === 0) return;
    await this.#db.transaction(async (tx) => {
      for (const id of userIds) {
        await tx.run(
          "INSERT INTO seen (broadcast_id, user_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
          [broadcastId, id, at],
        );
      }
    });
  }

  /** Who acknowledged a broadcast, and when and on which of its posts. */
  async acknowledgements(broadcastId: string): Promise<Map<string, Acknowledgement>> {
    const rows = await this.#db.query(
      "SELECT user_id, at, post_id FROM acknowledgements WHERE broadcast_id = ?",
      [broadcastId],
    );
    return new Map(
      rows.map((r) => [String(r.user_id), { at: Number(r.at), postId: String(r.post_id) }]),
    );
  }

  /** When each person was last reminded of a broadcast (reminders that went out). */
  async lastReminded(broadcastId: string): Promise<Map<string, number>> {
    const rows = await this.#db.query(
      `SELECT user_id, MAX(at) AS at FROM reminders
       WHERE broadcast_id = ? AND post_id IS NOT NULL GROUP BY user_id`,
      [broadcastId],
    );
    return new Map(rows.map((r) => [String(r.user_id), Number(r.at)]));
  }

  /** Whether the sender asked for acknowledgement. */
  async ackRequested(broadcastId: string): Promise<boolean> {
    const [row] = await this.#db.query(
      "SELECT ack_requested FROM broadcasts WHERE id = ?",
      [broadcastId],
    );
    return Number(row?.ack_requested ?? 0) === 1;
  }

  /**
   * The delivered recipients of a broadcast without a seen threshold yet, each with the
   * channel holding its post (a person's DM with the bot; undefined if none is known), in
   * the order of the targets: the capture after a run to 10,000 people then needs no
   * delivery records and no map of every DM the bot ever opened.
   */
  async unmeasured(
    broadcastId: string,
  ): Promise<{ target: TargetRef; channelId: string | undefined }[]> {
    const all = [];
    for await (const u of this.eachUnmeasured(broadcastId)) all.push(u);
    return all;
  }

  /** {@link unmeasured} one at a time, read a page at a time: 10,000 rows never at once. */
  async *eachUnmeasured(
    broadcastId: string,
  ): AsyncGenerator<{ target: TargetRef; channelId: string | undefined }, void, undefined> {
    const rows = this.#db.queryEach({
      sql: `SELECT d.seq, d.kind, d.channel_id, d.user_id, dc.channel_id AS dm FROM deliveries d
       LEFT JOIN direct_channels dc ON d.kind = 'person' AND dc.user_id = d.user_id
       WHERE d.broadcast_id = ? AND d.status = 'delivered' AND d.seen_threshold IS NULL
       AND d.seq > ? ORDER BY d.seq LIMIT ?`,
      params: [broadcastId],
      key: "seq",
      start: 0,
    });
    for await (const r of rows) {
      yield r.kind === "person"
        ? {
          target: { kind: "person", userId: String(r.user_id) },
          channelId: r.dm === null || r.dm === undefined ? undefined : String(r.dm),
        }
        : {
          target: { kind: "channel", channelId: String(r.channel_id) },
          channelId: String(r.channel_id),
        };
    }
  }

  /** Every DM channel the bot has with a person, by user id (one query, for many people). */
  async directChannels(): Promise<Map<string, string>> {
    const rows = await this.#db.query("SELECT user_id, channel_id FROM direct_channels");
    return new Map(rows.map((r) => [String(r.user_id), String(r.channel_id)]));
  }
}
