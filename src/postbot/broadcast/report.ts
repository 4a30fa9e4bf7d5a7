/**
 * What people read about a broadcast: the report to the sender, and the pieces of text the
 * audit lines are made of (the lines themselves follow the rule in {@link ./audit.ts}).
 *
 * @module
 */

import { describeDuration, SETTING } from "@postbot/framework/duration";
import { defuseEveryMention, excerpt, visible } from "@postbot/framework/text";
import { plural, quote } from "../format.ts";
import { hiddenChannelsText } from "../privacy.ts";
import {
  type BroadcastRecord,
  channelsOf,
  type DeliveryRecord,
  type DeliveryStatus,
  peopleOf,
  targetKey,
} from "./model.ts";

/** People named one by one in a report before the rest are counted. */
const PEOPLE_NAMED = 50;

/** Time as operators read it in logs and audit posts (UTC, minutes). */
export function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/** How many recipients of one kind there are, and how many are in each final state. */
export interface KindCounts {
  readonly total: number;
  readonly delivered: number;
  readonly failed: number;
  readonly deleted: number;
}

/** A broadcast's recipients counted by kind and state (see {@link tallyDeliveries}). */
export interface DeliveryCounts {
  readonly channels: KindCounts;
  readonly people: KindCounts;
}

/**
 * A broadcast's deliveries as the end-of-run report and audit line need them, read once, one
 * record at a time: every recipient counted; kept are the channels, and of the people only
 * those a report names (failed) or may hide (reached as members of a channel). 10,000 people
 * reached by name cost ten counters, not 10,000 records.
 */
export interface DeliveryTally {
  readonly counts: DeliveryCounts;
  readonly kept: readonly DeliveryRecord[];
}

/** A tally being counted: see {@link DeliveryTally}. */
class Tally {
  readonly #zero = () => ({ total: 0, delivered: 0, failed: 0, deleted: 0 });
  readonly counts = { channels: this.#zero(), people: this.#zero() };
  readonly kept: DeliveryRecord[] = [];

  add(d: DeliveryRecord): void {
    this.count(d.kind, d.status, 1);
    this.keep(d);
  }

  /** Counts `n` recipients of a kind in a state. */
  count(kind: DeliveryRecord["kind"], status: DeliveryStatus, n: number): void {
    const c = kind === "channel" ? this.counts.channels : this.counts.people;
    c.total += n;
    if (status === "delivered" || status === "failed" || status === "deleted") c[status] += n;
  }

  /** Keeps `d` if a report may name or hide it. */
  keep(d: DeliveryRecord): void {
    if (d.kind === "channel" || d.status === "failed" || d.reach.by === "members") {
      this.kept.push(d);
    }
  }
}

/** Where a broadcast's tally is read from: the log's counts and the records a report needs. */
export interface TallySource {
  /** How many recipients of each kind are in each state. */
  statusCounts(
    id: string,
  ): Promise<{ kind: DeliveryRecord["kind"]; status: DeliveryStatus; n: number }[]>;
  /** At least every delivery a report may name or hide (see {@link DeliveryTally}). */
  eachNotableDelivery(id: string): AsyncIterable<DeliveryRecord>;
}

/**
 * {@link tallyDeliveries} of a broadcast in the log, counted by the database: a run to 10,000
 * people reached by name reads ten counts and none of their records.
 */
export async function tallyFromLog(log: TallySource, id: string): Promise<DeliveryTally> {
  const tally = new Tally();
  for (const { kind, status, n } of await log.statusCounts(id)) tally.count(kind, status, n);
  for await (const d of log.eachNotableDelivery(id)) tally.keep(d);
  return { counts: tally.counts, kept: tally.kept };
}

/** Counts `deliveries` and keeps what a report of them needs (see {@link DeliveryTally}). */
export function tallyDeliveries(deliveries: Iterable<DeliveryRecord>): DeliveryTally {
  const tally = new Tally();
  for (const d of deliveries) tally.add(d);
  return { counts: tally.counts, kept: tally.kept };
}

/** {@link DeliveryCounts} of a list of deliveries. */
export function countDeliveries(deliveries: readonly DeliveryRecord[]): DeliveryCounts {
  return tallyDeliveries(deliveries).counts;
}

/**
 * "Delivered to 3 of 4 channels" / "... and 118 of 120 people" / "Delivered to 2 of 2 people":
 * delivered recipients of each kind.
 */
export function deliveredText(
  deliveries: readonly DeliveryRecord[],
  counts = countDeliveries(deliveries),
): string {
  const { channels, people } = counts;
  const c = `${channels.delivered} of ${channels.total} channel${channels.total === 1 ? "" : "s"}`;
  const p = `${people.delivered} of ${people.total} ${people.total === 1 ? "person" : "people"}`;
  return `Delivered to ${people.total === 0 ? c : channels.total === 0 ? p : `${c} and ${p}`}`;
}

/**
 * Recipients as a list for one reader: `~channel` / `@person`, hidden ones (private channels
 * the reader is not in, people reached only through them) counted, long lists of people cut.
 */
export function recipientNames(
  ds: readonly DeliveryRecord[],
  hidden: ReadonlySet<string>,
): string[] {
  const shown = ds.filter((d) => !hidden.has(targetKey(d)));
  const names = channelsOf(shown).map((d) => `~${d.name}`);
  const people = peopleOf(shown);
  names.push(...people.slice(0, PEOPLE_NAMED).map((d) => `@${d.username}`));
  if (people.length > PEOPLE_NAMED) names.push(`${people.length - PEOPLE_NAMED} more people`);
  const hiddenChannels = channelsOf(ds).filter((d) => hidden.has(targetKey(d))).length;
  const hiddenPeople = peopleOf(ds).filter((d) => hidden.has(targetKey(d))).length;
  if (hiddenChannels > 0) names.push(hiddenChannelsText(hiddenChannels));
  if (hiddenPeople > 0) names.push(hiddenPeopleText(hiddenPeople));
  return names;
}

/** People a reader may not see named: reached through private channels they are not in. */
export function hiddenPeopleText(n: number): string {
  return `${plural(n, "person", "people")} reached through channels you are not a member of`;
}

/** One line per recipient that failed, for one reader, with why. */
function failedLines(failed: readonly DeliveryRecord[], hidden: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  const shown = failed.filter((d) => !hidden.has(targetKey(d)));
  for (const d of channelsOf(shown)) {
    lines.push(`- ~${d.name} (${quote(d.displayName, 64)}): ${d.error ?? "unknown error"}`);
  }
  const people = peopleOf(shown);
  for (const d of people.slice(0, PEOPLE_NAMED)) {
    lines.push(`- @${d.username}: ${d.error ?? "unknown error"}`);
  }
  if (people.length > PEOPLE_NAMED) {
    lines.push(`- ${people.length - PEOPLE_NAMED} more people (\`!status\` lists them)`);
  }
  const hiddenChannels = channelsOf(failed).filter((d) => hidden.has(targetKey(d))).length;
  const hiddenPeople = peopleOf(failed).filter((d) => hidden.has(targetKey(d))).length;
  if (hiddenChannels > 0) {
    lines.push(`- ${hiddenChannelsText(hiddenChannels)} (an administrator can see which and why)`);
  }
  if (hiddenPeople > 0) lines.push(`- ${hiddenPeopleText(hiddenPeople)}`);
  return lines;
}

/**
 * The report to the sender after a delivery (or a retry) finished. `listDelivered` names the
 * recipients that got it too (after an interruption, where that is not obvious).
 */
export function deliveryReport(
  b: BroadcastRecord,
  deliveries: readonly DeliveryRecord[],
  options: {
    undoWindowSeconds: number;
    heading?: string;
    listDelivered?: boolean;
    /** Keys (targetKey) of recipients the reader may not see named: counted, never named. */
    hidden?: ReadonlySet<string>;
    /** Lines the reader should know besides the outcome (a refused priority label). */
    notes?: readonly string[];
    /**
     * The counts of every delivery when `deliveries` is a tally's kept part (not with
     * `listDelivered`, which names the delivered people).
     */
    counts?: DeliveryCounts;
  },
): string {
  const hidden = options.hidden ?? new Set<string>();
  const counts = options.counts ?? countDeliveries(deliveries);
  const all = deliveries.filter((d) => d.status === "delivered");
  const allFailed = deliveries.filter((d) => d.status === "failed");
  const lines = [
    `${options.heading ?? ""}**${deliveredText(deliveries, counts)}** (broadcast \`${b.id}\`).`,
  ];
  if (options.listDelivered && all.length > 0) {
    // After an interruption the sender must see exactly where the message is.
    lines.push("", `Delivered to: ${recipientNames(all, hidden).join(", ")}`);
  }
  if (allFailed.length > 0) {
    lines.push("", "Not delivered:", ...failedLines(allFailed, hidden));
    lines.push("", `Send \`!retry ${b.id}\` to try these again once the cause is fixed.`);
  }
  if (options.notes !== undefined && options.notes.length > 0) lines.push(...options.notes);
  if (counts.channels.delivered + counts.people.delivered > 0 && options.undoWindowSeconds > 0) {
    lines.push(
      `To take it back, send \`!undo ${b.id}\` within ${
        describeDuration(options.undoWindowSeconds * 1000, SETTING)
      }.`,
    );
  }
  return lines.join("\n");
}

/**
 * Why `!undo` is refused once the undo window has passed (see `withinWindow` in rules.ts).
 * Checked both when `!undo` asks and when the answer "yes" comes (possibly much later).
 */
export function undoWindowClosedText(b: BroadcastRecord, undoWindowSeconds: number): string {
  return `Broadcast \`${b.id}\` was sent ${when(b.createdAt)}, more than ` +
    `${
      describeDuration(undoWindowSeconds * 1000, SETTING)
    } ago, so it can no longer be undone by me. ` +
    "Delete the posts by hand, or ask a channel admin.";
}

/**
 * User text made harmless for the audit channel: one line, in a code span (no markdown, no
 * links, no headings; Mattermost never notifies from code), with every `@` defused too.
 */
export function inert(text: string, max: number): string {
  const line = excerpt(visible(text).replace(/\s+/g, " ").replace(/`/g, "\u02cb"), max);
  return "`" + defuseEveryMention(line) + "`";
}
