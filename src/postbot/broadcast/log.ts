/**
 * The broadcast log: every broadcast and, per recipient (a channel or a person), what happened
 * to it, in the database. A broadcast is written as pending before the first delivery and
 * updated after each channel, so a crash part-way leaves an exact record of what was delivered
 * (a channel left in `sending` is checked against the server on restart or takeover). The
 * claim of a delivery (`sending`) is fenced: an instance that lost the lease cannot start one.
 *
 * @module
 */

import { keepHeapNear } from "@postbot/framework/heap_budget";
import type { Database, SqlExecutor, SqlValue } from "../database/port.ts";
import { type FenceSource, SOLE_INSTANCE } from "../database/fencing.ts";
import { bytesColumns, fullText, type Row } from "../storage/rows.ts";
import type {
  BroadcastFile,
  BroadcastRecord,
  BroadcastStatus,
  BroadcastSummary,
  BroadcastTarget,
  DeliveryRecord,
  DeliveryState,
  DeliveryStatus,
  PersonReach,
  TargetRef,
} from "./model.ts";
import { type BroadcastOptions, NO_OPTIONS, optionsFromColumns } from "./options.ts";
import { LogTally } from "./log_tally.ts";
import type { TallySource } from "./report.ts";

/**
 * The columns of a broadcast row. The user's texts are also read as bytes on SQLite (see
 * rows.ts): a retry must post the message exactly as it was sent.
 */
function broadcastColumns(db: Database): string {
  return `b.*${bytesColumns(db.dialect, "b", ["message", "target_answer"])}`;
}

function toBroadcast(r: Row): BroadcastRecord {
  return {
    id: String(r.id),
    senderId: String(r.sender_id),
    senderUsername: String(r.sender_username),
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    targetAnswer: fullText(r, "target_answer"),
    message: fullText(r, "message"),
    files: JSON.parse(String(r.files_json)),
    sourcePostId: r.source_post_id === null ? null : String(r.source_post_id),
    status: r.status as BroadcastStatus,
    error: r.error === null ? null : String(r.error),
    options: optionsFromColumns(r),
  };
}

/** The reach of a person named in the answer, the most common: one object for all of them. */
const BY_NAME: PersonReach = Object.freeze({ by: "name" });
const BY_NAME_JSON = JSON.stringify(BY_NAME);

function toDelivery(r: Row): DeliveryRecord {
  const state: DeliveryState = {
    status: r.status as DeliveryStatus,
    postId: r.post_id === null ? null : String(r.post_id),
    error: r.error === null ? null : String(r.error),
    attempts: Number(r.attempts),
    updatedAt: Number(r.updated_at),
  };
  const name = String(r.name);
  const displayName = String(r.display_name);
  if (r.kind === "person") {
    const reach = r.reach_json === BY_NAME_JSON
      ? BY_NAME
      : JSON.parse(String(r.reach_json)) as PersonReach;
    return {
      kind: "person",
      userId: String(r.user_id),
      username: name,
      displayName,
      reach,
      ...state,
    };
  }
  return { kind: "channel", channelId: String(r.channel_id), name, displayName, ...state };
}

/** The WHERE clause naming one recipient of a broadcast, and its id. */
function recipient(t: TargetRef): [string, SqlValue] {
  return t.kind === "channel"
    ? ["broadcast_id = ? AND kind = 'channel' AND channel_id = ?", t.channelId]
    : ["broadcast_id = ? AND kind = 'person' AND user_id = ?", t.userId];
}

const summary = (columns: string) => `
  SELECT ${columns},
    (SELECT COUNT(*) FROM deliveries d WHERE d.broadcast_id = b.id) AS channels,
    (SELECT COUNT(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.kind = 'person')
      AS people,
    (SELECT COUNT(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.status = 'delivered')
      AS delivered,
    (SELECT COUNT(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.status = 'failed')
      AS failed,
    (SELECT COUNT(*) FROM deliveries d WHERE d.broadcast_id = b.id AND d.status = 'deleted')
      AS deleted
  FROM broadcasts b`;

/** Reads and writes the broadcast tables. */
export class BroadcastLog {
  readonly #db: Database;
  readonly #now: () => number;
  readonly #fence: FenceSource;
  readonly #columns: string;

  /** What a report of a broadcast needs, counted by the database (report.ts). */
  readonly tally: TallySource;

  constructor(db: Database, now: () => number = Date.now, fence: FenceSource = SOLE_INSTANCE) {
    this.tally = new LogTally(db, toDelivery);
    this.#db = db;
    this.#now = now;
    this.#fence = fence;
    this.#columns = broadcastColumns(db);
  }

  /** Records a confirmed broadcast and one pending delivery per target, atomically. */
  async create(b: {
    id: string;
    senderId: string;
    senderUsername: string;
    targetAnswer: string;
    message: string;
    files: readonly BroadcastFile[];
    sourcePostId: string | null;
    targets: readonly BroadcastTarget[];
    options?: BroadcastOptions;
  }): Promise<void> {
    const now = this.#now();
    const options = b.options ?? NO_OPTIONS;
    await this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO broadcasts (id, sender_id, sender_username, created_at, target_answer,
           message, files_json, source_post_id, status, ack_requested, priority, remind_after_ms,
           seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?,
           (SELECT COALESCE(MAX(seq), 0) + 1 FROM broadcasts))`,
        [
          b.id,
          b.senderId,
          b.senderUsername,
          now,
          b.targetAnswer,
          b.message,
          JSON.stringify(b.files),
          b.sourcePostId,
          options.ack ? 1 : 0,
          options.priority,
          options.remindAfterMs,
        ],
      );
      // The automatic reminder is due from now on, written with the broadcast: a crash
      // cannot leave one without the other.
      if (options.remindAfterMs !== null) {
        await tx.run(
          "INSERT INTO reminders_due (broadcast_id, due_at, status) VALUES (?, ?, 'waiting')",
          [b.id, now + options.remindAfterMs],
        );
      }
      await insertDeliveries(tx, b.id, b.targets, now);
    });
  }

  /**
   * A delivery attempt is starting: from here on, its outcome must be verified after a crash.
   * Fenced: false when this instance may no longer act (nothing was claimed, send nothing).
   */
  async markSending(id: string, target: TargetRef): Promise<boolean> {
    const [where, key] = recipient(target);
    const changed = await this.#db.run(
      `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?
       WHERE ${where} AND ${this.#fence()}`,
      [this.#now(), id, key],
    );
    return changed > 0;
  }

  /** The post is in the channel (or the person's DM). */
  async markDelivered(id: string, target: TargetRef, postId: string): Promise<void> {
    const [where, key] = recipient(target);
    await this.#db.run(
      `UPDATE deliveries SET status = 'delivered', post_id = ?, error = NULL, updated_at = ?
       WHERE ${where}`,
      [postId, this.#now(), id, key],
    );
  }

  /** The recipient did not get it; `reason` is written for people. */
  async markFailed(id: string, target: TargetRef, reason: string): Promise<void> {
    const [where, key] = recipient(target);
    await this.#db.run(
      `UPDATE deliveries SET status = 'failed', error = ?, updated_at = ? WHERE ${where}`,
      [reason, this.#now(), id, key],
    );
  }

  /** The post was removed by `!undo`. */
  async markDeleted(id: string, target: TargetRef): Promise<void> {
    const [where, key] = recipient(target);
    await this.#db.run(
      `UPDATE deliveries SET status = 'deleted', updated_at = ? WHERE ${where}`,
      [this.#now(), id, key],
    );
  }

  /** `!undo`: the automatic reminder of a broadcast will not go out; true when one waited. */
  async cancelReminder(id: string): Promise<boolean> {
    return await this.#db.run(
      "UPDATE reminders_due SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'waiting'",
      [id],
    ) === 1;
  }

  /** Puts failed channels back to pending for `!retry`; returns how many. */
  reopenFailed(id: string): Promise<number> {
    return this.#db.transaction(async (tx) => {
      const n = await tx.run(
        `UPDATE deliveries SET status = 'pending', updated_at = ?
         WHERE broadcast_id = ? AND status = 'failed'`,
        [this.#now(), id],
      );
      if (n > 0) {
        await tx.run(
          "UPDATE broadcasts SET status = 'pending', finished_at = NULL WHERE id = ?",
          [id],
        );
      }
      return n;
    });
  }

  /** After a takeover: recipients caught mid-delivery are pending again; how many. */
  reopenSending(id: string): Promise<number> {
    return this.#db.run(
      `UPDATE deliveries SET status = 'pending', updated_at = ?
       WHERE broadcast_id = ? AND status = 'sending' AND ${this.#fence()}`,
      [this.#now(), id],
    );
  }

  /** The text changed by `!edit`: retries post the new one. */
  async updateMessage(id: string, message: string): Promise<void> {
    await this.#db.run("UPDATE broadcasts SET message = ? WHERE id = ?", [message, id]);
  }

  /** Closes a broadcast. */
  async finish(
    id: string,
    status: Exclude<BroadcastStatus, "pending">,
    error?: string,
  ): Promise<void> {
    await this.#db.run(
      "UPDATE broadcasts SET status = ?, finished_at = ?, error = ? WHERE id = ?",
      [status, this.#now(), error ?? null, id],
    );
  }

  /** Records who did what to a broadcast (undo, retry, recovery). */
  async addEvent(
    id: string,
    actor: { id: string; username: string },
    action: string,
    detail = "",
  ): Promise<void> {
    await this.#db.run(
      `INSERT INTO broadcast_events (broadcast_id, at, actor_id, actor_username, action, detail)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [id, this.#now(), actor.id, actor.username, action, detail],
    );
  }

  /** Events of a broadcast, oldest first. */
  async events(
    id: string,
  ): Promise<{ at: number; actor: string; action: string; detail: string }[]> {
    const rows = await this.#db.query(
      "SELECT at, actor_username, action, detail FROM broadcast_events WHERE broadcast_id = ? " +
        "ORDER BY id",
      [id],
    );
    return rows.map((r) => ({
      at: Number(r.at),
      actor: String(r.actor_username),
      action: String(r.action),
      detail: String(r.detail),
    }));
  }

  /** One broadcast. */
  async get(id: string): Promise<BroadcastRecord | undefined> {
    const [row] = await this.#db.query(
      `SELECT ${this.#columns} FROM broadcasts b WHERE b.id = ?`,
      [id],
    );
    return row === undefined ? undefined : toBroadcast(row);
  }

  /** One broadcast's deliveries, in the order the targets were resolved. */
  async deliveries(id: string): Promise<DeliveryRecord[]> {
    const all: DeliveryRecord[] = [];
    for await (const d of this.eachDelivery(id)) all.push(d);
    return all;
  }

  /**
   * One broadcast's deliveries like {@link deliveries}, one record at a time, read a page at
   * a time: for a reader that keeps a little of each (a count, a channel id), so 10,000
   * records and their rows are never alive at once. The reader may write between records.
   */
  async *eachDelivery(id: string): AsyncGenerator<DeliveryRecord, void, undefined> {
    const rows = this.#db.queryEach({
      sql: "SELECT * FROM deliveries WHERE broadcast_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      params: [id],
      key: "seq",
      start: 0,
    });
    for await (const row of rows) yield toDelivery(row);
  }

  /** One recipient's delivery of a broadcast. */
  async delivery(id: string, target: TargetRef): Promise<DeliveryRecord | undefined> {
    const [where, key] = recipient(target);
    const [row] = await this.#db.query(`SELECT * FROM deliveries WHERE ${where}`, [id, key]);
    return row === undefined ? undefined : toDelivery(row);
  }

  /** The delivery whose post this is, with its broadcast's id (none for other posts). */
  async deliveryOfPost(
    postId: string,
  ): Promise<{ broadcastId: string; delivery: DeliveryRecord } | undefined> {
    const [row] = await this.#db.query(
      "SELECT * FROM deliveries WHERE post_id = ? AND status = 'delivered' LIMIT 1",
      [postId],
    );
    return row === undefined
      ? undefined
      : { broadcastId: String(row.broadcast_id), delivery: toDelivery(row) };
  }

  /** Broadcasts asking for acknowledgement created since `since`, oldest first. */
  async askingForAcknowledgement(since: number): Promise<BroadcastRecord[]> {
    const rows = await this.#db.query(
      `SELECT ${this.#columns} FROM broadcasts b WHERE b.ack_requested = 1
       AND b.created_at >= ? ORDER BY b.created_at`,
      [since],
    );
    return rows.map(toBroadcast);
  }

  /** A sender's latest broadcasts, newest first. */
  async recent(senderId: string, limit: number): Promise<BroadcastSummary[]> {
    const rows = await this.#db.query(
      `${summary(this.#columns)} WHERE b.sender_id = ?
       ORDER BY b.created_at DESC, b.seq DESC LIMIT ?`,
      [senderId, limit],
    );
    return rows.map((r) => ({
      ...toBroadcast(r),
      channels: Number(r.channels),
      people: Number(r.people),
      delivered: Number(r.delivered),
      failed: Number(r.failed),
      deleted: Number(r.deleted),
    }));
  }

  /** Broadcasts left pending by a process that stopped part-way. */
  async unfinished(): Promise<BroadcastRecord[]> {
    const rows = await this.#db.query(
      `SELECT ${this.#columns} FROM broadcasts b WHERE b.status = 'pending'
       ORDER BY b.created_at`,
    );
    return rows.map(toBroadcast);
  }
}

/** One pending delivery per target, numbered in the targets' order. */
async function insertDeliveries(
  tx: SqlExecutor,
  id: string,
  targets: readonly BroadcastTarget[],
  now: number,
): Promise<void> {
  const insert = `INSERT INTO deliveries (broadcast_id, kind, channel_id, user_id, reach_json,
      name, display_name, status, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`;
  let seq = 0;
  for (const t of targets) {
    seq++;
    keepHeapNear();
    if (t.kind === "channel") {
      await tx.run(insert, [
        id,
        "channel",
        t.channelId,
        null,
        null,
        t.name,
        t.displayName,
        now,
        seq,
      ]);
    } else {
      const reach = JSON.stringify(t.reach);
      await tx.run(insert, [
        id,
        "person",
        null,
        t.userId,
        reach,
        t.username,
        t.displayName,
        now,
        seq,
      ]);
    }
  }
}
