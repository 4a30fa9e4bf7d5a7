/**
 * What the audit channel (`BOT_LOG_CHANNEL_ID`) may show about a broadcast. Its readers are
 * not the members of every channel a broadcast reaches, so one rule decides, for every audit
 * line of a broadcast (sent, scheduled, sent later or failed to, cancelled, undone, retried,
 * edited, refused):
 *
 * - always: what happened, the broadcast id, who acted (and whose broadcast it is), when, and
 *   counts -- of channels, of the private ones among them, and of people;
 * - a public channel by name, with the reason when it failed;
 * - a private channel (or one whose type the bot cannot tell) only counted: never its name,
 *   display name, id or an error text about it; a person (a direct message) likewise: only
 *   counted, never named, nor why their DM failed;
 * - the message, an edit's before and after, and file names only when every recipient of the
 *   broadcast is a public channel; otherwise (or while its recipients are not known) they are
 *   withheld.
 *
 * Everything that came from a user is inert (see {@link inert}).
 *
 * @module
 */

import { defuseEveryMention } from "@postbot/framework/text";
import { plural } from "../format.ts";
import type { ChannelRef } from "../privacy.ts";
import { countDeliveries, type DeliveryCounts, inert, when } from "./report.ts";
import {
  type BroadcastRecord,
  type BroadcastTarget,
  channelsOf,
  type DeliveryRecord,
  peopleOf,
  recipientsText,
} from "./model.ts";

/** A channel of the broadcast as an audit line may mention it. */
export interface AuditChannel {
  readonly channelId: string;
  readonly name: string;
  /** `"O"`/`"P"` when known; otherwise looked up. */
  readonly type?: "O" | "P";
  /** Why it failed, for a channel that failed. */
  readonly failure?: string;
}

/** One event of a broadcast, before the rule decides what the audit channel sees. */
export interface AuditEvent {
  /** "Broadcast", "Undo", "Scheduled", "Refused retry"... */
  readonly action: string;
  readonly id: string;
  /** The username of whoever acted. */
  readonly actor: string;
  /** The sender's username, when the broadcast is not the actor's. */
  readonly sender?: string;
  readonly at: number;
  /** The bot's own words after the colon (counts, a due time, a reason): no user text. */
  readonly detail: string;
  /** The broadcast's channels; undefined when not known (its texts are then withheld). */
  readonly channels: readonly AuditChannel[] | undefined;
  /** The people it goes to (direct messages): counted only, never named. */
  readonly people?: { readonly count: number; readonly failed: number };
  /** The message; absent when the line is not about it. */
  readonly message?: string;
  readonly edit?: { readonly before: string; readonly after: string };
  readonly files?: readonly string[];
}

/** A text in an audit line (inert), or its stand-in when empty. */
function shown(text: string, empty: string): string {
  return text.trim() === "" ? empty : inert(text, 200);
}

/** The audit line of an event; `privateIds` are its private (or unknown) channels. */
export function auditText(e: AuditEvent, privateIds: ReadonlySet<string>): string {
  const channels = e.channels ?? [];
  const hidden = channels.filter((c) => privateIds.has(c.channelId)).length;
  const by = inert(`@${e.actor}`, 40) +
    (e.sender !== undefined && e.sender !== e.actor
      ? ` (sent by ${inert(`@${e.sender}`, 40)})`
      : "");
  const people = e.people ?? { count: 0, failed: 0 };
  const lines = [
    // The detail may quote a username ("@bob is no longer ..."): it must not ping anyone.
    `**${e.action}** \`${e.id}\` by ${by} at ${when(e.at)}: ${defuseEveryMention(e.detail)}` +
    (hidden > 0 ? ` (${plural(hidden, "private channel")} among them)` : "") + ".",
  ];
  const open = e.channels !== undefined && hidden === 0 && people.count === 0;
  // A failure's reason may quote a file name ("could not download the file ..."): withheld too.
  const reason = (failure: string) =>
    open ? failure : (e.files ?? []).reduce((t, f) => t.replaceAll(f, "(a file)"), failure);
  const failed = channels.filter((c) => c.failure !== undefined);
  if (failed.length > 0 || people.failed > 0) {
    const named = failed.filter((c) => !privateIds.has(c.channelId));
    const unnamed = failed.length - named.length;
    lines.push(
      "Failed: " + [
        ...named.map((c) => `~${c.name} (${inert(reason(c.failure ?? "?"), 120)})`),
        ...(unnamed > 0 ? [plural(unnamed, "private channel")] : []),
        ...(people.failed > 0 ? [plural(people.failed, "person", "people")] : []),
      ].join("; "),
    );
  }
  const withheld = e.channels === undefined
    ? "_(withheld until its channels are known: a private one may be among them)_"
    : people.count > 0
    ? "_(withheld: people (direct messages) are among its recipients)_"
    : "_(withheld: a private channel is among its channels)_";
  if (e.message !== undefined) {
    lines.push(`Message: ${open ? shown(e.message, "_(files only)_") : withheld}`);
  }
  if (e.edit !== undefined) {
    lines.push(`Before: ${open ? shown(e.edit.before, "_(no text)_") : withheld}`);
    lines.push(`After: ${open ? shown(e.edit.after, "_(no text)_") : withheld}`);
  }
  const files = e.files ?? [];
  if (files.length > 0) {
    lines.push(
      `Files: ${
        open ? files.map((f) => inert(f, 60)).join(", ") : `${files.length} (names withheld)`
      }`,
    );
  }
  return lines.join("\n");
}

/**
 * The event of a broadcast's delivery, undo, retry or interruption, from the log. `counts`
 * are those of every delivery when `deliveries` holds only a tally's kept part (every
 * channel, some people: see report.ts).
 */
export function deliveryEvent(
  b: BroadcastRecord,
  deliveries: readonly DeliveryRecord[],
  action = "Broadcast",
  actor = b.senderUsername,
  at = Date.now(),
  counts: DeliveryCounts = countDeliveries(deliveries),
): AuditEvent {
  const { channels: c, people: p } = counts;
  const delivered = c.delivered + p.delivered;
  const failed = c.failed + p.failed;
  const deleted = c.deleted + p.deleted;
  return {
    action,
    id: b.id,
    actor,
    sender: b.senderUsername,
    at,
    detail:
      (p.total === 0
        ? `${delivered} of ${plural(c.total, "channel")} delivered`
        : `${delivered} of ${plural(c.total + p.total, "recipient")} (` +
          `${recipientsText(c.total, p.total)}) delivered`) +
      (failed > 0 ? `, ${failed} failed` : "") + (deleted > 0 ? `, ${deleted} deleted` : ""),
    channels: channelsOf(deliveries).map((d) => ({
      channelId: d.channelId,
      name: d.name,
      ...(d.status === "failed" ? { failure: d.error ?? "?" } : {}),
    })),
    people: { count: p.total, failed: p.failed },
    message: b.message,
    files: b.files.map((f) => f.name),
  };
}

/** The channels and people of an audit event, from recipients (resolved or delivered). */
export function auditRecipients(
  targets: readonly (BroadcastTarget & { readonly type?: "O" | "P" })[],
): Pick<AuditEvent, "channels" | "people"> {
  return {
    channels: channelsOf(targets).map((t) => ({
      channelId: t.channelId,
      name: t.name,
      ...(t.type === undefined ? {} : { type: t.type }),
    })),
    people: { count: peopleOf(targets).length, failed: 0 },
  };
}

/** Posts audit lines under the rule: finds which channels are private, then renders. */
export class BroadcastAudit {
  readonly #post: (text: string) => Promise<void>;
  readonly #isPrivate: (channel: ChannelRef) => Promise<boolean>;

  /** `isPrivate` answers for unknown channels too (unknown counts as private). */
  constructor(
    post: (text: string) => Promise<void>,
    isPrivate: (channel: ChannelRef) => Promise<boolean>,
  ) {
    this.#post = post;
    this.#isPrivate = isPrivate;
  }

  /** The event's line, as the audit channel may read it. */
  async text(e: AuditEvent): Promise<string> {
    const privateIds = new Set<string>();
    for (const c of e.channels ?? []) {
      const ref: ChannelRef = c.type === undefined
        ? { id: c.channelId }
        : { id: c.channelId, type: c.type };
      // Failing to tell counts as private: the audit line must never leak one.
      if (await this.#isPrivate(ref).catch(() => true)) privateIds.add(c.channelId);
    }
    return auditText(e, privateIds);
  }

  /** Posts the event's line to the audit channel. */
  async post(e: AuditEvent): Promise<void> {
    await this.#post(await this.text(e));
  }
}
