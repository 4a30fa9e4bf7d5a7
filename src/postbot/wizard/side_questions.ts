/**
 * The yes/no side questions commands ask through the wizard (`!undo`, `!cancel`, `!remind`), asked in the
 * middle of anything: another answer asks again, `no` keeps the broadcast, `yes` acts; either
 * way the user is taken back to the broadcast step the question interrupted.
 *
 * @module
 */

import type { MessageContext } from "@postbot/framework";
import { undoAtYesText } from "../broadcast/rules_text.ts";
import { reminderOutcomeText } from "../broadcast/reminder_service.ts";
import { code } from "../format.ts";
import { type BroadcastStep, type Conversation, resumeOf, yesNo } from "./conversation.ts";
import type { WizardParts } from "./wizard_parts.ts";

/** A side question's state. */
type Pending = Extract<
  Conversation,
  { kind: "confirming_undo" | "confirming_cancel" | "confirming_remind" }
>;

/** Opens a side question (or `!edit`'s text question) over whatever step is open. */
export function askAside(
  { sessions }: WizardParts,
  userId: string,
  kind: "confirming_undo" | "confirming_cancel" | "confirming_remind" | "editing",
  broadcastId: string,
): void {
  const resume = resumeOf(sessions.get(userId));
  sessions.set(userId, { kind, broadcastId, resume });
}

/** The answer to "delete broadcast ...?". */
export async function answerUndo(
  parts: WizardParts,
  ctx: MessageContext,
  pending: Extract<Conversation, { kind: "confirming_undo" }>,
): Promise<void> {
  const { broadcasts } = parts.deps;
  const id = pending.broadcastId;
  await answerSideQuestion(parts, ctx, pending, {
    ask: `Please answer **yes** to delete broadcast ${code(id)}, or **no**.`,
    kept: `Kept broadcast ${code(id)}; nothing was deleted.`,
    onYes: async () => {
      // The question may be answered long after it was asked: the rules are asked again.
      const undone = await broadcasts.undo({ id: ctx.userId, username: ctx.username }, id);
      return undone.kind === "undone"
        ? undone.report
        : undoAtYesText(undone, broadcasts.undoWindowSeconds);
    },
  });
}

/** The answer to "cancel scheduled broadcast ...?". */
export async function answerCancel(
  parts: WizardParts,
  ctx: MessageContext,
  pending: Extract<Conversation, { kind: "confirming_cancel" }>,
): Promise<void> {
  const { later } = parts.deps;
  const id = pending.broadcastId;
  await answerSideQuestion(parts, ctx, pending, {
    ask: `Please answer **yes** to cancel scheduled broadcast ${code(id)}, or **no**.`,
    kept: `Kept scheduled broadcast ${code(id)}.`,
    onYes: async () =>
      later === undefined
        ? "Scheduling is not available."
        : await later.cancel(id, { id: ctx.userId, username: ctx.username }),
  });
}

/** The answer to "remind those who have not acknowledged ...?". */
export async function answerRemind(
  parts: WizardParts,
  ctx: MessageContext,
  pending: Extract<Conversation, { kind: "confirming_remind" }>,
): Promise<void> {
  const { reminders } = parts.deps;
  const id = pending.broadcastId;
  await answerSideQuestion(parts, ctx, pending, {
    ask: `Please answer **yes** to send the reminders of broadcast ${code(id)}, or **no**.`,
    kept: `No reminder of broadcast ${code(id)} was sent.`,
    onYes: async () =>
      reminders === undefined ? "Reminders are not available." : reminderOutcomeText(
        id,
        await reminders.send(id, { id: ctx.userId, username: ctx.username }),
      ),
  });
}

/** One yes/no answer: ask again, keep, or act; then back to the interrupted step. */
async function answerSideQuestion(
  parts: WizardParts,
  ctx: MessageContext,
  pending: Pending,
  text: { ask: string; kept: string; onYes: () => Promise<string> },
): Promise<void> {
  const answer = yesNo(ctx.text);
  if (answer === undefined) {
    parts.sessions.set(ctx.userId, pending);
    await ctx.reply(text.ask);
    return;
  }
  const back = resumeStep(parts, ctx.userId, pending.resume);
  await ctx.reply((answer === "no" ? text.kept : await text.onYes()) + back);
}

/** Ends a side question: back to the interrupted broadcast step; the text saying so. */
export function resumeStep(
  { sessions }: WizardParts,
  userId: string,
  resume: BroadcastStep | null,
): string {
  if (resume === null) {
    sessions.delete(userId);
    return "";
  }
  sessions.set(userId, resume);
  return "\n\nBack to your broadcast in progress: " +
    (resume.kind === "confirming" ? "send it? Answer **yes** or **no**." : "where should it go?");
}
