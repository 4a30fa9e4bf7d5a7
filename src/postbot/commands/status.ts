/**
 * `!status <id>`: how a broadcast landed, from the live server (see {@link statusReport}),
 * with who has seen and acknowledged it (see seen.ts); `!status <id> unseen` and `unacked`
 * name the people who have not -- to the sender and administrators only, like all of
 * `!status`.
 *
 * @module
 */

import { requirementsText, whenText } from "../broadcast/approval/approval_text.ts";
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
import { type BroadcastRecord, type DeliveryRecord, targetKey } from "../broadcast/model.ts";
import { NAMES_BUDGET, type SeenReader, STATUS_BUDGET } from "../broadcast/seen.ts";
import { type NamesList, namesListText } from "../broadcast/seen_text.ts";
import { hiddenChannelsText } from "../privacy.ts";
import { hiddenPeopleText } from "../broadcast/report.ts";

/** What `!status` reads: the broadcast, its live posts, and where permalinks point. */
export interface StatusSource {
  readonly broadcasts: Pick<BroadcastService, "find" | "deliveries" | "hiddenFor">;
  readonly transport: RestTransport;
  /** The permalink of a post (`<server>/<team>/pl/<post id>`). */
  readonly permalink: (postId: string) => string;
  /** More lines about a broadcast (acknowledgements, reminders), shown after the report. */
  readonly more?: (record: BroadcastRecord) => Promise<readonly string[]>;
  /** Who has seen it; absent, `!status` shows no seen figures and no lists. */
  readonly seen?: Pick<SeenReader, "read">;
}

/** `!status` words: `[id] [unseen|unacked]`. */
export function statusArgs(args: string): { id: string; list?: NamesList } {
  const words = args.trim().split(/\s+/).filter((w) => w !== "");
  const last = words.at(-1)?.toLowerCase();
  if (last === "unseen" || last === "unacked") {
    return { id: words.slice(0, -1).join(" "), list: last };
  }
  return { id: args };
}

/** `!status [id]`. */
export function statusCommand(source: StatusSource): Command {
  return {
    name: "status",
    usage: "[broadcast id] [unseen|unacked]",
    summary:
      "how a broadcast landed (your latest by default): per channel and person when it was " +
      "delivered, a permalink, reactions, replies, who has seen and acknowledged it; the " +
      "totals. `unseen` / `unacked` name who has not",
    examples: ["!status", "!status k3m9x2qa", "!status k3m9x2qa unseen"],
    run: async (ctx, args) => {
      const { id, list } = statusArgs(args);
      const found = await source.broadcasts.find(askerOf(ctx), id);
      if (found.kind !== "found") {
        await ctx.reply(notFoundText(found, id));
        return;
      }
      await ctx.reply(
        list === undefined
          ? await statusText(source, ctx, found.record)
          : await namesText(source, ctx, found.record, list),
      );
    },
  };
}

/** The status of one broadcast, or why the server could not be read. */
async function statusText(
  source: StatusSource,
  ctx: MessageContext,
  record: BroadcastRecord,
): Promise<string> {
  const deliveries = await source.broadcasts.deliveries(record.id);
  const ids = deliveries.flatMap((d) =>
    d.status === "delivered" && d.postId !== null ? [d.postId] : []
  );
  const hidden = await source.broadcasts.hiddenFor(
    { id: ctx.userId, username: ctx.username },
    deliveries,
  );
  const shown = deliveries.filter((d) => !hidden.has(targetKey(d)));
  let live;
  let reading;
  try {
    [live, reading] = await Promise.all([
      fetchLivePosts(source.transport, ids),
      source.seen?.read(record.id, shown, STATUS_BUDGET),
    ]);
  } catch (e) {
    return `I could not read the posts from the server (${
      e instanceof MattermostError ? e.message : String(e)
    }); try \`!status ${record.id}\` again in a moment.`;
  }
  const more = await source.more?.(record) ?? [];
  return [statusReport(record, deliveries, live, source.permalink, hidden, reading), ...more]
    .join("\n");
}

/** `!status <id> unseen|unacked`: who has not seen (acknowledged) it, by name. */
async function namesText(
  source: StatusSource,
  ctx: MessageContext,
  record: BroadcastRecord,
  list: NamesList,
): Promise<string> {
  // Names of people who have not read or acknowledged are for the sender and administrators
  // only (find() already keeps everyone else to their own broadcasts).
  if (record.senderId !== ctx.userId && !ctx.isAdmin) {
    return `I have no broadcast ${code(record.id)} of yours.`;
  }
  if (source.seen === undefined) return "Who has seen a broadcast is not available here.";
  const deliveries = await source.broadcasts.deliveries(record.id);
  const hidden = await source.broadcasts.hiddenFor(
    { id: ctx.userId, username: ctx.username },
    deliveries,
  );
  const shown = deliveries.filter((d) => !hidden.has(targetKey(d)));
  const budget = list === "unseen" ? STATUS_BUDGET : NAMES_BUDGET;
  const reading = await source.seen.read(record.id, shown, budget);
  return [...namesListText(record.id, shown, reading, list), ...leftOut(deliveries, shown)]
    .join("\n");
}

/** What a names list leaves out: recipients the reader may not see named. */
function leftOut(all: readonly DeliveryRecord[], shown: readonly DeliveryRecord[]): string[] {
  const count = (ds: readonly DeliveryRecord[], kind: DeliveryRecord["kind"]) =>
    ds.filter((d) => d.kind === kind).length;
  const channels = count(all, "channel") - count(shown, "channel");
  const people = count(all, "person") - count(shown, "person");
  return [
    ...(channels > 0 ? [`Left out: ${hiddenChannelsText(channels)}.`] : []),
    ...(people > 0 ? [`Left out: ${hiddenPeopleText(people)}.`] : []),
  ];
}

/** Why `!status` (or `!export`) found nothing to show. */
export function notFoundText(nf: NotFound, args: string): string {
  switch (nf.kind) {
    case "none_yet":
      return "You have not sent any broadcasts yet.";
    case "scheduled":
      return nf.scheduled.status === "awaiting_approval" && nf.scheduled.approval !== undefined
        ? `Broadcast ${code(nf.scheduled.id)} has not gone out yet: it awaits approval (${
          requirementsText(nf.scheduled.approval.requirements)
        }), then goes out ${
          whenText({ ...nf.scheduled, approval: nf.scheduled.approval }, Date.now())
            .replace("as soon as it is approved", "at once")
        }.`
        : `Broadcast ${code(nf.scheduled.id)} has not gone out yet: it is scheduled for ${
          describeSendTime({ at: nf.scheduled.dueAt, zone: nf.scheduled.zone }, Date.now())
        }.`;
    case "not_an_id":
    case "unknown":
      return `I have no broadcast ${code(args)} of yours. \`!history\` lists your broadcasts.`;
    default:
      return unreachable(nf);
  }
}
