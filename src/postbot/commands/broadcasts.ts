/**
 * Commands about past broadcasts: `!history`, `!undo`, `!retry`. Users act on their own
 * broadcasts; admins (ADMIN_USERS) on anyone's.
 *
 * @module
 */

import type { Command, MessageContext, RestTransport } from "@postbot/framework";
import type { Broadcaster } from "../broadcast/broadcaster.ts";
import type { BroadcastRecord } from "../broadcast/log.ts";
import { hiddenChannelsText, undoWindowClosed, when } from "../broadcast/report.ts";
import { code, plural } from "../format.ts";
import type { PostbotServices } from "../services.ts";
import { fetchLivePosts, totals } from "../broadcast/status.ts";
import type { ScheduledStore } from "../schedule/store.ts";
import { describeSendTime } from "../schedule/time_expression.ts";
import type { Wizard } from "../wizard/wizard.ts";

const ID = /^[a-z0-9]{4,32}$/;

/** Extras of `!history`: scheduled broadcasts, and reactions and replies from the server. */
export interface HistoryExtras {
  readonly scheduled?: ScheduledStore;
  readonly transport?: RestTransport;
}

/** `!history [n]`. */
export function historyCommand(broadcaster: Broadcaster, extras: HistoryExtras = {}): Command {
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
      const list = broadcaster.log.recent(ctx.userId, n);
      const unsent = extras.scheduled?.unsent(ctx.userId, n) ?? [];
      if (list.length === 0 && unsent.length === 0) {
        await ctx.reply("You have not sent any broadcasts yet. Send me a message to start one.");
        return;
      }
      const lines: string[] = [];
      if (unsent.length > 0) {
        lines.push(`**Scheduled, not sent:**`);
        for (const u of unsent) {
          const due = describeSendTime({ at: u.dueAt, zone: u.zone }, Date.now())
            .replace(/ — .*$/, "");
          lines.push(
            `- \`${u.id}\` · ${u.status === "scheduled" ? "due" : "was due"} ${due} · ` +
              `${plural(u.channels, "channel")} · ` +
              (u.status === "scheduled"
                ? `waiting (\`!cancel ${u.id}\`, \`!edit ${u.id}\`)`
                : `not sent (${u.error ?? "failed"})`),
          );
        }
      }
      const reach = await liveTotals(extras.transport, broadcaster, list.map((b) => b.id));
      if (list.length > 0) lines.push(`**Your last ${plural(list.length, "broadcast")}:**`);
      for (const b of list) {
        const outcome = b.status === "pending"
          ? "sending now"
          : b.status === "aborted"
          ? `not sent (${b.error ?? "aborted"})`
          : `delivered to ${b.delivered} of ${b.channels}` +
            (b.failed > 0 ? `, ${b.failed} failed` : "") +
            (b.deleted > 0 ? `, ${b.deleted} deleted` : "") +
            (b.status === "interrupted" ? " (interrupted)" : "");
        lines.push(
          `- \`${b.id}\` · ${when(b.createdAt)} · ${plural(b.channels, "channel")} · ${outcome}` +
            (reach.get(b.id) ?? ""),
        );
      }
      if (list.length > 0) lines.push("`!status <id>` shows a broadcast channel by channel.");
      await ctx.reply(lines.join("\n"));
    },
  };
}

/** Finds the broadcast an `!undo`/`!retry` names, enforcing ownership; replies when it can't. */
async function pick(
  ctx: MessageContext,
  broadcaster: Broadcaster,
  args: string,
  command: string,
  scheduled?: ScheduledStore,
): Promise<BroadcastRecord | undefined> {
  const id = args.trim().toLowerCase();
  if (id === "") {
    const latest = broadcaster.log.recent(ctx.userId, 1)[0];
    if (latest === undefined) {
      await ctx.reply(`You have no broadcasts to ${command}.`);
    }
    return latest;
  }
  if (!ID.test(id)) {
    await ctx.reply(
      `${code(args)} is not a broadcast id. Ids look like \`k3m9x2qa\`; \`!history\` lists yours.`,
    );
    return undefined;
  }
  const record = broadcaster.log.get(id);
  if (record === undefined || (record.senderId !== ctx.userId && !ctx.isAdmin)) {
    const later = scheduled?.get(id);
    if (later?.status === "scheduled" && (later.senderId === ctx.userId || ctx.isAdmin)) {
      await ctx.reply(
        `Broadcast ${code(id)} has not gone out yet (it is scheduled), so there is nothing to ` +
          `${command}. \`!cancel ${id}\` cancels it; \`!edit ${id}\` changes its text.`,
      );
      return undefined;
    }
    await ctx.reply(
      `I have no broadcast ${code(id)} of yours. \`!history\` lists your broadcasts.`,
    );
    return undefined;
  }
  return record;
}

/**
 * One " · 5 reactions, 2 replies" per broadcast, read from the server in one go; empty when
 * the server cannot be read (the history is still worth showing).
 */
async function liveTotals(
  transport: RestTransport | undefined,
  broadcaster: Broadcaster,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (transport === undefined) return out;
  const postsOf = new Map(
    ids.map((id) => [
      id,
      broadcaster.log.deliveries(id).flatMap((d) =>
        d.status === "delivered" && d.postId !== null ? [d.postId] : []
      ),
    ]),
  );
  const all = [...postsOf.values()].flat();
  if (all.length === 0) return out;
  try {
    const live = await fetchLivePosts(transport, all);
    for (const [id, postIds] of postsOf) {
      if (postIds.length === 0) continue;
      const t = totals(postIds.flatMap((p) => live.get(p) ?? []));
      out.set(
        id,
        ` · ${plural(t.reactionCount, "reaction")}, ${plural(t.replies, "reply", "replies")}`,
      );
    }
  } catch {
    // Reactions and replies are extras; the history is shown without them.
  }
  return out;
}

/** `!undo [id]`. */
export function undoCommand(
  s: PostbotServices,
  broadcaster: Broadcaster,
  wizard: Wizard,
  scheduled?: ScheduledStore,
): Command {
  return {
    name: "undo",
    sideEffects: true,
    usage: "[broadcast id]",
    summary: "delete one of your broadcasts from every channel (your latest by default), " +
      "within the undo window; asks for confirmation",
    examples: ["!undo", "!undo k3m9x2qa"],
    run: async (ctx, args) => {
      const record = await pick(ctx, broadcaster, args, "undo", scheduled);
      if (record === undefined) return;
      if (broadcaster.isBusy(record.id) || record.status === "pending") {
        await ctx.reply(
          `Broadcast \`${record.id}\` is still being delivered; try again when I have reported.`,
        );
        return;
      }
      const closed = undoWindowClosed(record, s.config.undoWindowSeconds);
      if (closed !== undefined) {
        await ctx.reply(closed);
        return;
      }
      const delivered = broadcaster.log.deliveries(record.id).filter((d) =>
        d.status === "delivered"
      );
      if (delivered.length === 0) {
        await ctx.reply(
          `Broadcast \`${record.id}\` is in no channel, so there is nothing to undo.`,
        );
        return;
      }
      wizard.askUndo(ctx.userId, record.id);
      const hidden = await broadcaster.hiddenFor(
        { id: ctx.userId, username: ctx.username },
        delivered.map((d) => d.channelId),
      );
      const shown = delivered.filter((d) => !hidden.has(d.channelId));
      const names = [
        shown.slice(0, 30).map((d) => `~${d.name}`).join(", ") + (shown.length > 30 ? ", …" : ""),
        hidden.size > 0 ? hiddenChannelsText(hidden.size) : "",
      ].filter((p) => p !== "").join(", and ");
      await ctx.reply(
        `Delete broadcast \`${record.id}\`${
          record.senderId !== ctx.userId ? ` (sent by @\u200b${record.senderUsername})` : ""
        } from ${plural(delivered.length, "channel")}: ${names}? Answer **yes** or **no**.`,
      );
    },
  };
}

/** `!retry <id>`. */
export function retryCommand(broadcaster: Broadcaster, scheduled?: ScheduledStore): Command {
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
      const record = await pick(ctx, broadcaster, args, "retry", scheduled);
      if (record === undefined) return;
      if (broadcaster.isBusy(record.id) || record.status === "pending") {
        await ctx.reply(`Broadcast \`${record.id}\` is still being delivered; wait for my report.`);
        return;
      }
      if (broadcaster.log.deliveries(record.id).some((d) => d.status === "deleted")) {
        // Its posts were taken back on purpose; sending to the failed channels now would
        // leave it only there.
        await ctx.reply(
          `Broadcast \`${record.id}\` was undone; send a new broadcast instead.`,
        );
        return;
      }
      const n = broadcaster.retry(record.id, { id: ctx.userId, username: ctx.username });
      if (n === 0) {
        await ctx.reply(`Broadcast \`${record.id}\` has no failed channels; nothing to retry.`);
        return;
      }
      await ctx.reply(
        `Retrying broadcast \`${record.id}\` in ${plural(n, "channel")} that failed… ` +
          "I'll report when it's done.",
      );
    },
  };
}
