/**
 * Edits of sent broadcasts awaiting approval, durable (the `edit_approvals` and
 * `edit_decisions` tables): `!edit` of a broadcast that went to an audience with approvers
 * keeps the new text here until enough approvers other than its editor and sender approve.
 * Every transition is a conditional UPDATE, so two approvers answering at once, or an
 * approval racing the expiry, settle a request once; a restart finds an approved request
 * whose posts were not all changed yet (`approved`, not `applied`) and finishes it.
 *
 * @module
 */

import type { Database, SqlValue } from "../../database/port.ts";
import type { ApprovalRequirement } from "../model.ts";
import { type ApprovalDecision, decisionFromRow } from "../scheduled/scheduled_broadcasts.ts";
import { earliest } from "../earliest.ts";
import { bytesColumns, fullText, type Row } from "../../storage/rows.ts";

/** Where an edit request stands. */
export type EditRequestStatus =
  | "awaiting_approval"
  | "approved"
  | "applied"
  | "rejected"
  | "expired"
  | "withdrawn";

/** An edit of a sent broadcast that needs approval, as stored. */
export interface EditRequest {
  readonly broadcastId: string;
  /** Continues the broadcast's approval rounds: a decision (or button) names its round. */
  readonly round: number;
  readonly editorId: string;
  readonly editorUsername: string;
  readonly oldMessage: string;
  readonly message: string;
  readonly requirements: readonly ApprovalRequirement[];
  readonly status: EditRequestStatus;
  /** When it was asked: the edit window is measured at this time. */
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** What is stored when an edit is submitted. */
export type NewEditRequest = Omit<EditRequest, "status" | "round">;

function toRequest(r: Row): EditRequest {
  return {
    broadcastId: String(r.broadcast_id),
    round: Number(r.round),
    editorId: String(r.editor_id),
    editorUsername: String(r.editor_username),
    oldMessage: fullText(r, "old_message"),
    message: fullText(r, "message"),
    requirements: JSON.parse(String(r.requirements_json)),
    status: r.status as EditRequestStatus,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  };
}

/** The edit_approvals and edit_decisions tables. */
export class EditRequestStore {
  readonly #db: Database;
  readonly #columns: string;

  constructor(db: Database) {
    this.#db = db;
    this.#columns = `e.*${bytesColumns(db.dialect, "e", ["message", "old_message"])}`;
  }

  /**
   * Stores a request in round `round` (above every earlier round of the broadcast); false
   * when another request of the broadcast awaits approval (withdraw it first).
   */
  async open(r: NewEditRequest, round: number): Promise<boolean> {
    try {
      await this.#db.run(
        `INSERT INTO edit_approvals (broadcast_id, round, editor_id, editor_username,
           old_message, message, requirements_json, status, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'awaiting_approval', ?, ?)`,
        [
          r.broadcastId,
          round,
          r.editorId,
          r.editorUsername,
          r.oldMessage,
          r.message,
          JSON.stringify(r.requirements),
          r.createdAt,
          r.expiresAt,
        ],
      );
      return true;
    } catch (e) {
      if (/UNIQUE|constraint/i.test(String(e))) return false;
      throw e;
    }
  }

  /** The highest round of the broadcast's edit requests, or -1. */
  async lastRound(broadcastId: string): Promise<number> {
    const [row] = await this.#db.query<{ last: number | null }>(
      "SELECT MAX(round) AS last FROM edit_approvals WHERE broadcast_id = ?",
      [broadcastId],
    );
    return row === undefined || row.last === null ? -1 : Number(row.last);
  }

  /** Rows of edit_approvals matching `where` (after `WHERE`), mapped. */
  async #select(where: string, params: readonly SqlValue[]): Promise<EditRequest[]> {
    const rows = await this.#db.query(
      `SELECT ${this.#columns} FROM edit_approvals e WHERE ${where}`,
      params,
    );
    return rows.map(toRequest);
  }

  /** The broadcast's latest edit request (awaiting or settled). */
  async latest(broadcastId: string): Promise<EditRequest | undefined> {
    return (await this.#select("e.broadcast_id = ? ORDER BY e.round DESC LIMIT 1", [
      broadcastId,
    ]))[0];
  }

  /** Requests in one state, oldest first (`awaiting_approval`, or `approved` to finish). */
  inState(status: "awaiting_approval" | "approved"): Promise<EditRequest[]> {
    return this.#select("e.status = ? ORDER BY e.created_at, e.round", [status]);
  }

  /** Awaiting requests whose time ran out. */
  lapsed(now: number): Promise<EditRequest[]> {
    return this.#select(
      "e.status = 'awaiting_approval' AND e.expires_at <= ? ORDER BY e.expires_at",
      [now],
    );
  }

  /** When the next awaiting request lapses. */
  nextExpiry(): Promise<number | undefined> {
    return earliest(this.#db, "edit_approvals", "expires_at", "status = 'awaiting_approval'");
  }

  /** Records a decision in a round; false when that approver decided in it already. */
  async decide(id: string, round: number, d: Omit<ApprovalDecision, "round">): Promise<boolean> {
    return await this.#db.run(
      `INSERT INTO edit_decisions (broadcast_id, round, approver_id, approver_username,
         decision, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [id, round, d.approverId, d.approverUsername, d.decision, d.reason, d.at],
    ) === 1;
  }

  /** The decisions of one round, in the order given (at the same moment: by approver). */
  async decisions(id: string, round: number): Promise<ApprovalDecision[]> {
    const rows = await this.#db.query(
      `SELECT * FROM edit_decisions WHERE broadcast_id = ? AND round = ?
       ORDER BY at, approver_id`,
      [id, round],
    );
    return rows.map(decisionFromRow);
  }

  /**
   * Moves a request of round `round` from `from` to `to`. Exactly one caller wins: false
   * when it was not in `from` any more.
   */
  async move(
    id: string,
    round: number,
    from: EditRequestStatus,
    to: EditRequestStatus,
  ): Promise<boolean> {
    return await this.#db.run(
      `UPDATE edit_approvals SET status = ? WHERE broadcast_id = ? AND round = ?
       AND status = ?`,
      [to, id, round, from],
    ) === 1;
  }
}
