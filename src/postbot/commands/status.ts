/**
 * `!status <id>`: how a broadcast landed, from the live server (see {@link statusReport}).
 *
 * @module
 */

import {
  type Command,
  MattermostError,
  type MessageContext,
  type RestTransport,
  unreachable,
} from "@postbot/framework";
import { askerOf, type NotFound } from "../broadcast/rules.ts";
import type { BroadcastService } from "../broadcast/service.ts";
import { fetchLivePosts, statusReport } from "../broadcast/status.ts";
import { code } from "../format.ts";
import { describeSendTime } from "../broadcast/scheduled/time_expression.ts";
import type { BroadcastRecord } from "../broadcast/model.ts";

/** What `!status` reads: the broadcast, its live posts, and where permalinks point. */
export interface StatusSource {
  readonly broadcasts: Pick<BroadcastService, "find" | "deliveries" | "hiddenFor">;
  readonly transport: RestTransport;
  /** The permalink of a post (`<server>/<team>/pl/<post id>`). */
  readonly permalink: (postId: string) => string;
  /** More lines about a broadcast (acknowledgements, reminders), shown after the report. */
  readonly more?: (record: BroadcastRecord) => readonly string[];
}

/** `!status [id]`. */
export function statusCommand(source: StatusSource): Command {
  return {
    name: "status",
    usage: "[broadcast id]",
    summary:
      "how a broadcast landed (your latest by default): per channel and person when it was " +
      "delivered, a permalink, reactions by emoji and thread replies; and the totals",
    examples: ["!status", "!status k3m9x2qa"],
    run: async (ctx, args) => {
      const found = source.broadcasts.find(askerOf(ctx), args);
      if (found.kind !== "found") {
        await ctx.reply(notFoundText(found, args));
        return;
      }
      await ctx.reply(await statusText(source, ctx, found.record));
    },
  };
}

/** The status of one broadcast, or why the server could not be read. */
async function statusText(
  source: StatusSource,
  ctx: MessageContext,
  record: BroadcastRecord,
): Promise<string> {
  const deliveries = source.broadcasts.deliveries(record.id);
  const ids = deliveries.flatMap((d) =>
    d.status === "delivered" && d.postId !== null ? [d.postId] : []
  );
  let live;
  try {
    live = await fetchLivePosts(source.transport, ids);
  } catch (e) {
    return `I could not read the posts from the server (${
      e instanceof MattermostError ? e.message : String(e)
    }); try \`!status ${record.id}\` again in a moment.`;
  }
  const hidden = await source.broadcasts.hiddenFor(
    { id: ctx.userId, username: ctx.username },
    deliveries,
  );
  const more = source.more?.(record) ?? [];
  return [statusReport(record, deliveries, live, source.permalink, hidden), ...more].join("\n");
}

/** Why `!status` found nothing to show. */
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
