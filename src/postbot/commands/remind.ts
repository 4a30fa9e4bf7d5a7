/**
 * `!remind <id>`: reminds the recipients of a broadcast who have not acknowledged it (or, when
 * it asked for no acknowledgement, not seen it), after a yes/no that says how many (see
 * broadcast/reminders.ts for who gets what). Users remind of their own broadcasts; admins of
 * anyone's.
 *
 * @module
 */

import { type Command, MattermostError, unreachable } from "@postbot/framework";
import { askerOf, type NotFound } from "../broadcast/rules.ts";
import type { BroadcastService } from "../broadcast/service.ts";
import {
  isEmptyPlan,
  missingText,
  planText,
  type ReminderPlan,
  type ReminderStore,
} from "../broadcast/reminders.ts";
import type { Reminders } from "../broadcast/reminder_service.ts";
import { code, plural } from "../format.ts";
import { describeSendTime, fromNow } from "../broadcast/scheduled/time_expression.ts";
import type { SideQuestions } from "../wizard/conversation.ts";

/** What `!remind` reads and asks. */
export interface RemindDeps {
  readonly broadcasts: Pick<BroadcastService, "find" | "deliveries">;
  readonly reminders: Pick<Reminders, "plan">;
  readonly store: Pick<ReminderStore, "waiting" | "counts">;
  readonly questions: Pick<SideQuestions, "askRemind">;
}

/** `!remind <id>`. */
export function remindCommand(deps: RemindDeps): Command {
  return {
    name: "remind",
    usage: "<broadcast id>",
    summary: "remind the recipients of a broadcast who have not acknowledged it (or not seen " +
      "it); says how many and asks for confirmation",
    examples: ["!remind k3m9x2qa"],
    run: async (ctx, args) => {
      if (args.trim() === "") {
        await ctx.reply("Which broadcast? Send `!remind <id>`; `!history` lists your broadcasts.");
        return;
      }
      const found = await deps.broadcasts.find(askerOf(ctx), args);
      if (found.kind !== "found") {
        await ctx.reply(notFoundText(found, args));
        return;
      }
      const record = found.record;
      if (record.status === "pending") {
        await ctx.reply(
          `Broadcast ${code(record.id)} is still going out; send \`!remind ${record.id}\` ` +
            "once it is delivered.",
        );
        return;
      }
      if (!(await deps.broadcasts.deliveries(record.id)).some((d) => d.status === "delivered")) {
        await ctx.reply(
          `Broadcast ${code(record.id)} has no post left to point to (it was taken back with ` +
            "`!undo`, or never delivered), so there is nobody to remind.",
        );
        return;
      }
      let plan: ReminderPlan;
      try {
        plan = await deps.reminders.plan(record);
      } catch (e) {
        const why = e instanceof MattermostError ? e.message : String(e);
        await ctx.reply(`I could not read who is missing (${why}); try again in a moment.`);
        return;
      }
      if (isEmptyPlan(plan)) {
        await ctx.reply(nobodyText(plan));
        return;
      }
      deps.questions.askRemind(ctx.userId, record.id);
      await ctx.reply(await questionText(plan, deps.store));
    },
  };
}

/** The question before a reminder goes out: how many, how, and what else is planned. */
async function questionText(
  plan: ReminderPlan,
  store: Pick<ReminderStore, "waiting" | "counts">,
): Promise<string> {
  const id = plan.record.id;
  const lines = [
    `**Remind those who ${missingText(plan.basis)} broadcast ${code(id)}?** That is ` +
    `${planText(plan)}.`,
  ];
  const reminded = [...(await store.counts(id)).values()].reduce((a, b) => a + b, 0);
  if (reminded > 0) lines.push(`(${plural(reminded, "reminder")} went out before.)`);
  const waiting = await store.waiting(id);
  if (waiting !== undefined) {
    lines.push(`Its automatic reminder still goes out ${fromNow(waiting.dueAt - Date.now())}.`);
  }
  lines.push("Answer **yes** to send the reminders, or **no**.");
  return lines.join("\n");
}

/** Nobody to remind, and why. */
function nobodyText(plan: ReminderPlan): string {
  return `Nobody to remind: everyone who has broadcast ${code(plan.record.id)} ${
    plan.basis === "acknowledged" ? "has acknowledged it" : "has seen it"
  }.`;
}

/** Why `!remind` found nothing to remind of. */
function notFoundText(nf: NotFound, args: string): string {
  switch (nf.kind) {
    case "none_yet":
      return "You have not sent any broadcasts yet.";
    case "scheduled":
      return `Broadcast ${code(nf.scheduled.id)} has not gone out yet: it is scheduled for ${
        describeSendTime({ at: nf.scheduled.dueAt, zone: nf.scheduled.zone }, Date.now())
      }.`;
    case "not_an_id":
    case "unknown":
      return `I have no broadcast ${code(args)} of yours. \`!history\` lists your broadcasts.`;
    default:
      return unreachable(nf);
  }
}
