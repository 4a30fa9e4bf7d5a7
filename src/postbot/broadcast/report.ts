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
import type { BroadcastRecord, DeliveryRecord } from "./model.ts";

/** Time as operators read it in logs and audit posts (UTC, minutes). */
export function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

/**
 * The report to the sender after a delivery (or a retry) finished. `listDelivered` names the
 * channels that got it too (after an interruption, where that is not obvious).
 */
export function deliveryReport(
  b: BroadcastRecord,
  deliveries: readonly DeliveryRecord[],
  options: {
    undoWindowSeconds: number;
    heading?: string;
    listDelivered?: boolean;
    /** Private channels the reader is not a member of: counted, never named. */
    hidden?: ReadonlySet<string>;
  },
): string {
  const hidden = options.hidden ?? new Set<string>();
  const all = deliveries.filter((d) => d.status === "delivered");
  const allFailed = deliveries.filter((d) => d.status === "failed");
  const delivered = all.filter((d) => !hidden.has(d.channelId));
  const failed = allFailed.filter((d) => !hidden.has(d.channelId));
  const hiddenDelivered = all.length - delivered.length;
  const hiddenFailed = allFailed.length - failed.length;
  const lines = [
    `${options.heading ?? ""}**Delivered to ${all.length} of ${
      plural(deliveries.length, "channel")
    }** (broadcast \`${b.id}\`).`,
  ];
  if (options.listDelivered && all.length > 0) {
    // After an interruption the sender must see exactly where the message is.
    const names = delivered.map((d) => `~${d.name}`);
    if (hiddenDelivered > 0) names.push(hiddenChannelsText(hiddenDelivered));
    lines.push("", `Delivered to: ${names.join(", ")}`);
  }
  if (allFailed.length > 0) {
    lines.push("", "Not delivered:");
    for (const d of failed) {
      lines.push(`- ~${d.name} (${quote(d.displayName, 64)}): ${d.error ?? "unknown error"}`);
    }
    if (hiddenFailed > 0) {
      lines.push(`- ${hiddenChannelsText(hiddenFailed)} (an administrator can see which and why)`);
    }
    lines.push("", `Send \`!retry ${b.id}\` to try these channels again once the cause is fixed.`);
  }
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
