/**
 * Four eyes on an edit: `!edit` of a SENT broadcast whose audience has approvers (now, in
 * channels.toml) does not change the posts at once. The new text waits (edit_requests.ts)
 * while the approvers -- never the broadcast's sender nor the editor -- read what it was and
 * what it would become, and answer `approve <id>` / `reject <id> <reason>` as for a new
 * broadcast. The last needed approval changes the posts (the Editor's patching, the edit
 * window measured when the edit was asked); a rejection, an expiry or a withdrawal leaves
 * them as they are, and the editor is told. `!undo` needs no approval.
 *
 * @module
 */

import { fail, logger, ok, type Problem, type Result } from "@postbot/framework";
import type { BroadcastAudit } from "../audit.ts";
import { auditRecipients } from "../audit.ts";
import { code, plural, quote } from "../../format.ts";
import type { Notifier } from "../../notifier.ts";
import type { ApprovalNeed } from "../../targets/audiences.ts";
import type { TeamPerson } from "../../targets/resolution.ts";
import type { ActionTokens } from "../ack_token.ts";
import type { ScheduledStore } from "../scheduled/scheduled_broadcasts.ts";
import type { Approver, BroadcastRecord, DeliveryRecord } from "../model.ts";
import { channelsOf, peopleOf, recipientsText } from "../model.ts";
import { reasonText, requirementsText, verbatim } from "./approval_text.ts";
import {
  type Actor,
  approved,
  askApprovers,
  type Decision,
  MAX_REASON_LENGTH,
  resolveRequirements,
} from "./approvals.ts";
import { approversOf, tellApprovers } from "./approvers.ts";
import type { EditRequest, EditRequestStore } from "./edit_requests.ts";
import { APPROXIMATE, describeDuration } from "@postbot/framework/duration";

const log = logger("approval");

/** What edit approvals work with. */
export interface EditApprovalsDeps {
  readonly store: EditRequestStore;
  /** The broadcast's own approval rounds: an edit's rounds continue after them. */
  readonly scheduled: Pick<ScheduledStore, "get">;
  /** The broadcast as logged (its sender). */
  readonly record: (id: string) => Promise<BroadcastRecord | undefined>;
  /** What approval a send to this answer needs now. */
  readonly needs: (answer: string) => readonly ApprovalNeed[];
  readonly teamPeople: () => Promise<ReadonlyMap<string, TeamPerson>>;
  /** Changes the posts after the last approval (the Editor); the report for the editor. */
  readonly apply: (id: string, text: string, editor: Actor, askedAt: number) => Promise<string>;
  readonly notifier: Pick<Notifier, "dm" | "dmWithProps">;
  readonly audit: Pick<BroadcastAudit, "post">;
  readonly buttons?: {
    readonly url: string;
    readonly tokens: Pick<ActionTokens, "signApproval" | "verifyApproval">;
  };
  readonly ttlMs: number;
  readonly onOpened?: () => void;
  readonly now?: () => number;
}

/** An edit to submit: the broadcast, its posts now, the new text and who asks. */
export interface EditSubmission {
  readonly record: BroadcastRecord;
  readonly posts: readonly DeliveryRecord[];
  readonly text: string;
  readonly editor: Actor;
}

/** Edits of sent broadcasts that wait for approval. */
export class EditApprovals {
  readonly #deps: EditApprovalsDeps;
  readonly #now: () => number;

  constructor(deps: EditApprovalsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Whether an edit of a broadcast sent to `answer` needs approval. */
  needsApproval(answer: string): boolean {
    return this.#deps.needs(answer).length > 0;
  }

  /**
   * Stores the edit awaiting approval (withdrawing an earlier one still awaiting, its
   * approvers told) and sends each approver the request: the answer for the editor.
   */
  async submit(e: EditSubmission): Promise<Result<string, Problem>> {
    const { record, text, editor } = e;
    const reqs = resolveRequirements(
      this.#deps.needs(record.targetAnswer),
      await this.#deps.teamPeople(),
      record.senderId,
      [editor.id],
    );
    if (!reqs.ok) {
      return fail(reqs.error.message.replace("nothing was sent", "nothing was changed"));
    }
    const earlier = await this.#awaiting(record.id);
    if (earlier !== undefined) await this.withdraw(earlier, editor, "a newer edit replaced it");
    const now = this.#now();
    const round = 1 + Math.max(
      await this.#deps.store.lastRound(record.id),
      (await this.#deps.scheduled.get(record.id))?.approval?.round ?? -1,
    );
    const request = {
      broadcastId: record.id,
      editorId: editor.id,
      editorUsername: editor.username,
      oldMessage: record.message,
      message: text,
      requirements: reqs.value,
      createdAt: now,
      expiresAt: now + this.#deps.ttlMs,
    };
    if (!await this.#deps.store.open(request, round)) {
      return fail(`Another edit of broadcast ${code(record.id)} awaits approval; try again.`);
    }
    this.#deps.onOpened?.();
    const stored: EditRequest = { ...request, round, status: "awaiting_approval" };
    log.info("{user} asked for approval of an edit of {id}", {
      user: editor.username,
      id: record.id,
    });
    await this.#request(stored, editRequestText(stored, record, e.posts, this.#deps.ttlMs));
    await this.#deps.audit.post({
      action: "Edit awaiting approval",
      id: record.id,
      actor: editor.username,
      sender: record.senderUsername,
      at: now,
      detail: `needs ${plural(reqs.value.reduce((n, q) => n + q.approvals, 0), "approval")}`,
      ...auditRecipients(e.posts),
      edit: { before: record.message, after: text },
    });
    return ok(
      `The edit of broadcast ${code(record.id)} awaits approval: ` +
        `${requirementsText(reqs.value)}. I sent them the old and the new text; the posts ` +
        `keep the old one until the edit is approved, and I'll tell you each decision. ` +
        `\`!cancel ${record.id}\` withdraws the edit.`,
    );
  }

  /** The request of broadcast `id` awaiting approval, if any. */
  async #awaiting(id: string): Promise<EditRequest | undefined> {
    const r = await this.#deps.store.latest(id);
    return r?.status === "awaiting_approval" ? r : undefined;
  }

  /** The latest edit request of `id` that `userId` may decide on, if any. */
  async requestFor(id: string, userId: string): Promise<EditRequest | undefined> {
    const r = await this.#deps.store.latest(id);
    return r !== undefined && approversOf(r).some((a) => a.id === userId) ? r : undefined;
  }

  /** The edits awaiting `userId`'s decision. */
  async pendingFor(userId: string): Promise<EditRequest[]> {
    const mine = (await this.#deps.store.inState("awaiting_approval")).filter((r) =>
      approversOf(r).some((a) => a.id === userId)
    );
    const out: EditRequest[] = [];
    for (const r of mine) {
      const decided = await this.#deps.store.decisions(r.broadcastId, r.round);
      if (!decided.some((d) => d.approverId === userId)) out.push(r);
    }
    return out;
  }

  /** An approver's answer on the edit request `r` (see {@link requestFor}): the reply. */
  async decide(actor: Actor, r: EditRequest, decision: Decision): Promise<string> {
    const id = r.broadcastId;
    if (r.status !== "awaiting_approval") return settledText(r);
    if (decision.kind === "reject" && decision.reason.trim() === "") {
      return `Please give a reason: \`reject ${id} <reason>\`; @${r.editorUsername} reads it.`;
    }
    if (decision.kind === "reject" && decision.reason.length > MAX_REASON_LENGTH) {
      return `That reason is ${decision.reason.length} characters long; I accept up to ` +
        `${MAX_REASON_LENGTH}.`;
    }
    const recorded = await this.#deps.store.decide(id, r.round, {
      approverId: actor.id,
      approverUsername: actor.username,
      decision: decision.kind === "approve" ? "approved" : "rejected",
      reason: decision.kind === "reject" ? decision.reason.trim() : "",
      at: this.#now(),
    });
    if (!recorded) return `You have decided on the edit of broadcast ${code(id)} already.`;
    return decision.kind === "reject"
      ? await this.#rejected(r, actor, decision.reason.trim())
      : await this.#approved(r, actor);
  }

  async #rejected(r: EditRequest, actor: Actor, reason: string): Promise<string> {
    const id = r.broadcastId;
    if (!await this.#deps.store.move(id, r.round, "awaiting_approval", "rejected")) {
      return settledText(await this.#deps.store.latest(id) ?? r);
    }
    log.info("{user} rejected the edit of {id}", { user: actor.username, id });
    await this.#tellEditor(
      r,
      `:no_entry: @${actor.username} **rejected** the edit of broadcast ${code(id)}; its ` +
        `posts keep the old text. Their reason:\n> ${reasonText(reason)}`,
    );
    await this.#tell(
      approversOf(r).filter((a) => a.id !== actor.id),
      `@${actor.username} rejected the edit of broadcast ${code(id)}; nothing more to decide.`,
    );
    await this.#audit(r, actor.username, "Rejected edit", "the posts keep the old text");
    return `Rejected the edit of broadcast ${code(id)}; @${r.editorUsername} is told why.`;
  }

  async #approved(r: EditRequest, actor: Actor): Promise<string> {
    const id = r.broadcastId;
    const decisions = await this.#deps.store.decisions(id, r.round);
    if (!approved(r.requirements, decisions)) {
      const given = decisions.filter((d) => d.decision === "approved").length;
      const needed = r.requirements.reduce((n, q) => n + q.approvals, 0);
      await this.#tellEditor(
        r,
        `@${actor.username} approved the edit of broadcast ${code(id)} (${given} of ` +
          `${needed}); it waits for the other approvals.`,
      );
      await this.#audit(r, actor.username, "Approved edit", `${given} of ${needed} approvals`);
      return `Approved the edit of broadcast ${code(id)} (${given} of ${needed}); it waits ` +
        "for more.";
    }
    // Exactly one approval ends it: a second one at the same moment finds it settled.
    if (!await this.#deps.store.move(id, r.round, "awaiting_approval", "approved")) {
      return settledText(await this.#deps.store.latest(id) ?? r);
    }
    const by = decisions.filter((d) => d.decision === "approved")
      .map((d) => `@${d.approverUsername}`).join(", ");
    log.info("The edit of {id} was approved by {by}", { id, by });
    await this.#tell(
      approversOf(r).filter((a) => !decisions.some((d) => d.approverId === a.id)),
      `The edit of broadcast ${code(id)} was approved by ${by}; nothing more to decide.`,
    );
    await this.#audit(r, actor.username, "Approved edit", `approved by ${by}, posts change`);
    const report = await this.#finish(r);
    await this.#tellEditor(
      r,
      `:white_check_mark: The edit of broadcast ${code(id)} was **approved** by ${by}.\n` +
        report,
    );
    return `Approved the edit of broadcast ${code(id)}: that was the last approval needed; ` +
      "its posts are changed.";
  }

  /** Changes the posts of an approved request and marks it applied; the Editor's report. */
  async #finish(r: EditRequest): Promise<string> {
    const report = await this.#deps.apply(
      r.broadcastId,
      r.message,
      { id: r.editorId, username: r.editorUsername },
      r.createdAt,
    );
    await this.#deps.store.move(r.broadcastId, r.round, "approved", "applied");
    return report;
  }

  /** After a restart: approved edits whose posts were not all changed yet are finished. */
  async resume(): Promise<number> {
    const open = await this.#deps.store.inState("approved");
    for (const r of open) {
      log.info("Finishing the approved edit of {id}", { id: r.broadcastId });
      await this.#tellEditor(r, await this.#finish(r));
    }
    return open.length;
  }

  /**
   * Withdraws the edit awaiting approval of broadcast `id` (`!cancel`, or a newer edit):
   * its approvers are told there is nothing to decide. False when none awaits.
   */
  async withdraw(r: EditRequest, by: Actor, why: string): Promise<boolean> {
    if (!await this.#deps.store.move(r.broadcastId, r.round, "awaiting_approval", "withdrawn")) {
      return false;
    }
    await this.#tell(
      approversOf(r),
      `@${by.username} withdrew the edit of broadcast ${code(r.broadcastId)} you were asked ` +
        `to approve (${why}); nothing to decide.`,
    );
    await this.#audit(r, by.username, "Withdrawn edit", "the posts keep their text");
    return true;
  }

  /** The edit awaiting approval of broadcast `id`, for `!cancel`. */
  awaitingOf(id: string): Promise<EditRequest | undefined> {
    return this.#awaiting(id);
  }

  /** Ends requests whose time ran out; each once, telling the editor and the approvers. */
  async expireLapsed(): Promise<number> {
    let n = 0;
    for (const r of (await this.#deps.store.lapsed(this.#now()))) {
      if (!await this.#deps.store.move(r.broadcastId, r.round, "awaiting_approval", "expired")) {
        continue;
      }
      n++;
      const id = r.broadcastId;
      log.info("The approval of the edit of {id} expired", { id });
      await this.#tellEditor(
        r,
        `:hourglass: The edit of broadcast ${code(id)} was not approved in time; its posts ` +
          "keep the old text.",
      );
      await this.#tell(
        approversOf(r),
        `The request to approve the edit of broadcast ${code(id)} expired; nothing more to ` +
          "decide.",
      );
      await this.#audit(r, r.editorUsername, "Edit approval expired", "posts unchanged");
    }
    return n;
  }

  /** When the next request lapses. */
  nextExpiry(): Promise<number | undefined> {
    return this.#deps.store.nextExpiry();
  }

  /** A verified Approve click for round `round` of `r`'s broadcast: the clicker's answer. */
  async click(actor: Actor, r: EditRequest, round: number): Promise<string> {
    if (r.status === "awaiting_approval" && r.round !== round) {
      return `The edit of broadcast ${code(r.broadcastId)} was changed since this request; ` +
        "judge the new one.";
    }
    return await this.decide(actor, r, { kind: "approve" });
  }

  #request(r: EditRequest, text: string): Promise<void> {
    return askApprovers(this.#deps, { id: r.broadcastId, round: r.round }, approversOf(r), text);
  }

  /** Tells the editor, and the sender when someone else edited. */
  async #tellEditor(r: EditRequest, text: string): Promise<void> {
    const sender = (await this.#deps.record(r.broadcastId))?.senderId;
    const to = sender !== undefined && sender !== r.editorId ? [r.editorId, sender] : [r.editorId];
    for (const id of to) {
      await this.#deps.notifier.dm(id, text).catch((e) =>
        log.warn("Could not tell {user} about an edit: {error}", { user: id, error: e })
      );
    }
  }

  #tell(list: readonly Approver[], text: string): Promise<void> {
    return tellApprovers(this.#deps.notifier, list, text);
  }

  async #audit(r: EditRequest, actor: string, action: string, detail: string): Promise<void> {
    const sender = (await this.#deps.record(r.broadcastId))?.senderUsername;
    await this.#deps.audit.post({
      action,
      id: r.broadcastId,
      actor,
      ...(sender === undefined ? {} : { sender }),
      at: this.#now(),
      detail,
      channels: undefined,
    });
  }
}

/** The request an approver reads: who asks, where it went, the text as it was and would be. */
function editRequestText(
  r: EditRequest,
  record: BroadcastRecord,
  posts: readonly DeliveryRecord[],
  ttlMs: number,
): string {
  const channels = channelsOf(posts).map((c) => `~${c.name}`);
  return [
    `:raised_hand: **@${r.editorUsername} asks for approval of an edit** of broadcast ` +
    `${code(r.broadcastId)} by @${record.senderUsername}, sent already: its posts change ` +
    "only once approved.",
    `- Needs: ${requirementsText(r.requirements)}; never the sender's or the editor's own.`,
    `- In: ${quote(record.targetAnswer, 200)} \u2014 ${
      recipientsText(channels.length, peopleOf(posts).length)
    }` + (channels.length > 0 ? ` (${channels.slice(0, 50).join(", ")})` : ""),
    "**Was:**",
    record.message.trim() === "" ? "_(no text)_" : verbatim(record.message),
    "**Now:**",
    verbatim(r.message),
    `Answer \`approve ${r.broadcastId}\` or \`reject ${r.broadcastId} <reason>\`. The request ` +
    `lapses in ${describeDuration(ttlMs, APPROXIMATE)} if not decided.`,
  ].join("\n");
}

/** Why a decision on an edit comes too late: the request's state in words. */
function settledText(r: EditRequest): string {
  const id = code(r.broadcastId);
  switch (r.status) {
    case "awaiting_approval":
      return `The edit of broadcast ${id} still awaits approval.`;
    case "approved":
    case "applied":
      return `The edit of broadcast ${id} was approved already; nothing more to decide.`;
    case "rejected":
      return `The edit of broadcast ${id} was rejected already; its posts keep the old text.`;
    case "expired":
      return `The request to approve the edit of broadcast ${id} expired; nothing to decide.`;
    case "withdrawn":
      return `The edit of broadcast ${id} was withdrawn; nothing to decide.`;
  }
}
