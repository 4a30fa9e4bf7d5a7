/**
 * Scheduled broadcasts, durable: the row in the database (who, when, to what answer, the message,
 * the file list) and the files themselves as they were at confirmation, in a directory of
 * their own under `SCHEDULED_FILES_DIR`. A scheduled broadcast keeps its id when it goes out,
 * so `!undo`, `!retry`, `!edit` and `!status` name it the same before and after.
 *
 * @module
 */

import type { FileBytes } from "@postbot/framework";
import { DirectoryFiles, type ScheduledFiles } from "./scheduled_files.ts";
import type { Database, SqlValue } from "../../database/port.ts";
import { type FenceSource, SOLE_INSTANCE } from "../../database/fencing.ts";
import type { NewScheduled, ScheduledBroadcast, ScheduledStatus } from "../model.ts";
import { NO_OPTIONS, optionsFromColumns } from "../options.ts";
import { earliest } from "../earliest.ts";
import {
  bytesColumns,
  fullText,
  numberOrNull,
  type Row,
  senderColumns,
  textOrNull,
} from "../../storage/rows.ts";

function toScheduled(r: Row): ScheduledBroadcast {
  return {
    ...senderColumns(r),
    dueAt: Number(r.due_at),
    zone: String(r.zone),
    targetAnswer: String(r.target_answer),
    channels: Number(r.channels),
    // Read as bytes: the message goes out verbatim.
    message: fullText(r, "message"),
    files: JSON.parse(String(r.files_json)),
    sourcePostId: textOrNull(r.source_post_id),
    status: r.status as ScheduledStatus,
    startedAt: numberOrNull(r.started_at),
    error: textOrNull(r.error),
    options: optionsFromColumns(r),
    ...(r.approval_json === null || r.approval_json === undefined ? {} : {
      approval: {
        requirements: JSON.parse(String(r.approval_json)),
        round: Number(r.approval_round),
        expiresAt: Number(r.expires_at),
        immediate: Number(r.immediate) === 1,
      },
    }),
  };
}

/** An approver's decision on a broadcast, as stored. */
export interface ApprovalDecision {
  readonly approverId: string;
  readonly approverUsername: string;
  readonly decision: "approved" | "rejected";
  readonly reason: string;
  readonly at: number;
  readonly round: number;
}

/** A row of approval_decisions or edit_decisions, read back (one shape, two tables). */
export function decisionFromRow(r: Row): ApprovalDecision {
  return {
    approverId: String(r.approver_id),
    approverUsername: String(r.approver_username),
    decision: r.decision as ApprovalDecision["decision"],
    reason: String(r.reason),
    at: Number(r.at),
    round: Number(r.round),
  };
}

/** The scheduled_broadcasts table and the files directory. */
export class ScheduledStore {
  readonly #db: Database;
  readonly #files: ScheduledFiles;
  readonly #now: () => number;
  readonly #fence: FenceSource;
  readonly #columns: string;

  constructor(
    db: Database,
    files: string | ScheduledFiles,
    now: () => number = Date.now,
    fence: FenceSource = SOLE_INSTANCE,
  ) {
    this.#db = db;
    this.#files = typeof files === "string" ? new DirectoryFiles(files) : files;
    this.#now = now;
    this.#fence = fence;
    this.#columns = `s.*${bytesColumns(db.dialect, "s", ["message"])}`;
  }

  /**
   * Writes the files first (each durable), then the row: a crash in between leaves stray
   * files, never a row whose files are missing.
   */
  async add(s: NewScheduled, contents: readonly FileBytes[]): Promise<void> {
    await this.#files.write(s.id, contents);
    const options = s.options ?? NO_OPTIONS;
    await this.#db.run(
      `INSERT INTO scheduled_broadcasts (id, sender_id, sender_username, created_at, due_at, zone,
         target_answer, channels, message, files_json, source_post_id, status, ack_requested,
         priority, remind_after_ms, immediate, approval_json, expires_at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM scheduled_broadcasts))`,
      [
        s.id,
        s.senderId,
        s.senderUsername,
        this.#now(),
        s.dueAt,
        s.zone,
        s.targetAnswer,
        s.channels,
        s.message,
        JSON.stringify(s.files),
        s.sourcePostId,
        s.approval === undefined ? "scheduled" : "awaiting_approval",
        options.ack ? 1 : 0,
        options.priority,
        options.remindAfterMs,
        s.approval?.immediate ? 1 : 0,
        s.approval === undefined ? null : JSON.stringify(s.approval.requirements),
        s.approval?.expiresAt ?? null,
      ],
    );
  }

  /** The files of a scheduled broadcast, as stored at confirmation. */
  readFiles(s: ScheduledBroadcast): Promise<FileBytes[]> {
    return this.#files.read(s.id, s.files.length);
  }

  /** Removes the files of a broadcast that was sent or cancelled. */
  removeFiles(id: string): Promise<void> {
    return this.#files.remove(id);
  }

  /** Rows of the table matching `where` (after `WHERE`), mapped. */
  async #select(where: string, params: readonly SqlValue[] = []): Promise<ScheduledBroadcast[]> {
    const rows = await this.#db.query(
      `SELECT ${this.#columns} FROM scheduled_broadcasts s WHERE ${where}`,
      params,
    );
    return rows.map(toScheduled);
  }

  /** One scheduled broadcast. */
  async get(id: string): Promise<ScheduledBroadcast | undefined> {
    return (await this.#select("s.id = ?", [id]))[0];
  }

  /** Pending ones (scheduled or awaiting approval), soonest first: of one sender, or all. */
  pending(senderId?: string): Promise<ScheduledBroadcast[]> {
    return senderId === undefined
      ? this.#select(
        "s.status IN ('scheduled', 'awaiting_approval') ORDER BY s.due_at, s.seq",
      )
      : this.#select(
        `s.status IN ('scheduled', 'awaiting_approval') AND s.sender_id = ?
         ORDER BY s.due_at, s.seq`,
        [senderId],
      );
  }

  /** A sender's scheduled broadcasts that did not go out (pending, failed), newest first. */
  unsent(senderId: string, limit: number): Promise<ScheduledBroadcast[]> {
    return this.#select(
      `s.sender_id = ? AND s.status IN ('scheduled', 'awaiting_approval', 'failed')
       ORDER BY s.due_at DESC, s.seq DESC LIMIT ?`,
      [senderId, limit],
    );
  }

  /** Pending ones whose time has come, soonest first. */
  due(now: number): Promise<ScheduledBroadcast[]> {
    return this.#select(
      "s.status = 'scheduled' AND s.due_at <= ? ORDER BY s.due_at, s.seq",
      [now],
    );
  }

  /** The next due time, if any is pending. */
  nextDue(): Promise<number | undefined> {
    return earliest(this.#db, "scheduled_broadcasts", "due_at", "status = 'scheduled'");
  }

  /**
   * Takes a pending broadcast for sending; false when it is no longer pending (cancelled, or
   * taken already) or this instance may not act any more (fenced). Exactly one caller wins,
   * so it never goes out twice.
   */
  async claim(id: string): Promise<boolean> {
    return await this.#db.run(
      `UPDATE scheduled_broadcasts SET status = 'sent', started_at = ?
       WHERE id = ? AND status = 'scheduled' AND ${this.#fence()}`,
      [this.#now(), id],
    ) === 1;
  }

  /** Cancels (withdraws) a pending broadcast; false when it was not pending any more. */
  async cancel(id: string): Promise<boolean> {
    return await this.#db.run(
      `UPDATE scheduled_broadcasts SET status = 'cancelled'
       WHERE id = ? AND status IN ('scheduled', 'awaiting_approval')`,
      [id],
    ) === 1;
  }

  /** Every broadcast awaiting approval, oldest first. */
  awaiting(): Promise<ScheduledBroadcast[]> {
    return this.#select("s.status = 'awaiting_approval' ORDER BY s.created_at, s.seq");
  }

  /** Awaiting ones whose approval time has run out. */
  lapsed(now: number): Promise<ScheduledBroadcast[]> {
    return this.#select(
      "s.status = 'awaiting_approval' AND s.expires_at <= ? ORDER BY s.expires_at, s.seq",
      [now],
    );
  }

  /** When the next approval request lapses, if one is awaiting. */
  nextExpiry(): Promise<number | undefined> {
    return earliest(this.#db, "scheduled_broadcasts", "expires_at", "status = 'awaiting_approval'");
  }

  /**
   * Records an approver's decision in the current round; false when they decided in this
   * round already (the first decision stands).
   */
  async decide(id: string, round: number, d: Omit<ApprovalDecision, "round">): Promise<boolean> {
    return await this.#db.run(
      `INSERT INTO approval_decisions (broadcast_id, round, approver_id, approver_username,
         decision, reason, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?,
         (SELECT COALESCE(MAX(seq), 0) + 1 FROM approval_decisions))
       ON CONFLICT DO NOTHING`,
      [id, round, d.approverId, d.approverUsername, d.decision, d.reason, d.at],
    ) === 1;
  }

  /** The decisions on a broadcast (of one round, or all), in the order given. */
  async decisions(id: string, round?: number): Promise<ApprovalDecision[]> {
    const rows = round === undefined
      ? await this.#db.query(
        "SELECT * FROM approval_decisions WHERE broadcast_id = ? ORDER BY at, seq",
        [id],
      )
      : await this.#db.query(
        `SELECT * FROM approval_decisions WHERE broadcast_id = ? AND round = ?
         ORDER BY at, seq`,
        [id, round],
      );
    return rows.map(decisionFromRow);
  }

  /**
   * Ends the approval of round `round` as approved (it is scheduled: for now when
   * immediate), rejected or expired. Exactly one caller wins: false when it was no longer
   * awaiting in that round (decided, withdrawn, edited meanwhile).
   */
  async settleApproval(
    id: string,
    round: number,
    outcome: "scheduled" | "rejected" | "expired",
  ): Promise<boolean> {
    return await this.#db.run(
      `UPDATE scheduled_broadcasts SET status = ?,
         due_at = CASE WHEN ? = 'scheduled' AND immediate = 1 THEN ? ELSE due_at END
       WHERE id = ? AND status = 'awaiting_approval' AND approval_round = ?`,
      [outcome, outcome, this.#now(), id, round],
    ) === 1;
  }

  /**
   * Changes the text of a broadcast awaiting approval and starts a new round (earlier
   * approvals lapse) lasting until `expiresAt`; false when it is not awaiting any more.
   */
  async restartApproval(id: string, message: string, expiresAt: number): Promise<boolean> {
    return await this.#db.run(
      `UPDATE scheduled_broadcasts SET message = ?, approval_round = approval_round + 1,
         expires_at = ? WHERE id = ? AND status = 'awaiting_approval'`,
      [message, expiresAt, id],
    ) === 1;
  }

  /** Records that a claimed broadcast could not go out at all. */
  async fail(id: string, reason: string): Promise<void> {
    await this.#db.run(
      "UPDATE scheduled_broadcasts SET status = 'failed', error = ? WHERE id = ?",
      [reason, id],
    );
  }

  /** Changes the text of a pending broadcast (`!edit`); false when it is not pending. */
  async updateMessage(id: string, message: string): Promise<boolean> {
    return await this.#db.run(
      "UPDATE scheduled_broadcasts SET message = ? WHERE id = ? AND status = 'scheduled'",
      [message, id],
    ) === 1;
  }

  /**
   * After a crash (or a takeover): a broadcast claimed ("sent") whose broadcast log entry was
   * never written did not start; it goes back to pending. Returns how many.
   */
  reconcile(): Promise<number> {
    return this.#db.run(
      `UPDATE scheduled_broadcasts SET status = 'scheduled', started_at = NULL
       WHERE status = 'sent' AND id NOT IN (SELECT id FROM broadcasts)`,
    );
  }
}
