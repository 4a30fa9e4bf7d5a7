/**
 * The broadcast log: every broadcast and, per recipient (a channel or a person), what happened
 * to it, in SQLite. A
 * broadcast is written as pending before the first delivery and updated after each channel,
 * so a crash part-way leaves an exact record of what was delivered (a channel left in
 * `sending` is checked against the server on restart).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { transaction } from "@postbot/framework/sqlite";
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

type Row = Record<string, unknown>;

/**
 * The columns of a broadcast row. The user's texts are also read as bytes: node:sqlite cuts
 * a TEXT value at the first NUL character when reading it, and a retry must post the message
 * exactly as it was sent.
 */
const BROADCAST_COLUMNS = "b.*, CAST(b.message AS BLOB) AS message_bytes, " +
  "CAST(b.target_answer AS BLOB) AS target_answer_bytes";

const utf8 = new TextDecoder();

/** A text column, from its bytes when they were selected too. */
function fullText(r: Row, column: string): string {
  const bytes = r[`${column}_bytes`];
  return bytes instanceof Uint8Array ? utf8.decode(bytes) : String(r[column]);
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
    const reach = JSON.parse(String(r.reach_json)) as PersonReach;
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
function recipient(t: TargetRef): [string, string] {
  return t.kind === "channel"
    ? ["broadcast_id = ? AND kind = 'channel' AND channel_id = ?", t.channelId]
    : ["broadcast_id = ? AND kind = 'person' AND user_id = ?", t.userId];
}

const SUMMARY = `
  SELECT ${BROADCAST_COLUMNS},
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
  readonly #db: DatabaseSync;
  readonly #now: () => number;

  /** Statements compiled once: several run per delivered channel. */
  readonly #statements = new Map<string, StatementSync>();

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  constructor(db: DatabaseSync, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
  }

  /** Records a confirmed broadcast and one pending delivery per target, atomically. */
  create(b: {
    id: string;
    senderId: string;
    senderUsername: string;
    targetAnswer: string;
    message: string;
    files: readonly BroadcastFile[];
    sourcePostId: string | null;
    targets: readonly BroadcastTarget[];
    options?: BroadcastOptions;
  }): void {
    const now = this.#now();
    const options = b.options ?? NO_OPTIONS;
    transaction(this.#db, () => {
      this.#prepare(
        `INSERT INTO broadcasts (id, sender_id, sender_username, created_at, target_answer,
           message, files_json, source_post_id, status, ack_requested, priority, remind_after_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
      ).run(
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
      );
      // The automatic reminder is due from now on, written with the broadcast: a crash
      // cannot leave one without the other.
      if (options.remindAfterMs !== null) {
        this.#prepare(
          "INSERT INTO reminders_due (broadcast_id, due_at, status) VALUES (?, ?, 'waiting')",
        ).run(b.id, now + options.remindAfterMs);
      }
      const insert = this.#prepare(
        `INSERT INTO deliveries (broadcast_id, kind, channel_id, user_id, reach_json, name,
           display_name, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
      );
      for (const t of b.targets) {
        if (t.kind === "channel") {
          insert.run(b.id, "channel", t.channelId, null, null, t.name, t.displayName, now);
        } else {
          const reach = JSON.stringify(t.reach);
          insert.run(b.id, "person", null, t.userId, reach, t.username, t.displayName, now);
        }
      }
    });
  }

  /** A delivery attempt is starting: from here on, its outcome must be verified after a crash. */
  markSending(id: string, target: TargetRef): void {
    const [where, key] = recipient(target);
    this.#prepare(
      `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?
       WHERE ${where}`,
    ).run(this.#now(), id, key);
  }

  /** The post is in the channel (or the person's DM). */
  markDelivered(id: string, target: TargetRef, postId: string): void {
    const [where, key] = recipient(target);
    this.#prepare(
      `UPDATE deliveries SET status = 'delivered', post_id = ?, error = NULL, updated_at = ?
       WHERE ${where}`,
    ).run(postId, this.#now(), id, key);
  }

  /** The recipient did not get it; `reason` is written for people. */
  markFailed(id: string, target: TargetRef, reason: string): void {
    const [where, key] = recipient(target);
    this.#prepare(
      `UPDATE deliveries SET status = 'failed', error = ?, updated_at = ? WHERE ${where}`,
    ).run(reason, this.#now(), id, key);
  }

  /** The post was removed by `!undo`. */
  markDeleted(id: string, target: TargetRef): void {
    const [where, key] = recipient(target);
    this.#prepare(`UPDATE deliveries SET status = 'deleted', updated_at = ? WHERE ${where}`)
      .run(this.#now(), id, key);
  }

  /** `!undo`: the automatic reminder of a broadcast will not go out; true when one waited. */
  cancelReminder(id: string): boolean {
    return Number(
      this.#prepare(
        "UPDATE reminders_due SET status = 'cancelled' WHERE broadcast_id = ? AND status = 'waiting'",
      ).run(id).changes,
    ) === 1;
  }

  /** Puts failed channels back to pending for `!retry`; returns how many. */
  reopenFailed(id: string): number {
    return transaction(this.#db, () => {
      const n = Number(
        this.#prepare(
          `UPDATE deliveries SET status = 'pending', updated_at = ?
           WHERE broadcast_id = ? AND status = 'failed'`,
        ).run(this.#now(), id).changes,
      );
      if (n > 0) {
        this.#prepare(
          "UPDATE broadcasts SET status = 'pending', finished_at = NULL WHERE id = ?",
        ).run(id);
      }
      return n;
    });
  }

  /** The text changed by `!edit`: retries post the new one. */
  updateMessage(id: string, message: string): void {
    this.#prepare("UPDATE broadcasts SET message = ? WHERE id = ?").run(message, id);
  }

  /** Closes a broadcast. */
  finish(id: string, status: Exclude<BroadcastStatus, "pending">, error?: string): void {
    this.#prepare("UPDATE broadcasts SET status = ?, finished_at = ?, error = ? WHERE id = ?")
      .run(status, this.#now(), error ?? null, id);
  }

  /** Records who did what to a broadcast (undo, retry, recovery). */
  addEvent(
    id: string,
    actor: { id: string; username: string },
    action: string,
    detail = "",
  ): void {
    this.#prepare(
      `INSERT INTO broadcast_events (broadcast_id, at, actor_id, actor_username, action, detail)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ).run(id, this.#now(), actor.id, actor.username, action, detail);
  }

  /** Events of a broadcast, oldest first. */
  events(id: string): { at: number; actor: string; action: string; detail: string }[] {
    return (this.#prepare(
      "SELECT at, actor_username, action, detail FROM broadcast_events WHERE broadcast_id = ? " +
        "ORDER BY id",
    ).all(id) as Row[]).map((r) => ({
      at: Number(r.at),
      actor: String(r.actor_username),
      action: String(r.action),
      detail: String(r.detail),
    }));
  }

  /** One broadcast. */
  get(id: string): BroadcastRecord | undefined {
    const row = this.#prepare(`SELECT ${BROADCAST_COLUMNS} FROM broadcasts b WHERE b.id = ?`)
      .get(id) as
        | Row
        | undefined;
    return row === undefined ? undefined : toBroadcast(row);
  }

  /**
   * One broadcast's deliveries, in the order the targets were resolved. The rows are read one
   * at a time: a broadcast to 10,000 people would otherwise hold every raw row and its record
   * at once.
   */
  deliveries(id: string): DeliveryRecord[] {
    return [...this.eachDelivery(id)];
  }

  /**
   * One broadcast's deliveries like {@link deliveries}, one record at a time: for a reader
   * that keeps a little of each (a channel id, a count), so 10,000 records are never alive
   * at once.
   */
  *eachDelivery(id: string): Generator<DeliveryRecord, void, undefined> {
    const rows = this.#prepare("SELECT * FROM deliveries WHERE broadcast_id = ? ORDER BY rowid")
      .iterate(id) as Iterable<Row>;
    for (const row of rows) yield toDelivery(row);
  }

  /** One recipient's delivery of a broadcast. */
  delivery(id: string, target: TargetRef): DeliveryRecord | undefined {
    const [where, key] = recipient(target);
    const row = this.#prepare(`SELECT * FROM deliveries WHERE ${where}`).get(id, key) as
      | Row
      | undefined;
    return row === undefined ? undefined : toDelivery(row);
  }

  /** The delivery whose post this is, with its broadcast's id (none for other posts). */
  deliveryOfPost(postId: string): { broadcastId: string; delivery: DeliveryRecord } | undefined {
    const row = this.#prepare(
      "SELECT * FROM deliveries WHERE post_id = ? AND status = 'delivered' LIMIT 1",
    ).get(postId) as Row | undefined;
    return row === undefined
      ? undefined
      : { broadcastId: String(row.broadcast_id), delivery: toDelivery(row) };
  }

  /** Broadcasts asking for acknowledgement created since `since`, oldest first. */
  askingForAcknowledgement(since: number): BroadcastRecord[] {
    return (this.#prepare(
      `SELECT ${BROADCAST_COLUMNS} FROM broadcasts b WHERE b.ack_requested = 1
       AND b.created_at >= ? ORDER BY b.created_at`,
    ).all(since) as Row[]).map(toBroadcast);
  }

  /** A sender's latest broadcasts, newest first. */
  recent(senderId: string, limit: number): BroadcastSummary[] {
    return (this.#prepare(
      `${SUMMARY} WHERE b.sender_id = ? ORDER BY b.created_at DESC, b.rowid DESC LIMIT ?`,
    ).all(senderId, limit) as Row[]).map((r) => ({
      ...toBroadcast(r),
      channels: Number(r.channels),
      people: Number(r.people),
      delivered: Number(r.delivered),
      failed: Number(r.failed),
      deleted: Number(r.deleted),
    }));
  }

  /** Broadcasts left pending by a process that stopped part-way. */
  unfinished(): BroadcastRecord[] {
    return (this.#prepare(
      `SELECT ${BROADCAST_COLUMNS} FROM broadcasts b WHERE b.status = 'pending' ORDER BY b.created_at`,
    ).all() as Row[]).map(toBroadcast);
  }
}
