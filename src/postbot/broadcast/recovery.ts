/**
 * Recovery at start: broadcasts a previous process left pending are settled. A recipient caught
 * mid-delivery (`sending`, see DeliveryJournal) is checked on the server by the broadcast tag
 * and marked delivered or failed; channels never started are marked failed. The sender learns
 * what arrived and can `!retry`.
 *
 * With several instances on one database the instance that takes over resumes instead
 * ({@link resumableBroadcasts}): what was `sending` goes back to pending, and delivery goes on
 * looking for an earlier copy in every channel before posting, so nobody gets one twice.
 *
 * @module
 */

import { logger, type RestTransport } from "@postbot/framework";
import { findBroadcastPost } from "./copies.ts";
import { type DirectChannelSource, explain, knownChannelOf } from "./delivery.ts";
import type { BroadcastLog } from "./log.ts";
import type { BroadcastRecord, DeliveryRecord } from "./model.ts";
import type { OutcomeReports } from "./outcome_reports.ts";

const log = logger("broadcast");

/** What recovery works with. */
export interface RecoveryDeps {
  readonly transport: RestTransport;
  readonly broadcastLog: BroadcastLog;
  readonly reports: Pick<OutcomeReports, "interrupted">;
  readonly botUserId: string;
  /** People's DM channels, to look for a post there. */
  readonly directChannels?: Pick<DirectChannelSource, "known">;
}

/** Settles every unfinished broadcast, and tells each sender. */
export async function recoverInterrupted(deps: RecoveryDeps): Promise<void> {
  for (const record of await deps.broadcastLog.unfinished()) {
    for (const d of await deps.broadcastLog.deliveries(record.id)) {
      await settleChannel(deps, record, d);
    }
    await deps.broadcastLog.finish(record.id, "interrupted");
    await deps.broadcastLog.addEvent(record.id, { id: "", username: "postbot" }, "recovered");
    await deps.reports.interrupted(
      record,
      "postbot was restarted while delivering your broadcast. ",
    );
    log.warn("Recovered interrupted broadcast {id}", { id: record.id });
  }
}

/** Settles one recipient of an interrupted broadcast. */
async function settleChannel(
  deps: RecoveryDeps,
  record: BroadcastRecord,
  d: DeliveryRecord,
): Promise<void> {
  if (d.status === "pending") {
    await deps.broadcastLog.markFailed(
      record.id,
      d,
      `not sent: postbot stopped before reaching this ${
        d.kind === "channel" ? "channel" : "person"
      }`,
    );
    return;
  }
  if (d.status !== "sending") return;
  // A person without a DM channel yet cannot have the post: the channel comes first.
  const channelId = await knownChannelOf(d, deps.directChannels);
  try {
    const postId = channelId === undefined ? undefined : await findBroadcastPost({
      transport: deps.transport,
      botUserId: deps.botUserId,
      broadcastId: record.id,
      channelId,
      since: record.createdAt,
    });
    if (postId !== undefined) await deps.broadcastLog.markDelivered(record.id, d, postId);
    else {
      await deps.broadcastLog.markFailed(
        record.id,
        d,
        "interrupted: postbot stopped while sending here, and the post did not arrive",
      );
    }
  } catch (e) {
    await deps.broadcastLog.markFailed(
      record.id,
      d,
      `interrupted, and ${
        d.kind === "channel" ? "the channel" : "the direct message"
      } could not be checked (${explain(e, d, 1)})`,
    );
  }
}

/**
 * The unfinished broadcasts, made ready to be delivered on: a recipient caught mid-delivery
 * (`sending`) is pending again (delivery searches its channel before posting).
 */
export async function resumableBroadcasts(
  broadcasts: BroadcastLog,
): Promise<BroadcastRecord[]> {
  const records = await broadcasts.unfinished();
  for (const record of records) {
    await broadcasts.reopenSending(record.id);
    await broadcasts.addEvent(record.id, { id: "", username: "postbot" }, "resumed");
    log.warn("Resuming broadcast {id} left unfinished by the previous active instance", {
      id: record.id,
    });
  }
  return records;
}
