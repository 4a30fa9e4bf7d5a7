/**
 * What is stored about what people did with a broadcast, for `!status` and `!export`: each
 * delivery's seen threshold (the channel's message count right after the post), the people
 * known to have seen it (a row each, written once: seeing is not undone), and -- read only,
 * written by the acknowledgement and reminder features -- who acknowledged it and when people
 * were reminded. Also the DM channel of each person (direct_channels), where a person's copy is.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { transaction } from "@postbot/framework/sqlite";
import type { TargetRef } from "./model.ts";
import { targetKey } from "./model.ts";

type Row = Record<string, unknown>;

/** One acknowledgement of a broadcast (by a button or a reaction on one of its posts). */
export interface Acknowledgement {
  readonly at: number;
  readonly postId: string;
}

/** Reads and writes the seen facts of broadcasts. */
export class SeenLog {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** The seen thresholds of a broadcast's deliveries that have one, by target key. */
  thresholds(broadcastId: string): Map<string, number> {
    const rows = this.#prepare(
      `SELECT kind, channel_id, user_id, seen_threshold FROM deliveries
       WHERE broadcast_id = ? AND seen_threshold IS NOT NULL`,
    ).all(broadcastId) as Row[];
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
  setThresholds(broadcastId: string, counts: readonly [TargetRef, number][]): void {
    if (counts.length === 0) return;
    transaction(this.#db, () => {
      for (const [target, count] of counts) {
        const [where, key] = target.kind === "channel"
          ? ["kind = 'channel' AND channel_id = ?", target.channelId]
          : ["kind = 'person' AND user_id = ?", target.userId];
        this.#prepare(
          `UPDATE deliveries SET seen_threshold = ?
           WHERE broadcast_id = ? AND ${where} AND seen_threshold IS NULL`,
        ).run(count, broadcastId, key);
      }
    });
  }

  /** The people known to have seen a broadcast, with when postbot found out. */
  seenPeople(broadcastId: string): Map<string, number> {
    const rows = this.#prepare("SELECT user_id, seen_at FROM seen WHERE broadcast_id = ?")
      .all(broadcastId) as Row[];
    return new Map(rows.map((r) => [String(r.user_id), Number(r.seen_at)]));
  }

  /** Records that these people have seen a broadcast (kept as first recorded). */
  markSeen(broadcastId: string, userIds: readonly string[], at: number): void {
    if (userIds.length === 0) return;
    transaction(this.#db, () => {
      const insert = this.#prepare(
        "INSERT OR IGNORE INTO seen (broadcast_id, user_id, seen_at) VALUES (?, ?, ?)",
      );
      for (const id of userIds) insert.run(broadcastId, id, at);
    });
  }

  /** Who acknowledged a broadcast, and when and on which of its posts. */
  acknowledgements(broadcastId: string): Map<string, Acknowledgement> {
    const rows = this.#prepare(
      "SELECT user_id, at, post_id FROM acknowledgements WHERE broadcast_id = ?",
    ).all(broadcastId) as Row[];
    return new Map(
      rows.map((r) => [String(r.user_id), { at: Number(r.at), postId: String(r.post_id) }]),
    );
  }

  /** When each person was last reminded of a broadcast (reminders that went out). */
  lastReminded(broadcastId: string): Map<string, number> {
    const rows = this.#prepare(
      `SELECT user_id, MAX(at) AS at FROM reminders
       WHERE broadcast_id = ? AND post_id IS NOT NULL GROUP BY user_id`,
    ).all(broadcastId) as Row[];
    return new Map(rows.map((r) => [String(r.user_id), Number(r.at)]));
  }

  /** Whether the sender asked for acknowledgement. */
  ackRequested(broadcastId: string): boolean {
    const row = this.#prepare("SELECT ack_requested FROM broadcasts WHERE id = ?")
      .get(broadcastId) as Row | undefined;
    return Number(row?.ack_requested ?? 0) === 1;
  }

  /** Every DM channel the bot has with a person, by user id (one query, for many people). */
  /**
   * The delivered recipients of a broadcast without a seen threshold yet, each with the
   * channel holding its post (a person's DM with the bot; undefined if none is known), read
   * one row at a time: the capture after a run to 10,000 people needs no delivery records
   * and no map of every DM the bot ever opened.
   */
  *unmeasured(
    broadcastId: string,
  ): Generator<{ target: TargetRef; channelId: string | undefined }, void, undefined> {
    const rows = this.#prepare(
      `SELECT d.kind, d.channel_id, d.user_id, dc.channel_id AS dm FROM deliveries d
       LEFT JOIN direct_channels dc ON d.kind = 'person' AND dc.user_id = d.user_id
       WHERE d.broadcast_id = ? AND d.status = 'delivered' AND d.seen_threshold IS NULL`,
    ).iterate(broadcastId) as Iterable<Row>;
    for (const r of rows) {
      yield r.kind === "person"
        ? {
          target: { kind: "person", userId: String(r.user_id) },
          channelId: r.dm === null ? undefined : String(r.dm),
        }
        : {
          target: { kind: "channel", channelId: String(r.channel_id) },
          channelId: String(r.channel_id),
        };
    }
  }

  directChannels(): Map<string, string> {
    const rows = this.#prepare("SELECT user_id, channel_id FROM direct_channels").all() as Row[];
    return new Map(rows.map((r) => [String(r.user_id), String(r.channel_id)]));
  }
}
