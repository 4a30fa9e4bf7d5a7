/**
 * What approvers and senders read about an approval: the request an approver judges (the
 * whole preview: who asked, when it would go out, every recipient, the files by name, the
 * exact text), and the decisions as they come.
 *
 * The approver must judge the broadcast, so the request names every channel it targets,
 * private ones included (the README's security model says so); it names nothing else of
 * the sender's. The message is shown verbatim in a code block (nothing in it renders or
 * notifies); a reason typed by an approver is quoted inert.
 *
 * @module
 */

import { APPROXIMATE, describeDuration } from "@postbot/framework/duration";
import { code, plural, quote } from "../../format.ts";
import { describeSendTime } from "../scheduled/time_expression.ts";
import type { ApprovalDecision } from "../scheduled/scheduled_broadcasts.ts";
import { when } from "../report.ts";
import type { ApprovalRequirement, ApprovalState, BroadcastTarget } from "../model.ts";
import { channelsOf, peopleOf, recipientsText } from "../model.ts";

/** The most recipients of one kind the request names; the rest are counted. */
const MAX_NAMED = 50;

/** What the request to an approver shows. */
export interface RequestView {
  readonly id: string;
  readonly senderUsername: string;
  readonly message: string;
  readonly fileNames: readonly string[];
  readonly targetAnswer: string;
  /** The recipients at the sender's yes; absent after an edit (the answer is shown). */
  readonly targets?: readonly BroadcastTarget[];
  readonly dueAt: number;
  readonly zone: string;
  readonly approval: ApprovalState;
  /** Set for a request sent again after the sender edited the text. */
  readonly edited?: boolean;
}

/** `text` in a fenced code block whose fence no run of backticks inside can close. */
export function verbatim(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
}

/** When it would go out: "as soon as it is approved" or the time. */
export function whenText(v: Pick<RequestView, "dueAt" | "zone" | "approval">, now: number) {
  return v.approval.immediate
    ? "as soon as it is approved"
    : `**${describeSendTime({ at: v.dueAt, zone: v.zone }, now)}**`;
}

/** Who must approve, in words: `1 approval of @alice, @carol (group "All staff")`. */
export function requirementsText(reqs: readonly ApprovalRequirement[]): string {
  return reqs.map((r) =>
    `${plural(r.approvals, "approval")} of ${
      r.approvers.map((a) => `@${a.username}`).join(", ")
    } (${quote(r.audience, 120)})`
  ).join("; ");
}

/** The recipients named: channels (`~name`), then people (`@name`), long lists counted. */
function recipientLines(targets: readonly BroadcastTarget[]): string[] {
  const named = (items: readonly string[]) =>
    items.slice(0, MAX_NAMED).join(", ") +
    (items.length > MAX_NAMED ? ` and ${items.length - MAX_NAMED} more` : "");
  const channels = channelsOf(targets).map((c) => `~${c.name}`);
  const people = peopleOf(targets).map((p) => `@${p.username}`);
  const lines: string[] = [];
  if (channels.length > 0) lines.push(`- Channels: ${named(channels)}`);
  if (people.length > 0) lines.push(`- People (each in a direct message): ${named(people)}`);
  return lines;
}

/** The request an approver reads: everything they judge, and how to answer. */
export function requestText(v: RequestView, ttlMs: number, now: number): string {
  const targets = v.targets;
  const lines = [
    ...(v.edited
      ? [
        `:warning: @${v.senderUsername} **changed** broadcast ${code(v.id)} since you were ` +
        "asked: the earlier request is void, earlier approvals no longer count, and " +
        `\`approve ${v.id}\` now approves the text below.`,
      ]
      : []),
    `:raised_hand: **@${v.senderUsername} asks for approval** of broadcast ${code(v.id)}` +
    (v.edited ? " (its text was changed: earlier approvals no longer count)." : "."),
    `- Needs: ${requirementsText(v.approval.requirements)}; never the sender's own.`,
    `- Goes out: ${whenText(v, now)}`,
    `- To: ${quote(v.targetAnswer, 200)}` +
    (targets === undefined
      ? ""
      : ` \u2014 ${
        recipientsText(targets.length - peopleOf(targets).length, peopleOf(targets).length)
      }`),
    ...(targets === undefined ? [] : recipientLines(targets)),
    v.fileNames.length > 0
      ? `- Files: ${v.fileNames.map((f) => quote(f, 100)).join(", ")}`
      : "- Files: none",
    "The exact text:",
    v.message.trim() === "" ? "_(files only)_" : verbatim(v.message),
    `Answer \`approve ${v.id}\` or \`reject ${v.id} <reason>\`. The request lapses in ` +
    `${describeDuration(ttlMs, APPROXIMATE)} if not decided.`,
  ];
  return lines.join("\n");
}

/** A reason as the sender reads it: one inert line. */
export function reasonText(reason: string): string {
  return quote(reason, 500);
}

/** `!status`'s lines on who approved (or rejected) a broadcast, and when. */
export function decisionLines(decisions: readonly ApprovalDecision[]): string[] {
  const last = Math.max(-1, ...decisions.map((d) => d.round));
  return decisions.filter((d) => d.round === last).map((d) =>
    `${d.decision === "approved" ? "Approved" : "Rejected"} by @${d.approverUsername} at ` +
    when(d.at) + (d.reason === "" ? "." : `: ${reasonText(d.reason)}`)
  );
}
