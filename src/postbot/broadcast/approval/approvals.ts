/**
 * Four eyes before a broadcast goes out: a broadcast that reaches a group, list or
 * `everyone` with `approvers` (channels.toml) waits, stored like a scheduled broadcast, in
 * the state `awaiting_approval` until enough approvers other than its sender approve it
 * (then the due loop sends it, now or at its time), one rejects it, its sender withdraws it
 * (`!cancel`) or the request lapses (approval_expiry.ts).
 *
 * Every transition is a conditional UPDATE in the database (`ScheduledStore.settleApproval`):
 * two approvers answering at the same moment, or an approval racing the expiry, end it
 * once; a restart loses nothing, since the state, the decisions and the files are on disk.
 * An edit of the awaiting text starts a new round: earlier approvals no longer count.
 *
 * @module
 */

import { fail, logger, ok, parseUserRef, type Problem, type Result } from "@postbot/framework";
import type { BroadcastAudit } from "../audit.ts";
import { auditRecipients } from "../audit.ts";
import { code, plural } from "../../format.ts";
import type { Notifier } from "../../notifier.ts";
import type { ApprovalNeed } from "../../targets/audiences.ts";
import type { TeamPerson } from "../../targets/resolution.ts";
import type { LaterRequest, SendLater } from "../scheduled/send_later.ts";
import type { ApprovalDecision, ScheduledStore } from "../scheduled/scheduled_broadcasts.ts";
import type { Scheduler } from "../scheduled/scheduler.ts";
import type { ApprovalRequirement, ApprovalState, Approver, ScheduledBroadcast } from "../model.ts";
import { reasonText, requestText, requirementsText, whenText } from "./approval_text.ts";
import type { ActionTokens } from "../ack_token.ts";
import { approversOf, tellApprovers } from "./approvers.ts";

/** The id of the Approve button in a request's attachment. */
export const APPROVE_ACTION_ID = "postbotapprove";

/** The path on HEALTH_PORT that Approve clicks come to. */
export const APPROVE_ACTION_PATH = "/actions/approve";

/** A click on an Approve button, as the server sends it (shape checked by the caller). */
export interface ApproveClick {
  readonly userId: string;
  readonly context: {
    readonly broadcast: string;
    readonly round: number;
    readonly token: string;
  };
}

const log = logger("approval");

/** Longest reason accepted with a rejection, in characters. */
export const MAX_REASON_LENGTH = 2_000;

/** What the approvals work with. */
export interface ApprovalsDeps {
  readonly store: ScheduledStore;
  readonly later: Pick<SendLater, "keep">;
  readonly scheduler: Pick<Scheduler, "wake">;
  readonly notifier: Pick<Notifier, "dm" | "dmWithProps">;
  readonly audit: Pick<BroadcastAudit, "post">;
  /** Approve buttons (with `ACTIONS_URL`): where clicks go, and their tokens; absent: none. */
  readonly buttons?: {
    readonly url: string;
    readonly tokens: Pick<ActionTokens, "signApproval" | "verifyApproval">;
  };
  /** The team's active people now, by id (approvers are resolved against it). */
  readonly teamPeople: () => Promise<ReadonlyMap<string, TeamPerson>>;
  /** How long a request stays open. */
  readonly ttlMs: number;
  /** Wakes the expiry loop when a request was opened. */
  readonly onOpened?: () => void;
  readonly now?: () => number;
}

/** A broadcast submitted for approval: what is scheduled, and whether it goes out at once. */
export interface ApprovalRequest extends LaterRequest {
  readonly needs: readonly ApprovalNeed[];
  /** The sender said yes (not a time): it goes out as soon as it is approved. */
  readonly immediate: boolean;
}

/** An approver's answer. */
export type Decision =
  | { readonly kind: "approve" }
  | { readonly kind: "reject"; readonly reason: string };

/** Who acts: an approver (or anyone typing `approve`). */
export interface Actor {
  readonly id: string;
  readonly username: string;
}

/** Resolves each need's approvers to people of the team, the sender left out. */
export function resolveRequirements(
  needs: readonly ApprovalNeed[],
  team: ReadonlyMap<string, TeamPerson>,
  senderId: string,
  /** Others who may not approve either (the editor of someone else's broadcast). */
  alsoExcluded: readonly string[] = [],
): Result<ApprovalRequirement[], Problem> {
  const byName = new Map([...team.values()].map((p) => [p.username.toLowerCase(), p]));
  const out: ApprovalRequirement[] = [];
  for (const need of needs) {
    const approvers: Approver[] = [];
    const unknown: string[] = [];
    for (const entry of need.approvers) {
      const ref = parseUserRef(entry);
      const person = !ref.ok
        ? undefined
        : ref.value.kind === "id"
        ? team.get(ref.value.id)
        : byName.get(ref.value.username);
      if (person === undefined || person.isBot) unknown.push(entry);
      else if (person.id !== senderId && !alsoExcluded.includes(person.id)) {
        approvers.push({ id: person.id, username: person.username });
      }
    }
    if (approvers.length < need.approvals) {
      const gone = unknown.length > 0
        ? ` (${unknown.map((u) => code(u, 40)).join(", ")} ${
          unknown.length === 1 ? "is" : "are"
        } not an active person of the team)`
        : "";
      return fail(
        `A send to ${need.audience} needs ${plural(need.approvals, "approval")} by its ` +
          `approvers other than you, and only ${approvers.length} can give it${gone}. You ` +
          "cannot approve your own broadcast: nothing was sent. Ask an administrator to " +
          "name more approvers in channels.toml, or leave that audience out.",
      );
    }
    out.push({ audience: need.audience, approvers, approvals: need.approvals });
  }
  return ok(out);
}

/** Whether the approvals given meet every requirement. */
export function approved(
  reqs: readonly ApprovalRequirement[],
  decisions: readonly ApprovalDecision[],
): boolean {
  const yes = new Set(decisions.filter((d) => d.decision === "approved").map((d) => d.approverId));
  return reqs.every((r) => r.approvers.filter((a) => yes.has(a.id)).length >= r.approvals);
}

/** The broadcasts awaiting `userId`'s decision in their current round. */
async function awaitingDecisionOf(
  store: ScheduledStore,
  userId: string,
): Promise<ScheduledBroadcast[]> {
  const mine = (await store.awaiting()).filter((s) =>
    s.approval !== undefined && approvers(s.approval).some((a) => a.id === userId)
  );
  const out: ScheduledBroadcast[] = [];
  for (const s of mine) {
    const decided = await store.decisions(s.id, s.approval!.round);
    if (!decided.some((d) => d.approverId === userId)) out.push(s);
  }
  return out;
}

/** Submits, decides and settles approvals. */
export class Approvals {
  readonly #deps: ApprovalsDeps;
  readonly #now: () => number;

  constructor(deps: ApprovalsDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** How long a request stays open. */
  get ttlMs(): number {
    return this.#deps.ttlMs;
  }

  /**
   * Stores the broadcast awaiting approval and sends each approver the request: the text for
   * the sender, or why nothing was stored (no approver besides the sender, a file lost).
   */
  async submit(r: ApprovalRequest): Promise<Result<string, Problem>> {
    const reqs = resolveRequirements(r.needs, await this.#deps.teamPeople(), r.sender.id);
    if (!reqs.ok) return reqs;
    const now = this.#now();
    const approval: ApprovalState = {
      requirements: reqs.value,
      round: 0,
      expiresAt: now + this.#deps.ttlMs,
      immediate: r.immediate,
    };
    const kept = await this.#deps.later.keep(r, approval);
    if (!kept.ok) return kept;
    const id = kept.value;
    this.#deps.onOpened?.();
    log.info("{user} asked for approval of broadcast {id}", { user: r.sender.username, id });
    const view = {
      id,
      senderUsername: r.sender.username,
      message: r.message,
      fileNames: r.files.map((f) => f.name),
      targetAnswer: r.answer,
      targets: r.targets,
      dueAt: r.time.at,
      zone: r.time.zone,
      approval,
    };
    await this.#request(id, approval, requestText(view, this.#deps.ttlMs, now));
    await this.#deps.audit.post({
      action: "Awaiting approval",
      id,
      actor: r.sender.username,
      at: now,
      detail: `needs ${plural(reqs.value.reduce((n, q) => n + q.approvals, 0), "approval")}`,
      ...auditRecipients(r.targets),
      message: r.message,
      files: r.files.map((f) => f.name),
    });
    return ok(
      `Broadcast ${code(id)} awaits approval: ${requirementsText(reqs.value)}. I sent them ` +
        `the preview, and I'll tell you each decision. It goes out ${
          whenText({ ...view }, now)
        }. \`!scheduled\` shows it, \`!cancel ${id}\` withdraws it, \`!edit ${id}\` ` +
        "changes its text (approvals start over).",
    );
  }

  /** The broadcasts awaiting `userId`'s decision (approved by them already excluded). */
  pendingFor(userId: string): Promise<ScheduledBroadcast[]> {
    return awaitingDecisionOf(this.#deps.store, userId);
  }

  /** An approver's `approve <id>` or `reject <id> <reason>`: the reply. */
  async decide(actor: Actor, id: string, decision: Decision): Promise<string> {
    const s = await this.#deps.store.get(id);
    const approval = s?.approval;
    if (s !== undefined && s.senderId === actor.id && approval !== undefined) {
      return decision.kind === "approve"
        ? `You cannot approve your own broadcast ${code(id)}: another approver must.`
        : `Broadcast ${code(id)} is your own: \`!cancel ${id}\` withdraws it.`;
    }
    // Anyone but its approvers is told nothing about it, as if it did not exist.
    if (
      s === undefined || approval === undefined ||
      !approvers(approval).some((a) => a.id === actor.id)
    ) {
      return `No broadcast ${code(id)} awaits your approval. \`!pending\` lists those that do.`;
    }
    if (s.status !== "awaiting_approval") return settledText(s);
    if (decision.kind === "reject" && decision.reason.trim() === "") {
      return `Please give a reason: \`reject ${id} <reason>\`; @${s.senderUsername} reads it.`;
    }
    if (decision.kind === "reject" && decision.reason.length > MAX_REASON_LENGTH) {
      return `That reason is ${decision.reason.length} characters long; I accept up to ` +
        `${MAX_REASON_LENGTH}.`;
    }
    const recorded = await this.#deps.store.decide(id, approval.round, {
      approverId: actor.id,
      approverUsername: actor.username,
      decision: decision.kind === "approve" ? "approved" : "rejected",
      reason: decision.kind === "reject" ? decision.reason.trim() : "",
      at: this.#now(),
    });
    if (!recorded) return `You have decided on broadcast ${code(id)} already.`;
    return decision.kind === "reject"
      ? await this.#rejected(s, approval, actor, decision.reason.trim())
      : await this.#approved(s, approval, actor);
  }

  async #rejected(
    s: ScheduledBroadcast,
    approval: ApprovalState,
    actor: Actor,
    reason: string,
  ): Promise<string> {
    if (!await this.#deps.store.settleApproval(s.id, approval.round, "rejected")) {
      return settledText(await this.#deps.store.get(s.id) ?? s);
    }
    await this.#deps.store.removeFiles(s.id).catch(() => {});
    log.info("{user} rejected broadcast {id}", { user: actor.username, id: s.id });
    await this.#deps.notifier.dm(
      s.senderId,
      `:no_entry: @${actor.username} **rejected** your broadcast ${code(s.id)}; it will not ` +
        `be sent. Their reason:\n> ${reasonText(reason)}`,
    );
    await this.#tellApprovers(
      approvers(approval).filter((a) => a.id !== actor.id),
      `@${actor.username} rejected broadcast ${code(s.id)} by @${s.senderUsername}; ` +
        "nothing more to decide.",
    );
    await this.#auditDecision(s, actor, "Rejected", "will not be sent");
    return `Rejected broadcast ${code(s.id)}; @${s.senderUsername} is told why.`;
  }

  async #approved(s: ScheduledBroadcast, approval: ApprovalState, actor: Actor): Promise<string> {
    const decisions = await this.#deps.store.decisions(s.id, approval.round);
    if (!approved(approval.requirements, decisions)) {
      const given = decisions.filter((d) => d.decision === "approved").length;
      const needed = approval.requirements.reduce((n, r) => n + r.approvals, 0);
      await this.#deps.notifier.dm(
        s.senderId,
        `@${actor.username} approved your broadcast ${code(s.id)} (${given} of ${needed}); ` +
          "it waits for the other approvals.",
      );
      await this.#auditDecision(s, actor, "Approved", `${given} of ${needed} approvals`);
      return `Approved broadcast ${code(s.id)} (${given} of ${needed}); it waits for more.`;
    }
    // Exactly one approval ends it: a second one at the same moment finds it settled.
    if (!await this.#deps.store.settleApproval(s.id, approval.round, "scheduled")) {
      return settledText(await this.#deps.store.get(s.id) ?? s);
    }
    this.#deps.scheduler.wake();
    const by = decisions.filter((d) => d.decision === "approved")
      .map((d) => `@${d.approverUsername}`).join(", ");
    log.info("Broadcast {id} approved by {by}", { id: s.id, by });
    const goes = whenText({ ...s, approval }, this.#now());
    await this.#deps.notifier.dm(
      s.senderId,
      `:white_check_mark: Your broadcast ${code(s.id)} was **approved** by ${by}; it goes ` +
        `out ${goes.replace("as soon as it is approved", "now")}.`,
    );
    await this.#tellApprovers(
      approvers(approval).filter((a) => !decisions.some((d) => d.approverId === a.id)),
      `Broadcast ${code(s.id)} by @${s.senderUsername} was approved by ${by}; nothing more ` +
        "to decide.",
    );
    await this.#auditDecision(s, actor, "Approved", `approved by ${by}, it goes out`);
    return `Approved broadcast ${code(s.id)}: that was the last approval needed, it goes out ` +
      `${goes.replace("as soon as it is approved", "now")}.`;
  }

  /**
   * After `!edit` of an awaiting broadcast: the new text, a new round (approvals start
   * over), the approvers asked again. False when it is not awaiting any more.
   */
  async restart(s: ScheduledBroadcast, text: string): Promise<boolean> {
    const approval = s.approval;
    const expiresAt = this.#now() + this.#deps.ttlMs;
    if (approval === undefined || !await this.#deps.store.restartApproval(s.id, text, expiresAt)) {
      return false;
    }
    this.#deps.onOpened?.();
    const next = { ...approval, round: approval.round + 1, expiresAt };
    await this.#request(
      s.id,
      next,
      requestText(
        {
          id: s.id,
          senderUsername: s.senderUsername,
          message: text,
          fileNames: s.files.map((f) => f.name),
          targetAnswer: s.targetAnswer,
          dueAt: s.dueAt,
          zone: s.zone,
          approval: next,
          edited: true,
        },
        this.#deps.ttlMs,
        this.#now(),
      ),
    );
    return true;
  }

  /** Ends requests whose time ran out; each once, telling the sender and the approvers. */
  async expireLapsed(): Promise<number> {
    let n = 0;
    for (const s of await this.#deps.store.lapsed(this.#now())) {
      const approval = s.approval!;
      if (!await this.#deps.store.settleApproval(s.id, approval.round, "expired")) continue;
      n++;
      await this.#deps.store.removeFiles(s.id).catch(() => {});
      log.info("The approval of broadcast {id} expired", { id: s.id });
      await this.#deps.notifier.dm(
        s.senderId,
        `:hourglass: Your broadcast ${code(s.id)} was not approved in time; it will not be ` +
          "sent. Send it again to ask anew.",
      );
      await this.#tellApprovers(
        approvers(approval),
        `The request to approve broadcast ${code(s.id)} by @${s.senderUsername} expired; ` +
          "nothing more to decide.",
      );
      await this.#deps.audit.post({
        action: "Approval expired",
        id: s.id,
        actor: s.senderUsername,
        at: this.#now(),
        detail: "not approved in time, nothing was sent",
        channels: undefined,
      });
    }
    return n;
  }

  /** When the next open request lapses. */
  nextExpiry(): Promise<number | undefined> {
    return this.#deps.store.nextExpiry();
  }

  /**
   * A click on an Approve button: the clicker must be the approver the button was made for,
   * for the request's current round (a forged or stale click is refused). The clicker's answer.
   */
  async click(c: ApproveClick): Promise<{ forged: true } | { forged: false; text: string }> {
    const buttons = this.#deps.buttons;
    const { broadcast, round, token } = c.context;
    if (
      buttons === undefined ||
      !await buttons.tokens.verifyApproval(broadcast, c.userId, round, token)
    ) {
      return { forged: true };
    }
    const s = await this.#deps.store.get(broadcast);
    const approver = s?.approval === undefined
      ? undefined
      : approvers(s.approval).find((a) => a.id === c.userId);
    if (s === undefined || approver === undefined) return { forged: true };
    if (s.status === "awaiting_approval" && s.approval!.round !== round) {
      return {
        forged: false,
        text: `Broadcast ${code(s.id)} was changed since this request; judge the new one.`,
      };
    }
    return { forged: false, text: await this.decide(approver, broadcast, { kind: "approve" }) };
  }

  /** The request to each approver, and their Approve button when clicks can reach the bot. */
  async #request(id: string, approval: ApprovalState, text: string): Promise<void> {
    await askApprovers(this.#deps, { id, round: approval.round }, approvers(approval), text);
  }

  #tellApprovers(list: readonly Approver[], text: string): Promise<void> {
    return tellApprovers(this.#deps.notifier, list, text);
  }

  async #auditDecision(s: ScheduledBroadcast, actor: Actor, action: string, detail: string) {
    await this.#deps.audit.post({
      action,
      id: s.id,
      actor: actor.username,
      sender: s.senderUsername,
      at: this.#now(),
      detail,
      channels: undefined,
    });
  }
}

/** Sends each approver the request, and their Approve button for round `round` if any. */
export async function askApprovers(
  deps: Pick<ApprovalsDeps, "notifier" | "buttons">,
  { id, round }: { readonly id: string; readonly round: number },
  list: readonly Approver[],
  text: string,
): Promise<void> {
  await tellApprovers(deps.notifier, list, text);
  const buttons = deps.buttons;
  if (buttons === undefined) return;
  for (const a of list) {
    const context = {
      broadcast: id,
      round,
      token: await buttons.tokens.signApproval(id, a.id, round),
    };
    await deps.notifier.dmWithProps(a.id, "", approveButton(buttons.url, id, context)).catch((e) =>
      log.warn("Could not send {user} the Approve button: {error}", { user: a.username, error: e })
    );
  }
}

/** The props of the post carrying an approver's Approve button. */
function approveButton(
  url: string,
  id: string,
  context: ApproveClick["context"],
): Record<string, unknown> {
  return {
    attachments: [{
      fallback: `Approve broadcast ${id}`,
      text: `Approve broadcast ${code(id)}? To reject it, answer \`reject ${id} <reason>\`.`,
      actions: [{
        id: APPROVE_ACTION_ID,
        name: "Approve",
        type: "button",
        style: "primary",
        integration: { url, context },
      }],
    }],
  };
}

/** Everyone who may approve (approvers.ts's {@link approversOf}). */
const approvers = approversOf;

/** Why a decision comes too late: the broadcast's state in words. */
function settledText(s: ScheduledBroadcast): string {
  switch (s.status) {
    case "awaiting_approval":
      return `Broadcast ${code(s.id)} still awaits approval.`;
    case "scheduled":
    case "sent":
    case "failed":
      return `Broadcast ${code(s.id)} was approved already; nothing more to decide.`;
    case "rejected":
      return `Broadcast ${code(s.id)} was rejected already; it will not be sent.`;
    case "expired":
      return `The request to approve broadcast ${code(s.id)} expired; it will not be sent.`;
    case "cancelled":
      return `Broadcast ${code(s.id)} was withdrawn by its sender; nothing to decide.`;
  }
}
