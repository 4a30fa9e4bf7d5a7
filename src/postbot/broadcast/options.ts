/**
 * The options a sender may choose at the preview, carried by the broadcast (and a scheduled one)
 * from the yes to every post and reminder: asking the recipients to acknowledge it, Mattermost's
 * priority label, and an automatic reminder. Pure types and words, no I/O.
 *
 * @module
 */

import { describeDuration, SETTING } from "@postbot/framework/duration";

/** Mattermost's priority label of a root post (`metadata.priority.priority`); "" is none. */
export type Priority = "" | "important" | "urgent";

/** The labels a sender may choose, as the preview's answer spells them. */
export const PRIORITIES: readonly Exclude<Priority, "">[] = ["important", "urgent"];

/** What the sender chose at the preview. */
export interface BroadcastOptions {
  /** Recipients are asked to confirm they read it (a button, or a reaction). */
  readonly ack: boolean;
  readonly priority: Priority;
  /** An automatic reminder this long after it went out; null for none. */
  readonly remindAfterMs: number | null;
}

/** No option chosen: a plain broadcast. */
export const NO_OPTIONS: BroadcastOptions = { ack: false, priority: "", remindAfterMs: null };

/** The shortest automatic reminder (a reminder right away is `!remind`). */
export const MIN_REMIND_MS = 10_000;

/** The longest automatic reminder: 30 days. */
export const MAX_REMIND_MS = 30 * 86_400_000;

/** Whether any option was chosen. */
export function hasOptions(o: BroadcastOptions): boolean {
  return o.ack || o.priority !== "" || o.remindAfterMs !== null;
}

/**
 * The options in words, for confirmations and reports: "asking for acknowledgement, marked
 * urgent, a reminder after 1 day"; "" when none.
 */
export function optionsText(o: BroadcastOptions): string {
  const parts = [
    o.ack ? "asking for acknowledgement" : "",
    o.priority !== "" ? `marked ${o.priority}` : "",
    o.remindAfterMs !== null
      ? `a reminder after ${describeDuration(o.remindAfterMs, SETTING)}`
      : "",
  ].filter((p) => p !== "");
  return parts.join(", ");
}

/**
 * The options as the sender would type them after `yes` (`ack urgent remind after 24h`), for
 * texts that say exactly what to answer; "" when none.
 */
export function optionWords(o: BroadcastOptions): string {
  return [
    o.ack ? "ack" : "",
    o.priority,
    o.remindAfterMs !== null ? `remind after ${compactDuration(o.remindAfterMs)}` : "",
  ].filter((w) => w !== "").join(" ");
}

/** `2d`, `36h`, `90m`, `45s`: the largest unit that counts the duration exactly. */
function compactDuration(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.ceil(ms / 1000)}s`;
}

/**
 * The options as the `broadcasts` and `scheduled_broadcasts` tables keep them
 * (`ack_requested`, `priority`, `remind_after_ms`); a row without them has none.
 */
export function optionsFromColumns(r: Readonly<Record<string, unknown>>): BroadcastOptions {
  const priority = r.priority === "important" || r.priority === "urgent" ? r.priority : "";
  const remind = r.remind_after_ms;
  return {
    ack: Number(r.ack_requested ?? 0) === 1,
    priority,
    remindAfterMs: remind === null || remind === undefined ? null : Number(remind),
  };
}
