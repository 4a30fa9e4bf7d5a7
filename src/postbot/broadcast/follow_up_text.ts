/**
 * What `!status` adds about a broadcast's follow-up: who acknowledged it (when it asked), the
 * reminders sent, the automatic one still waiting, and what to send next. Counts only: a
 * channel's members are that channel's business.
 *
 * @module
 */

import { code, plural } from "../format.ts";
import { type BroadcastRecord, type DeliveryRecord, peopleOf } from "./model.ts";
import { NO_OPTIONS } from "./options.ts";
import { fromNow } from "./scheduled/time_expression.ts";

/** The facts the lines are written from. */
export interface FollowUpFacts {
  readonly record: BroadcastRecord;
  readonly deliveries: readonly DeliveryRecord[];
  /** Who acknowledged it. */
  readonly acknowledged: ReadonlySet<string>;
  /** People reminded so far (each reminder of each person counted). */
  readonly reminders: number;
  /** When the automatic reminder goes out, if it still waits. */
  readonly reminderDue: number | undefined;
  readonly now: number;
}

/** The lines, empty when the broadcast chose no option and was never reminded. */
export function followUpLines(f: FollowUpFacts): string[] {
  const options = f.record.options ?? NO_OPTIONS;
  const lines: string[] = [];
  if (options.ack) {
    const people = peopleOf(f.deliveries).filter((d) => d.status === "delivered");
    const direct = people.filter((d) => f.acknowledged.has(d.userId)).length;
    const elsewhere = f.acknowledged.size - direct;
    lines.push(
      `**Acknowledged:** ${direct} of ${plural(people.length, "person", "people")} reached ` +
        `directly` + (elsewhere > 0 || people.length < f.deliveries.length
          ? `, ${plural(elsewhere, "member")} of its channels`
          : ""),
    );
  }
  if (options.priority !== "") lines.push(`**Priority:** ${options.priority}`);
  if (f.reminders > 0) lines.push(`**Reminders sent:** ${f.reminders}`);
  if (f.reminderDue !== undefined) {
    lines.push(`**Automatic reminder:** ${fromNow(Math.max(0, f.reminderDue - f.now))}`);
  }
  if (lines.length === 0) return [];
  return ["", ...lines, `${code(`!remind ${f.record.id}`)} reminds those missing.`];
}
