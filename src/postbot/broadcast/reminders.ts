/**
 * Reminders of a broadcast: who is still missing, and what each of them is sent. Missing means
 * not acknowledged when the broadcast asked for acknowledgement, otherwise not seen (the `seen`
 * table, read through {@link SeenSource}). Who gets what:
 *
 * - a person the broadcast reached in their DM gets a short reminder there, with a link to the
 *   post (its permalink);
 * - a channel gets one reminder post with the link and how many have acknowledged, naming and
 *   notifying nobody (never `@channel`); when acknowledgement was asked, each member who has not
 *   acknowledged also gets the reminder in their DM with the bot.
 *
 * Each person reminded is a row of `reminders`; the automatic reminder a sender asked for at the
 * preview waits in `reminders_due` (written with the broadcast, cancelled by `!undo`).
 *
 * @module
 */

import type { Database } from "../database/port.ts";
import { type FenceSource, SOLE_INSTANCE } from "../database/fencing.ts";
import { plural } from "../format.ts";
import { ACK_EMOJI } from "./ack_post.ts";
import {
  type BroadcastRecord,
  type ChannelDelivery,
  type DeliveryRecord,
  recipientsText,
} from "./model.ts";
import { NO_OPTIONS } from "./options.ts";
import { earliest } from "./earliest.ts";

/**
 * Who has seen a broadcast: the people whose view of its post was recorded in the `seen`
 * table. The seen feature fills it; until it does, nobody counts as having seen anything.
 */
export interface SeenSource {
  seenBy(broadcastId: string): Promise<ReadonlySet<string>>;
}

/** {@link SeenSource} reading the `seen` table as it stands. */
export class SeenTable implements SeenSource {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async seenBy(broadcastId: string): Promise<ReadonlySet<string>> {
    const rows = await this.#db.query<{ user_id: string }>(
      "SELECT user_id FROM seen WHERE broadcast_id = ?",
      [broadcastId],
    );
    return new Set(rows.map((r) => r.user_id));
  }
}

/** An automatic reminder waiting for its time. */
export interface DueReminder {
  readonly broadcastId: string;
  readonly dueAt: number;
}

/**
 * The `reminders` and `reminders_due` tables. Taking a due reminder to send it is fenced: an
 * instance that lost the lease takes none.
 */
export class ReminderStore {
  readonly #db: Database;
  readonly #fence: FenceSource;

  constructor(db: Database, fence: FenceSource = SOLE_INSTANCE) {
    this.#db = db;
    this.#fence = fence;
  }

  /** Automatic reminders whose time has come, soonest first. */
  async due(now: number): Promise<DueReminder[]> {
    const rows = await this.#db.query<{ broadcast_id: string; due_at: number }>(
      `SELECT broadcast_id, due_at FROM reminders_due WHERE status = 'waiting' AND due_at <= ?
       ORDER BY due_at`,
      [now],
    );
    return rows.map((r) => ({ broadcastId: r.broadcast_id, dueAt: Number(r.due_at) }));
  }

  /** The next automatic reminder's time, if one waits. */
  nextDue(): Promise<number | undefined> {
    return earliest(this.#db, "reminders_due", "due_at", "status = 'waiting'");
  }

  /** The automatic reminder of a broadcast, if it still waits. */
  async waiting(broadcastId: string): Promise<DueReminder | undefined> {
    const [row] = await this.#db.query<{ due_at: number }>(
      "SELECT due_at FROM reminders_due WHERE broadcast_id = ? AND status = 'waiting'",
      [broadcastId],
    );
    return row === undefined ? undefined : { broadcastId, dueAt: Number(row.due_at) };
  }

  /** Takes a waiting reminder to send it; false when it is not waiting (cancelled, taken). */
  async claim(broadcastId: string): Promise<boolean> {
    return await this.#db.run(
      `UPDATE reminders_due SET status = 'sent'
       WHERE broadcast_id = ? AND status = 'waiting' AND ${this.#fence()}`,
      [broadcastId],
    ) === 1;
  }

  /** Records that a person was reminded (`postId`), or why they could not be (`error`). */
  async record(
    broadcastId: string,
    userId: string,
    at: number,
    outcome: { postId: string } | { error: string },
  ): Promise<void> {
    await this.#db.run(
      `INSERT INTO reminders (broadcast_id, user_id, at, post_id, error) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (broadcast_id, user_id, at) DO UPDATE SET post_id = excluded.post_id,
         error = excluded.error`,
      [
        broadcastId,
        userId,
        at,
        "postId" in outcome ? outcome.postId : null,
        "error" in outcome ? outcome.error : null,
      ],
    );
  }

  /** How many times each person of a broadcast was reminded. */
  async counts(broadcastId: string): Promise<Map<string, number>> {
    const rows = await this.#db.query<{ user_id: string; n: number }>(
      `SELECT user_id, COUNT(*) AS n FROM reminders WHERE broadcast_id = ? AND post_id IS NOT NULL
       GROUP BY user_id`,
      [broadcastId],
    );
    return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
  }
}

/** What is missing of a broadcast: acknowledgements, or views. */
export type ReminderBasis = "acknowledged" | "seen";

/** A channel's share of a reminder. */
export interface ChannelReminder {
  readonly delivery: ChannelDelivery;
  /** Its members (people, not bots) who have not acknowledged or seen it. */
  readonly missing: readonly string[];
  readonly members: number;
}

/** Who a reminder goes to. */
export interface ReminderPlan {
  readonly record: BroadcastRecord;
  readonly basis: ReminderBasis;
  /** People reminded in their DM, each with the post the reminder links to. */
  readonly people: readonly { readonly userId: string; readonly delivery: DeliveryRecord }[];
  /** Channels getting one reminder post. */
  readonly channels: readonly ChannelReminder[];
  /** Posts of the broadcast still delivered (none: undone, or never delivered). */
  readonly delivered: number;
}

/** What a plan is made from, read now. */
export interface PlanFacts {
  readonly record: BroadcastRecord;
  readonly deliveries: readonly DeliveryRecord[];
  /** Who acknowledged or saw it (by the basis). */
  readonly done: ReadonlySet<string>;
  /** A channel's members who are people (no bots, not deactivated), bot and sender left out. */
  readonly members: (channelId: string) => Promise<readonly string[]>;
}

/** The basis of a broadcast's reminders. */
export function basisOf(record: BroadcastRecord): ReminderBasis {
  return (record.options ?? NO_OPTIONS).ack ? "acknowledged" : "seen";
}

/** Who a reminder of this broadcast goes to now. */
export async function planReminder(facts: PlanFacts): Promise<ReminderPlan> {
  const { record, done } = facts;
  const basis = basisOf(record);
  const people = new Map<string, DeliveryRecord>();
  const channels: ChannelReminder[] = [];
  let delivered = 0;
  for (const d of facts.deliveries) {
    if (d.status !== "delivered" || d.postId === null) continue;
    delivered++;
    if (d.kind === "person") {
      if (!done.has(d.userId)) people.set(d.userId, d);
      continue;
    }
    const members = await facts.members(d.channelId);
    const missing = members.filter((m) => !done.has(m));
    if (missing.length === 0) continue;
    channels.push({ delivery: d, missing, members: members.length });
    // Without acknowledgement, whether a member saw the post is the channel's business.
    if (basis !== "acknowledged") continue;
    for (const m of missing) if (!people.has(m)) people.set(m, d);
  }
  return {
    record,
    basis,
    people: [...people].map(([userId, delivery]) => ({ userId, delivery })),
    channels,
    delivered,
  };
}

/** Whether a plan reminds nobody. */
export function isEmptyPlan(plan: ReminderPlan): boolean {
  return plan.people.length === 0 && plan.channels.length === 0;
}

/** "2 people by direct message and one post in 1 channel": what a plan sends. */
export function planText(plan: ReminderPlan): string {
  const dms = plan.people.length;
  const posts = plan.channels.length;
  const parts = [
    dms > 0 ? `${plural(dms, "person", "people")} by direct message` : "",
    posts > 0 ? `a reminder post in ${plural(posts, "channel")}` : "",
  ].filter((p) => p !== "");
  return parts.join(" and ");
}

/** What the people missing are missing: "not acknowledged", "not seen". */
export function missingText(basis: ReminderBasis): string {
  return basis === "acknowledged" ? "have not acknowledged" : "have not seen";
}

/** The reminder a person reads in their DM. */
export function personReminderText(
  plan: ReminderPlan,
  delivery: DeliveryRecord,
  link: string,
  buttons: boolean,
): string {
  const what = delivery.kind === "channel"
    ? `[the announcement in ~${delivery.name}](${link})`
    : `[this announcement](${link})`;
  if (plan.basis === "seen") return `**Reminder:** please read ${what}.`;
  const how = buttons ? "click **Acknowledge** under it" : `react to it with :${ACK_EMOJI}:`;
  return `**Reminder:** please read ${what} and confirm you have: ${how}.`;
}

/** The one reminder post of a channel: no mention, the link, how many are still missing. */
export function channelReminderText(plan: ReminderPlan, c: ChannelReminder, link: string): string {
  if (plan.basis === "seen") return `**Reminder:** please read [this announcement](${link}).`;
  const done = c.members - c.missing.length;
  return `**Reminder:** [this announcement](${link}) asks everyone here to confirm they have ` +
    `read it; ${done} of ${plural(c.members, "member")} have so far.`;
}

/** "3 channels and 12 people": the recipients a plan covers, by kind. */
export function coveredText(plan: ReminderPlan): string {
  return recipientsText(plan.channels.length, plan.people.length);
}
