/**
 * `!export <id> [members]`: a broadcast as a CSV file, uploaded by the bot to the asker's DM
 * (see broadcast/export.ts for the rows). The same rules as `!status`: the asker's own
 * broadcasts, or any for an administrator; private channels the asker is not a member of
 * (and people reached only through them) are left out and counted in the answer.
 *
 * @module
 */

import type { FileInfo } from "@mattermost/types/files";
import {
  type Command,
  FileBytes,
  MattermostError,
  type MessageContext,
  multipartBody,
  type RestTransport,
} from "@postbot/framework";
import { askerOf } from "../broadcast/rules.ts";
import type { BroadcastService } from "../broadcast/service.ts";
import { fetchLivePosts } from "../broadcast/status.ts";
import { type CsvFile, membersCsv, recipientsCsv } from "../broadcast/export.ts";
import { EXPORT_BUDGET, type SeenReader } from "../broadcast/seen.ts";
import { type BroadcastRecord, type DeliveryRecord, targetKey } from "../broadcast/model.ts";
import { code, plural } from "../format.ts";
import { hiddenChannelsText } from "../privacy.ts";
import { hiddenPeopleText } from "../broadcast/report.ts";
import { notFoundText } from "./status.ts";

/** What `!export` reads and where it uploads. */
export interface ExportSource {
  readonly broadcasts: Pick<BroadcastService, "find" | "deliveries" | "hiddenFor">;
  readonly transport: RestTransport;
  readonly permalink: (postId: string) => string;
  readonly seen: Pick<SeenReader, "read">;
}

/** `!export` words: `[id] [members]`. */
export function exportArgs(args: string): { id: string; members: boolean } {
  const words = args.trim().split(/\s+/).filter((w) => w !== "");
  if (words.at(-1)?.toLowerCase() === "members") {
    return { id: words.slice(0, -1).join(" "), members: true };
  }
  return { id: args, members: false };
}

/** `!export [id] [members]`. */
export function exportCommand(source: ExportSource): Command {
  return {
    name: "export",
    usage: "[broadcast id] [members]",
    summary: "a broadcast as a CSV file in this DM: one row per recipient (delivered, " +
      "permalink, seen, acknowledged, reminded, error); `members`: one row per member of " +
      "its channels",
    examples: ["!export k3m9x2qa", "!export k3m9x2qa members"],
    run: async (ctx, args) => {
      const { id, members } = exportArgs(args);
      const found = await source.broadcasts.find(askerOf(ctx), id);
      if (found.kind !== "found") {
        await ctx.reply(notFoundText(found, id));
        return;
      }
      await exportBroadcast(source, ctx, found.record, members);
    },
  };
}

/** Builds the file, uploads it to the asker's DM and posts it there with a line about it. */
async function exportBroadcast(
  source: ExportSource,
  ctx: MessageContext,
  record: BroadcastRecord,
  members: boolean,
): Promise<void> {
  const deliveries = await source.broadcasts.deliveries(record.id);
  const hidden = await source.broadcasts.hiddenFor(
    { id: ctx.userId, username: ctx.username },
    deliveries,
  );
  const shown = deliveries.filter((d) => !hidden.has(targetKey(d)));
  const ids = shown.flatMap((d) => d.status === "delivered" && d.postId !== null ? [d.postId] : []);
  try {
    const [live, reading] = await Promise.all([
      fetchLivePosts(source.transport, ids),
      source.seen.read(record.id, shown, EXPORT_BUDGET),
    ]);
    const input = { record, shown, live, reading, permalink: source.permalink };
    const file = members ? membersCsv(input) : recipientsCsv(input);
    const fileId = await upload(source.transport, ctx.message.channelId, file);
    if (fileId === undefined) return await ctx.reply(failedText(record, members, "no file id"));
    await ctx.replyWithFiles(answerText(record, file, deliveries, shown, members), [fileId]);
  } catch (e) {
    if (!(e instanceof MattermostError)) throw e;
    await ctx.reply(failedText(record, members, e.message));
  }
}

/** Why there is no file, and what to try. */
function failedText(record: BroadcastRecord, members: boolean, why: string): string {
  return `I could not make the export of ${code(record.id)} (${why}); ` +
    `try \`!export ${record.id}${members ? " members" : ""}\` again in a moment.`;
}

/** Uploads the CSV to the DM as the bot; its file id (undefined: the server kept none). */
async function upload(
  transport: RestTransport,
  channelId: string,
  file: CsvFile,
): Promise<string | undefined> {
  const body = multipartBody([["channel_id", channelId]], [{
    field: "files",
    filename: file.name,
    contentType: "text/csv",
    content: new FileBytes([new TextEncoder().encode(file.text)]),
  }]);
  const response = await transport.send(transport.api("/files"), {
    method: "POST",
    headers: { "Content-Type": body.contentType },
    body: () => body.stream(),
  });
  const infos = (await response.json() as { file_infos?: FileInfo[] }).file_infos ?? [];
  return infos.length === 1 ? infos[0].id : undefined;
}

/** The line posted with the file: what it holds, and what was left out. */
function answerText(
  record: BroadcastRecord,
  file: CsvFile,
  all: readonly DeliveryRecord[],
  shown: readonly DeliveryRecord[],
  members: boolean,
): string {
  const count = (ds: readonly DeliveryRecord[], kind: DeliveryRecord["kind"]) =>
    ds.filter((d) => d.kind === kind).length;
  const channels = count(all, "channel") - count(shown, "channel");
  const people = count(all, "person") - count(shown, "person");
  const left = [
    ...(channels > 0 ? [hiddenChannelsText(channels)] : []),
    ...(people > 0 ? [hiddenPeopleText(people)] : []),
  ];
  return `Export of broadcast ${code(record.id)}: ${
    plural(file.rows, members ? "member row" : "recipient row")
  } (CSV, UTF-8).` + (left.length > 0 ? ` Left out: ${left.join("; ")}.` : "");
}
