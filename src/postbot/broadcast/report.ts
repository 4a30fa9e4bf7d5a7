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
  peopleOf,
  targetKey,
} from "./model.ts";

/** People named one by one in a report before the rest are counted. */
const PEOPLE_NAMED = 50;

/** Time as operators read it in logs and audit posts (UTC, minutes). */
export function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/**
 * "Delivered to 3 of 4 channels" / "... and 118 of 120 people" / "Delivered to 2 of 2 people":
 * delivered recipients of each kind.
 */
export function deliveredText(deliveries: readonly DeliveryRecord[]): string {
  const count = (ds: readonly DeliveryRecord[]) =>
    `${ds.filter((d) => d.status === "delivered").length} of ${ds.length}`;
  const channels = channelsOf(deliveries);
  const people = peopleOf(deliveries);
  const c = `${count(channels)} channel${channels.length === 1 ? "" : "s"}`;
  const p = `${count(people)} ${people.length === 1 ? "person" : "people"}`;
  return `Delivered to ${people.length === 0 ? c : channels.length === 0 ? p : `${c} and ${p}`}`;
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
  },
): string {
  const hidden = options.hidden ?? new Set<string>();
  const all = deliveries.filter((d) => d.status === "delivered");
  const allFailed = deliveries.filter((d) => d.status === "failed");
  const lines = [
    `${options.heading ?? ""}**${deliveredText(deliveries)}** (broadcast \`${b.id}\`).`,
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
  if (all.length > 0 && options.undoWindowSeconds > 0) {
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
