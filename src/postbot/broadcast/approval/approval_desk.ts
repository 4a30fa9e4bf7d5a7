/**
 * One front for what approvers do, whatever they judge: a broadcast awaiting approval
 * (approvals.ts) or an edit of a sent one (edit_approvals.ts). Both are named by the
 * broadcast's id, so `approve <id>`, `reject <id> <reason>`, an Approve click and `!pending`
 * come here and go to the one that awaits; the expiry loop ends both kinds.
 *
 * @module
 */

import { code } from "../../format.ts";
import type { ActionTokens } from "../ack_token.ts";
import type { ScheduledStore } from "../scheduled/scheduled_broadcasts.ts";
import type { ScheduledBroadcast } from "../model.ts";
import type { Actor, Approvals, ApproveClick, Decision } from "./approvals.ts";
import type { EditApprovals } from "./edit_approvals.ts";
import type { EditRequest } from "./edit_requests.ts";

/** What the desk routes between. */
export interface ApprovalDeskDeps {
  readonly approvals: Pick<
    Approvals,
    "decide" | "pendingFor" | "click" | "expireLapsed" | "nextExpiry"
  >;
  readonly edits: Pick<
    EditApprovals,
    "requestFor" | "awaitingOf" | "decide" | "pendingFor" | "click" | "expireLapsed" | "nextExpiry"
  >;
  readonly scheduled: Pick<ScheduledStore, "get">;
  /** Approve buttons' tokens (with `ACTIONS_URL`); absent: every click is refused. */
  readonly tokens?: Pick<ActionTokens, "verifyApproval">;
}

/** Routes approvers' answers to the request they answer. */
export class ApprovalDesk {
  readonly #deps: ApprovalDeskDeps;

  constructor(deps: ApprovalDeskDeps) {
    this.#deps = deps;
  }

  /** The edit request of `id` that `userId` may decide on, unless the broadcast awaits. */
  async #editFor(id: string, userId: string): Promise<EditRequest | undefined> {
    if ((await this.#deps.scheduled.get(id))?.status === "awaiting_approval") return undefined;
    return await this.#deps.edits.requestFor(id, userId);
  }

  /** `approve <id>` / `reject <id> <reason>`: the reply. */
  async decide(actor: Actor, id: string, decision: Decision): Promise<string> {
    const edit = await this.#editFor(id, actor.id);
    if (edit !== undefined) return await this.#deps.edits.decide(actor, edit, decision);
    if ((await this.#deps.edits.awaitingOf(id))?.editorId === actor.id) {
      return decision.kind === "approve"
        ? `You cannot approve your own edit of broadcast ${code(id)}: another approver must.`
        : `The edit of broadcast ${code(id)} is your own: \`!cancel ${id}\` withdraws it.`;
    }
    return await this.#deps.approvals.decide(actor, id, decision);
  }

  /** The broadcasts awaiting `userId`'s approval. */
  pendingFor(userId: string): Promise<ScheduledBroadcast[]> {
    return this.#deps.approvals.pendingFor(userId);
  }

  /** The edits of sent broadcasts awaiting `userId`'s approval. */
  pendingEditsFor(userId: string): Promise<EditRequest[]> {
    return this.#deps.edits.pendingFor(userId);
  }

  /** An Approve click: checked against its token, then decided where it belongs. */
  async click(c: ApproveClick): Promise<{ forged: true } | { forged: false; text: string }> {
    const { broadcast, round, token } = c.context;
    const edit = await this.#editFor(broadcast, c.userId);
    if (edit === undefined) return await this.#deps.approvals.click(c);
    const tokens = this.#deps.tokens;
    if (
      tokens === undefined || !await tokens.verifyApproval(broadcast, c.userId, round, token)
    ) {
      return { forged: true };
    }
    const by = edit.requirements.flatMap((q) => q.approvers).find((a) => a.id === c.userId)!;
    return { forged: false, text: await this.#deps.edits.click(by, edit, round) };
  }

  /** Ends lapsed requests of both kinds. */
  async expireLapsed(): Promise<number> {
    return await this.#deps.edits.expireLapsed() + await this.#deps.approvals.expireLapsed();
  }

  /** When the next request of either kind lapses. */
  async nextExpiry(): Promise<number | undefined> {
    const next = [await this.#deps.approvals.nextExpiry(), await this.#deps.edits.nextExpiry()]
      .filter((t): t is number => t !== undefined);
    return next.length === 0 ? undefined : Math.min(...next);
  }
}
