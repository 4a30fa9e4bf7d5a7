/**
 * `!status <id>`: how a broadcast landed, from the live server (see {@link statusReport}).
 *
 * @module
 */

import { type Command, MattermostError } from "@postbot/framework";
import type { Broadcaster } from "../broadcast/broadcaster.ts";
import { fetchLivePosts, statusReport } from "../broadcast/status.ts";
import { code } from "../format.ts";
import type { ScheduledStore } from "../schedule/store.ts";
import { describeSendTime } from "../schedule/time_expression.ts";
import type { PostbotServices } from "../services.ts";

const ID = /^[a-z0-9]{4,32}$/;

/** `!status [id]`. */
export function statusCommand(
  s: PostbotServices,
  broadcaster: Broadcaster,
  scheduled: ScheduledStore,
): Command {
  return {
    name: "status",
    usage: "[broadcast id]",
    summary: "how a broadcast landed (your latest by default): per channel when it was " +
      "delivered, a permalink, reactions by emoji and thread replies; and the totals",
    examples: ["!status", "!status k3m9x2qa"],
    run: async (ctx, args) => {
      const id = args.trim().toLowerCase();
      const record = id === ""
        ? broadcaster.log.recent(ctx.userId, 1)[0]
        : ID.test(id)
        ? broadcaster.log.get(id)
        : undefined;
      if (record === undefined || (record.senderId !== ctx.userId && !ctx.isAdmin)) {
        const later = ID.test(id) ? scheduled.get(id) : undefined;
        if (later?.status === "scheduled" && (later.senderId === ctx.userId || ctx.isAdmin)) {
          await ctx.reply(
            `Broadcast ${code(id)} has not gone out yet: it is scheduled for ${
              describeSendTime({ at: later.dueAt, zone: later.zone }, Date.now())
            }.`,
          );
          return;
        }
        await ctx.reply(
          id === ""
            ? "You have not sent any broadcasts yet."
            : `I have no broadcast ${code(args)} of yours. \`!history\` lists your broadcasts.`,
        );
        return;
      }
      const deliveries = broadcaster.log.deliveries(record.id);
      const ids = deliveries.flatMap((d) =>
        d.status === "delivered" && d.postId !== null ? [d.postId] : []
      );
      let live;
      try {
        live = await fetchLivePosts(s.transport, ids);
      } catch (e) {
        await ctx.reply(
          `I could not read the posts from the server (${
            e instanceof MattermostError ? e.message : String(e)
          }); try \`!status ${record.id}\` again in a moment.`,
        );
        return;
      }
      const base = `${s.config.serverUrl}/${s.identity.teamName}/pl/`;
      const hidden = await broadcaster.hiddenFor(
        { id: ctx.userId, username: ctx.username },
        deliveries.map((d) => d.channelId),
      );
      await ctx.reply(statusReport(record, deliveries, live, (postId) => base + postId, hidden));
    },
  };
}
