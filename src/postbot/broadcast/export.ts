/**
 * `!export`'s files: one row per recipient of a broadcast (a channel or a person: delivered
 * when, its permalink, seen, acknowledged, reminded, why not delivered), or one row per member
 * of its channels (seen, acknowledged). The caller passes only the recipients its reader may
 * see named; the text is CSV as csv.ts writes it. Times are ISO 8601 in UTC.
 *
 * @module
 */

import { csvText } from "./csv.ts";
import type { BroadcastRecord, DeliveryRecord } from "./model.ts";
import type { SeenPicture } from "./seen.ts";
import type { LivePost } from "./status.ts";

/** The columns of the recipients file. */
export const RECIPIENT_COLUMNS = [
  "kind",
  "channel",
  "username",
  "display_name",
  "status",
  "delivered_at",
  "permalink",
  "seen",
  "seen_at",
  "acknowledged",
  "acknowledged_at",
  "reminded_at",
  "error",
] as const;

/** The columns of the members file. */
export const MEMBER_COLUMNS = [
  "channel",
  "username",
  "display_name",
  "seen",
  "acknowledged_at",
] as const;

/** What an export is made from. */
export interface ExportInput {
  readonly record: BroadcastRecord;
  /** The recipients the reader may see named. */
  readonly shown: readonly DeliveryRecord[];
  readonly live: ReadonlyMap<string, LivePost>;
  readonly reading: SeenPicture;
  readonly permalink: (postId: string) => string;
}

/** A CSV file's text and its number of rows (the header not counted). */
export interface CsvFile {
  readonly name: string;
  readonly text: string;
  readonly rows: number;
}

/** An instant as the files write it ("" for none). */
function iso(ms: number | undefined): string {
  return ms === undefined ? "" : new Date(ms).toISOString();
}

/** When a delivery's post was made: the live post's time, else when it was recorded. */
function deliveredAt(d: DeliveryRecord, live: ReadonlyMap<string, LivePost>): string {
  if (d.status !== "delivered" || d.postId === null) return "";
  return iso(live.get(d.postId)?.createAt ?? d.updatedAt);
}

/** The seen columns of a channel: "37 of 120" members (or why not counted). */
function channelSeen(d: Extract<DeliveryRecord, { kind: "channel" }>, p: SeenPicture): string[] {
  if (d.status !== "delivered") return ["", "", "", ""];
  const c = p.channels.get(d.channelId);
  if (c === undefined || c.kind === "skipped") return ["not counted", "", "", ""];
  if (c.kind === "failed") return [`not counted: ${c.reason}`, "", "", ""];
  const seen = c.members.filter((m) => m.seen).length;
  const acked = c.members.filter((m) => p.acks.has(m.userId)).length;
  const of = (n: number) => `${n} of ${c.members.length}`;
  return [of(seen), "", of(acked), ""];
}

/** The seen columns of a person: yes / no / not asked, and when postbot found out. */
function personSeen(d: Extract<DeliveryRecord, { kind: "person" }>, p: SeenPicture): string[] {
  const ack = p.acks.get(d.userId);
  const acked = [ack === undefined ? "no" : "yes", iso(ack?.at)];
  if (d.status !== "delivered") return ["", "", ...(ack === undefined ? ["", ""] : acked)];
  const s = p.people.get(d.userId);
  const seen = s === undefined || s.kind === "unchecked"
    ? ["not asked yet", ""]
    : s.kind === "seen"
    ? ["yes", iso(s.at)]
    : s.kind === "not_seen"
    ? ["no", ""]
    : [`unknown: ${s.reason}`, ""];
  return [...seen, ...acked];
}

/** One row per recipient. */
export function recipientsCsv(input: ExportInput): CsvFile {
  const { shown, live, reading, permalink } = input;
  const rows = shown.map((d) => {
    const link = d.status === "delivered" && d.postId !== null ? permalink(d.postId) : "";
    const common = [d.status, deliveredAt(d, live), link];
    if (d.kind === "channel") {
      return [
        "channel",
        d.name,
        "",
        d.displayName,
        ...common,
        ...channelSeen(d, reading),
        "",
        d.error ?? "",
      ];
    }
    return [
      "person",
      "",
      d.username,
      d.displayName,
      ...common,
      ...personSeen(d, reading),
      iso(reading.reminded.get(d.userId)),
      d.error ?? "",
    ];
  });
  return {
    name: `broadcast-${input.record.id}.csv`,
    text: csvText(RECIPIENT_COLUMNS, rows),
    rows: rows.length,
  };
}

/** One row per member of the broadcast's channels (a row saying why for a channel not read). */
export function membersCsv(input: ExportInput): CsvFile {
  const rows: string[][] = [];
  for (const d of input.shown) {
    if (d.kind !== "channel" || d.status !== "delivered") continue;
    const c = input.reading.channels.get(d.channelId);
    if (c === undefined || c.kind !== "read") {
      const why = c?.kind === "failed" ? c.reason : "not read this time";
      rows.push([d.name, "", "", `unknown: ${why}`, ""]);
      continue;
    }
    for (const m of c.members) {
      const ack = input.reading.acks.get(m.userId);
      rows.push([d.name, m.username, m.displayName, m.seen ? "yes" : "no", iso(ack?.at)]);
    }
  }
  return {
    name: `broadcast-${input.record.id}-members.csv`,
    text: csvText(MEMBER_COLUMNS, rows),
    rows: rows.length,
  };
}
