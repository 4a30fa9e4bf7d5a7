/**
 * Commands about broadcasts scheduled for later: `!scheduled` lists them (admins see
 * everyone's), `!cancel <id>` cancels one after a yes/no (own; admins any).
 *
 * @module
 */

import type { Command } from "@postbot/framework";
import { code, plural, quote } from "../format.ts";
import type { ScheduledStore } from "../broadcast/scheduled/scheduled_broadcasts.ts";
import { describeSendTime } from "../broadcast/scheduled/time_expression.ts";
import type { SideQuestions } from "../wizard/conversation.ts";
import { BROADCAST_ID } from "../broadcast/model.ts";
import { requirementsText, whenText } from "../broadcast/approval/approval_text.ts";
import type { EditApprovals } from "../broadcast/approval/edit_approvals.ts";

/** What `!cancel` needs: the scheduled broadcasts, and the wizard to ask the yes/no. */
export interface CancelDeps {
  readonly scheduled: Pick<ScheduledStore, "get">;
  readonly questions: Pick<SideQuestions, "askCancel">;
  /** Edits of sent broadcasts awaiting approval: `!cancel` withdraws one (no question). */
  readonly edits?: Pick<EditApprovals, "awaitingOf" | "withdraw">;
}

/** `!scheduled`. */
export function scheduledCommand(scheduled: Pick<ScheduledStore, "pending">): Command {
  return {
    name: "scheduled",
    summary: "your broadcasts waiting to go out (administrators: everyone's): id, time, " +
      "targets, start of the message",
    examples: ["!scheduled"],
    run: async (ctx) => {
      const list = await scheduled.pending(ctx.isAdmin ? undefined : ctx.userId);
      if (list.length === 0) {
        await ctx.reply(
          "Nothing is scheduled. To schedule a broadcast, answer `at <time>` (e.g. " +
            "`at monday 9:00`, `in 2h`) instead of `yes` at the preview.",
        );
        return;
      }
      const now = Date.now();
      const lines = [`**${plural(list.length, "scheduled broadcast")}:**`];
      for (const s of list) {
        const by = s.senderId !== ctx.userId ? ` \u00b7 by @${s.senderUsername}` : "";
        const files = s.files.length > 0 ? ` \u00b7 ${plural(s.files.length, "file")}` : "";
        const when = s.status === "awaiting_approval"
          ? `**awaiting approval** (${requirementsText(s.approval!.requirements)}), then ${
            whenText({ ...s, approval: s.approval! }, now).replace(
              "as soon as it is approved",
              "now",
            )
          }`
          : describeSendTime({ at: s.dueAt, zone: s.zone }, now);
        lines.push(
          `- ${code(s.id)} \u00b7 ${when} \u00b7 ` +
            `${quote(s.targetAnswer, 60)} (${plural(s.channels, "channel")})${files}${by}`,
          `  > ${s.message.trim() === "" ? "_(files only)_" : quote(s.message, 80)}`,
        );
      }
      lines.push("`!cancel <id>` cancels one; `!edit <id>` changes its text.");
      await ctx.reply(lines.join("\n"));
    },
  };
}

/** `!cancel <id>`. */
export function cancelCommand(deps: CancelDeps): Command {
  return {
    name: "cancel",
    sideEffects: true,
    usage: "<broadcast id>",
    summary: "cancel a scheduled broadcast before it goes out (own; administrators any); " +
      "asks for confirmation",
    examples: ["!cancel k3m9x2qa"],
    run: async (ctx, args) => {
      const id = args.trim().toLowerCase();
      if (id === "") {
        await ctx.reply(
          "Which one? Send `!cancel <id>`; `!scheduled` lists them. (To stop the broadcast " +
            "you are preparing, answer `cancel`, without the `!`.)",
        );
        return;
      }
      const edit = BROADCAST_ID.test(id) ? await deps.edits?.awaitingOf(id) : undefined;
      if (edit !== undefined && (edit.editorId === ctx.userId || ctx.isAdmin)) {
        // Withdrawing an edit changes no post: no question asked.
        const by = { id: ctx.userId, username: ctx.username };
        await ctx.reply(
          await deps.edits!.withdraw(edit, by, "its editor withdrew it")
            ? `Withdrew the edit of broadcast ${code(id)}; its posts keep their text, and ` +
              "its approvers are told."
            : `The edit of broadcast ${code(id)} no longer awaits approval; nothing changed.`,
        );
        return;
      }
      const s = BROADCAST_ID.test(id) ? await deps.scheduled.get(id) : undefined;
      if (s === undefined || (s.senderId !== ctx.userId && !ctx.isAdmin)) {
        await ctx.reply(
          `I have no scheduled broadcast ${code(args)} of yours. \`!scheduled\` lists them.`,
        );
        return;
      }
      if (s.status !== "scheduled" && s.status !== "awaiting_approval") {
        await ctx.reply(
          s.status === "sent"
            ? `Broadcast ${code(id)} has gone out already; \`!undo ${id}\` takes it back.`
            : `Broadcast ${code(id)} is not scheduled any more (${s.status}).`,
        );
        return;
      }
      deps.questions.askCancel(ctx.userId, id);
      await ctx.reply(
        `Cancel scheduled broadcast ${code(id)}${
          s.senderId !== ctx.userId ? ` (scheduled by @${s.senderUsername})` : ""
        }, due ${describeSendTime({ at: s.dueAt, zone: s.zone }, Date.now())}, to ${
          plural(s.channels, "channel")
        }? Answer **yes** or **no**.`,
      );
    },
  };
}
