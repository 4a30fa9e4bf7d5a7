/**
 * Telling the people concerned how a delivery run, an undo or a recovery went: the sender
 * (and whoever acted for them) by DM, in a report written for its reader (private channels
 * they are not in are counted, never named), and the audit channel under its rule
 * (audit.ts). The texts themselves are report.ts's.
 *
 * @module
 */

import { logger } from "@postbot/framework";
import { plural } from "../format.ts";
import type { Notifier } from "../notifier.ts";
import type { ChannelPrivacy } from "../privacy.ts";
import { type BroadcastAudit, deliveryEvent } from "./audit.ts";
import type { BroadcastLog } from "./log.ts";
import {
  type Actor,
  type BroadcastRecord,
  type BroadcastTarget,
  type DeliveryRecord,
  targetKey,
} from "./model.ts";
import { deliveryReport, tallyFromLog } from "./report.ts";
import type { RunEnd } from "./rules.ts";

const log = logger("broadcast");

/** What the reports read of the settings. */
export interface ReportSettings {
  readonly undoWindowSeconds: number;
  /** Masks private channels in reports to people who are not their members. */
  readonly privacy?: Pick<ChannelPrivacy, "viewer">;
  /** Whether a user is an administrator (sees every channel in reports). */
  readonly isAdmin?: (userId: string, username: string) => boolean;
}

/** A run being reported: the broadcast, who started it, and whether it was a retry. */
export interface ReportedRun {
  readonly record: BroadcastRecord;
  readonly actor: Actor;
  /** The broadcast as it was before a retry; undefined for a first delivery. */
  readonly retrying: BroadcastRecord | undefined;
}

/**
 * What the sender reads when a retry could not download the files: nothing changed, and the
 * channels that have the broadcast must not get it again (so no advice to send it anew).
 */
export function retryFailedText(
  id: string,
  reason: string,
  deliveries: readonly DeliveryRecord[],
): string {
  const n = deliveries.filter((d) => d.status === "delivered").length;
  const unchanged = n === 0
    ? `No channel has broadcast \`${id}\` yet; send the message again with its files.`
    : `The ${plural(n, "channel")} that already ${n === 1 ? "has" : "have"} broadcast ` +
      `\`${id}\` ${n === 1 ? "is" : "are"} unchanged.`;
  return `**The retry sent nothing**: ${reason}. ${unchanged}`;
}

/** Sends the reports and audit lines of broadcasts. */
export class OutcomeReports {
  readonly #broadcastLog: BroadcastLog;
  readonly #notifier: Pick<Notifier, "dm">;
  readonly #settings: ReportSettings;
  readonly #auditor: Pick<BroadcastAudit, "post">;

  constructor(
    broadcastLog: BroadcastLog,
    notifier: Pick<Notifier, "dm">,
    settings: ReportSettings,
    auditor: Pick<BroadcastAudit, "post">,
  ) {
    this.#broadcastLog = broadcastLog;
    this.#notifier = notifier;
    this.#settings = settings;
    this.#auditor = auditor;
  }

  /** Nothing was sent because the files could not be had: the sender (and actor) learn why. */
  async noFiles({ record, actor, retrying }: ReportedRun, reason: string): Promise<void> {
    const id = record.id;
    const text = retrying === undefined
      ? `**Nothing was sent** (broadcast \`${id}\`): ${reason}. Send the message again with ` +
        "its files."
      : retryFailedText(id, reason, await this.#broadcastLog.deliveries(id));
    await this.#notifier.dm(record.senderId, text);
    if (actor.id !== record.senderId) await this.#notifier.dm(actor.id, text);
    await this.audit(
      record,
      await this.#broadcastLog.deliveries(id),
      retrying === undefined ? "Aborted broadcast" : "Failed retry",
      actor.username,
    );
  }

  /** The sender may send nothing any more: they (when reachable), the actor and the audit learn why. */
  async refused(
    { record, actor, retrying }: ReportedRun,
    end: Extract<RunEnd, { kind: "refused" }>,
  ): Promise<void> {
    const id = record.id;
    const text = retrying === undefined
      ? `**Broadcast \`${id}\` was not sent**: ${end.reason}. Nothing was posted.`
      : retryFailedText(id, end.reason, await this.#broadcastLog.deliveries(id));
    if (end.dmSender) await this.#notifier.dm(record.senderId, text);
    if (actor.id !== record.senderId) await this.#notifier.dm(actor.id, text);
    const deliveries = await this.#broadcastLog.deliveries(id);
    await this.#auditor.post({
      ...deliveryEvent(
        record,
        deliveries,
        retrying === undefined ? "Refused broadcast" : "Refused retry",
        actor.username,
      ),
      detail: `nothing sent, because ${end.audited}`,
    });
    log.warn("Broadcast {id} by {user} refused: {reason}", {
      id,
      user: record.senderUsername,
      reason: end.reason,
    });
  }

  /**
   * Every channel was tried: the report to the sender (and actor), with `notes` (what they
   * should know besides the outcome), the audit line, the log.
   */
  async finished(
    { record, actor, retrying }: ReportedRun,
    notes: readonly string[] = [],
  ): Promise<void> {
    // Counted by the database, keeping only the recipients the report names or may hide: a
    // run to 10,000 people would otherwise read all their records to say "10000 of 10000".
    const { counts, kept } = await tallyFromLog(this.#broadcastLog.tally, record.id);
    const report = (hidden: ReadonlySet<string>) =>
      deliveryReport(record, kept, {
        undoWindowSeconds: this.#settings.undoWindowSeconds,
        heading: retrying !== undefined ? "Retry finished. " : "",
        hidden,
        notes,
        counts,
      });
    const sender = { id: record.senderId, username: record.senderUsername };
    await this.#dmReport(sender, kept, report);
    // An admin retrying someone else's broadcast wants to know how it went, too.
    if (actor.id !== record.senderId) await this.#dmReport(actor, kept, report);
    const action = retrying !== undefined ? "Retry" : "Broadcast";
    await this.#auditor.post(
      deliveryEvent(record, kept, action, actor.username, Date.now(), counts),
    );
    log.info("Broadcast {id} by {user}: {ok}/{total} delivered", {
      id: record.id,
      user: record.senderUsername,
      ok: counts.channels.delivered + counts.people.delivered,
      total: counts.channels.total + counts.people.total,
    });
  }

  /** A broadcast stopped part-way (shutdown, a restart): the sender learns exactly where it is. */
  async interrupted(record: BroadcastRecord, heading: string): Promise<void> {
    const deliveries = await this.#broadcastLog.deliveries(record.id);
    await this.#dmReport(
      { id: record.senderId, username: record.senderUsername },
      deliveries,
      (hidden) =>
        deliveryReport(record, deliveries, {
          undoWindowSeconds: this.#settings.undoWindowSeconds,
          heading,
          listDelivered: true,
          hidden,
        }),
    );
    await this.audit(record, deliveries, "Interrupted broadcast");
  }

  /**
   * The recipients of a broadcast `reader` may not see named (keys, see targetKey): private
   * channels they are not in (and are not an admin), and people reached only as members of
   * such a channel. Failing to check hides the recipient: a report must never leak one.
   */
  async hiddenFor(reader: Actor, targets: readonly BroadcastTarget[]): Promise<Set<string>> {
    const { privacy, isAdmin } = this.#settings;
    if (privacy === undefined) return new Set();
    const viewer = privacy.viewer(reader.id, isAdmin?.(reader.id, reader.username) ?? false);
    const hidden = new Set<string>();
    for (const t of targets) {
      const id = t.kind === "channel"
        ? t.channelId
        : t.reach.by === "members"
        ? t.reach.channelId
        : undefined;
      if (id === undefined) continue;
      const visible = await viewer.canSee({ id }).catch((e) => {
        log.warn("Could not check whether {user} may see channel {channel}: {error}", {
          user: reader.username,
          channel: id,
          error: e,
        });
        return false;
      });
      if (!visible) hidden.add(targetKey(t));
    }
    return hidden;
  }

  /** Posts the audit line of the broadcast as it stands, under the audit rule (see audit.ts). */
  async audit(
    record: BroadcastRecord,
    deliveries: readonly DeliveryRecord[],
    action?: string,
    actor?: string,
  ): Promise<void> {
    await this.#auditor.post(deliveryEvent(record, deliveries, action, actor));
  }

  /** DMs a report, written for its reader: private channels they are not in are counted. */
  async #dmReport(
    reader: Actor,
    deliveries: readonly DeliveryRecord[],
    text: (hidden: ReadonlySet<string>) => string,
  ): Promise<void> {
    const hidden = await this.hiddenFor(reader, deliveries);
    await this.#notifier.dm(reader.id, text(hidden));
  }
}
