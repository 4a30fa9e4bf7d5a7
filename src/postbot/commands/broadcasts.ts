/**
 * Commands about past broadcasts: `!history`, `!undo`, `!retry`. Users act on their own
 * broadcasts; admins (ADMIN_USERS) on anyone's.
 *
 * @module
 */

import type { Command, RestTransport } from "@postbot/framework";
import type { BroadcastService, History } from "../broadcast/service.ts";
import { askerOf } from "../broadcast/rules.ts";
import { retryText, undoRefusalText } from "../broadcast/rules_text.ts";
import { fetchLivePosts, totals } from "../broadcast/status.ts";
import { plural } from "../format.ts";
import { describeSendTime } from "../broadcast/scheduled/time_expression.ts";
import type { SideQuestions } from "../wizard/conversation.ts";
import { recipientNames, when } from "../broadcast/report.ts";
import { channelsOf, peopleOf, recipientsText, targetKey } from "../broadcast/model.ts";

/** What `!history` reads. */
export interface HistorySource {
  readonly broadcasts: Pick<BroadcastService, "history" | "deliveries" | "hiddenFor">;
  /** Reads reactions and replies from the server; absent, the history is shown without them. */
  readonly transport?: RestTransport;
}

/** What `!undo` needs: the rules, and the wizard to ask the yes/no. */
export interface UndoDeps {
  readonly broadcasts: Pick<BroadcastService, "undoable" | "hiddenFor" | "undoWindowSeconds">;
  readonly questions: Pick<SideQuestions, "askUndo">;
}

/** `!history [n]`. */
export function historyCommand(source: HistorySource): Command {
  return {
    name: "history",
    usage: "[n]",
    summary: "your last n broadcasts (default 5, at most 50): id, time, channels, outcome",
    examples: ["!history", "!history 20"],
    run: async (ctx, args) => {
      const raw = args.trim();
      if (raw !== "" && !/^\d{1,6}$/.test(raw)) {
        await ctx.reply("`!history` takes a number of broadcasts, e.g. `!history 10`.");
        return;
      }
      const n = raw === "" ? 5 : Math.min(50, Math.max(1, Number(raw)));
      const history = await source.broadcasts.history(ctx.userId, n);
      if (history.sent.length === 0 && history.unsent.length === 0) {
        await ctx.reply("You have not sent any broadcasts yet. Send me a message to start one.");
        return;
      }
      const reach = await liveTotals(
        source,
        { id: ctx.userId, username: ctx.username },
        history.sent.map((b) => b.id),
      );
      await ctx.reply(
        [...unsentLines(history.unsent), ...sentLines(history.sent, reach)].join("\n"),
      );
    },
  };
}

/** The scheduled broadcasts of `!history`, not sent yet (or failed to go out). */
function unsentLines(unsent: History["unsent"]): string[] {
  if (unsent.length === 0) return [];
  const lines = [`**Scheduled, not sent:**`];
  for (const u of unsent) {
    const due = describeSendTime({ at: u.dueAt, zone: u.zone }, Date.now())
      .replace(/ \u2014 .*$/, "");
    lines.push(
      `- \`${u.id}\` \u00b7 ${u.status === "scheduled" ? "due" : "was due"} ${due} \u00b7 ` +
        `${plural(u.channels, "recipient")} \u00b7 ` +
        (u.status === "scheduled"
          ? `waiting (\`!cancel ${u.id}\`, \`!edit ${u.id}\`)`
          : `not sent (${u.error ?? "failed"})`),
    );
  }
  return lines;
}

/** The sent broadcasts of `!history`, each with its outcome and (when read) its reach. */
function sentLines(sent: History["sent"], reach: ReadonlyMap<string, string>): string[] {
  if (sent.length === 0) return [];
  const lines = [`**Your last ${plural(sent.length, "broadcast")}:**`];
  for (const b of sent) {
    const outcome = b.status === "pending"
      ? "sending now"
      : b.status === "aborted"
      ? `not sent (${b.error ?? "aborted"})`
      : `delivered to ${b.delivered} of ${b.channels}` +
        (b.failed > 0 ? `, ${b.failed} failed` : "") +
        (b.deleted > 0 ? `, ${b.deleted} deleted` : "") +
        (b.status === "interrupted" ? " (interrupted)" : "");
    lines.push(
      `- \`${b.id}\` \u00b7 ${when(b.createdAt)} \u00b7 ${
        recipientsText(b.channels - b.people, b.people)
      } \u00b7 ${outcome}` +
        (reach.get(b.id) ?? ""),
    );
  }
  lines.push("`!status <id>` shows a broadcast recipient by recipient.");
  return lines;
}

/**
 * One " * 5 reactions, 2 replies" per broadcast, read from the server in one go; empty when
 * the server cannot be read (the history is still worth showing). Private channels the asker
 * is not a member of are left out, as in `!status`.
 */
async function liveTotals(
  source: HistorySource,
  asker: { id: string; username: string },
  ids: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (source.transport === undefined) return out;
  const deliveriesOf = new Map(
    await Promise.all(
      ids.map(async (id) => [id, await source.broadcasts.deliveries(id)] as const),
    ),
  );
  const hidden = await source.broadcasts.hiddenFor(asker, [...deliveriesOf.values()].flat());
  const postsOf = new Map(
    [...deliveriesOf].map(([id, deliveries]) => [
      id,
      deliveries.flatMap((d) =>
        d.status === "delivered" && d.postId !== null && !hidden.has(targetKey(d)) ? [d.postId] : []
      ),
    ]),
  );
  const all = [...postsOf.values()].flat();
  if (all.length === 0) return out;
  try {
    const live = await fetchLivePosts(source.transport, all);
    for (const [id, postIds] of postsOf) {
      if (postIds.length === 0) continue;
      const t = totals(postIds.flatMap((p) => live.get(p) ?? []));
      out.set(
        id,
        ` \u00b7 ${plural(t.reactionCount, "reaction")}, ${plural(t.replies, "reply", "replies")}`,
      );
    }
  } catch {
    // Reactions and replies are extras; the history is shown without them.
  }
  return out;
}

/** `!undo [id]`. */
export function undoCommand(deps: UndoDeps): Command {
  return {
    name: "undo",
    sideEffects: true,
    usage: "[broadcast id]",
    summary: "delete one of your broadcasts from every channel (your latest by default), " +
      "within the undo window; asks for confirmation",
    examples: ["!undo", "!undo k3m9x2qa"],
    run: async (ctx, args) => {
      const decision = await deps.broadcasts.undoable(askerOf(ctx), args);
      if (decision.kind !== "ask") {
        await ctx.reply(undoRefusalText(decision, deps.broadcasts.undoWindowSeconds));
        return;
      }
      const { record, delivered } = decision;
      deps.questions.askUndo(ctx.userId, record.id);
      const hidden = await deps.broadcasts.hiddenFor(
        { id: ctx.userId, username: ctx.username },
        delivered,
      );
      const names = recipientNames(delivered, hidden);
      const listed = names.length > 31 ? [...names.slice(0, 30), "\u2026"] : names;
      await ctx.reply(
        `Delete broadcast \`${record.id}\`${
          record.senderId !== ctx.userId ? ` (sent by @\u200b${record.senderUsername})` : ""
        } from ${recipientsText(channelsOf(delivered).length, peopleOf(delivered).length)}: ${
          listed.join(", ")
        }? Answer **yes** or **no**.`,
      );
    },
  };
}

/** `!retry <id>`. */
export function retryCommand(broadcasts: Pick<BroadcastService, "retry">): Command {
  return {
    name: "retry",
    sideEffects: true,
    usage: "<broadcast id>",
    summary: "deliver one of your broadcasts again, only to the channels that failed",
    examples: ["!retry k3m9x2qa"],
    run: async (ctx, args) => {
      if (args.trim() === "") {
        await ctx.reply("Which broadcast? Send `!retry <id>`; `!history` lists your broadcasts.");
        return;
      }
      await ctx.reply(retryText(await broadcasts.retry(askerOf(ctx), args)));
    },
  };
}
