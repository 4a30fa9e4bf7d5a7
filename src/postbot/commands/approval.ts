/**
 * What approvers type: `approve <id>`, `reject <id> <reason>` (with or without `!`) and
 * `!pending`, the broadcasts awaiting their decision. The decisions themselves are
 * broadcast/approval/approvals.ts's.
 *
 * @module
 */

import type { Command, MessageContext } from "@postbot/framework";
import { code, plural, quote } from "../format.ts";
import type { Decision } from "../broadcast/approval/approvals.ts";
import type { ApprovalDesk } from "../broadcast/approval/approval_desk.ts";
import { requirementsText, whenText } from "../broadcast/approval/approval_text.ts";
import { BROADCAST_ID } from "../broadcast/model.ts";

/** What the approval commands need. */
export type ApprovalCommandDeps = Pick<ApprovalDesk, "decide" | "pendingFor" | "pendingEditsFor">;

/** A decision typed as plain words: `approve k3m9x2qa`, `reject k3m9x2qa too early`. */
export interface TypedDecision {
  readonly id: string;
  readonly decision: Decision;
}

const PLAIN = /^\s*(approve|reject)\s+([a-z0-9]{4,32})(?:\s+([\s\S]*))?$/i;

/**
 * The decision a DM types without `!`, or undefined when it is not one: the word, then a
 * broadcast id (so `approve` alone, or a sentence, stays a message for the wizard).
 */
export function typedDecision(text: string): TypedDecision | undefined {
  const m = PLAIN.exec(text);
  if (m === null) return undefined;
  const id = m[2].toLowerCase();
  if (!BROADCAST_ID.test(id)) return undefined;
  if (m[1].toLowerCase() === "approve") {
    return (m[3] ?? "").trim() === "" ? { id, decision: { kind: "approve" } } : undefined;
  }
  return { id, decision: { kind: "reject", reason: m[3] ?? "" } };
}

/** Answers a typed decision. */
export async function answerDecision(
  approvals: ApprovalCommandDeps,
  ctx: MessageContext,
  typed: TypedDecision,
): Promise<void> {
  await ctx.reply(
    await approvals.decide({ id: ctx.userId, username: ctx.username }, typed.id, typed.decision),
  );
}

/** `!approve <id>`. */
export function approveCommand(approvals: ApprovalCommandDeps): Command {
  return {
    name: "approve",
    sideEffects: true,
    usage: "<broadcast id>",
    summary: "approve a broadcast awaiting your approval (`approve <id>` works too)",
    examples: ["!approve k3m9x2qa"],
    run: async (ctx, args) => {
      const typed = typedDecision(`approve ${args}`);
      if (typed === undefined) {
        await ctx.reply("Which one? Send `approve <id>`; `!pending` lists them.");
        return;
      }
      await answerDecision(approvals, ctx, typed);
    },
  };
}

/** `!reject <id> <reason>`. */
export function rejectCommand(approvals: ApprovalCommandDeps): Command {
  return {
    name: "reject",
    sideEffects: true,
    usage: "<broadcast id> <reason>",
    summary: "reject a broadcast awaiting your approval, saying why (the sender reads it)",
    examples: ["!reject k3m9x2qa the date is wrong"],
    run: async (ctx, args) => {
      const typed = typedDecision(`reject ${args}`);
      if (typed === undefined) {
        await ctx.reply("Which one? Send `reject <id> <reason>`; `!pending` lists them.");
        return;
      }
      await answerDecision(approvals, ctx, typed);
    },
  };
}

/** `!pending`. */
export function pendingCommand(approvals: ApprovalCommandDeps): Command {
  return {
    name: "pending",
    summary: "the broadcasts awaiting your approval",
    examples: ["!pending"],
    run: async (ctx) => {
      const list = await approvals.pendingFor(ctx.userId);
      const edits = await approvals.pendingEditsFor(ctx.userId);
      if (list.length === 0 && edits.length === 0) {
        await ctx.reply("Nothing awaits your approval.");
        return;
      }
      const now = Date.now();
      const lines = [
        `**${plural(list.length + edits.length, "broadcast")} awaiting your approval:**`,
      ];
      for (const s of list) {
        lines.push(
          `- ${code(s.id)} by @${s.senderUsername} \u00b7 to ${quote(s.targetAnswer, 60)} \u00b7 ` +
            `goes out ${whenText({ ...s, approval: s.approval! }, now)} \u00b7 needs ` +
            requirementsText(s.approval!.requirements),
          `  > ${s.message.trim() === "" ? "_(files only)_" : quote(s.message, 80)}`,
        );
      }
      for (const e of edits) {
        lines.push(
          `- ${code(e.broadcastId)} \u00b7 an **edit** of a sent broadcast by ` +
            `@${e.editorUsername} \u00b7 needs ${requirementsText(e.requirements)}`,
          `  > now: ${quote(e.message, 80)}`,
        );
      }
      lines.push("`approve <id>` approves one; `reject <id> <reason>` rejects it.");
      await ctx.reply(lines.join("\n"));
    },
  };
}
