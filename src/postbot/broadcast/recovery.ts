/**
 * Recovery at start: broadcasts a previous process left pending are settled. A channel caught
 * mid-delivery (`sending`, see DeliveryJournal) is checked on the server by the broadcast tag
 * and marked delivered or failed; channels never started are marked failed. The sender learns
 * what arrived and can `!retry`.
 *
 * @module
 */

import { logger, type RestTransport } from "@postbot/framework";
import { explain, findBroadcastPost } from "./delivery.ts";
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
}

/** Settles every unfinished broadcast, and tells each sender. */
export async function recoverInterrupted(deps: RecoveryDeps): Promise<void> {
  for (const record of deps.broadcastLog.unfinished()) {
    for (const d of deps.broadcastLog.deliveries(record.id)) await settleChannel(deps, record, d);
    deps.broadcastLog.finish(record.id, "interrupted");
    deps.broadcastLog.addEvent(record.id, { id: "", username: "postbot" }, "recovered");
    await deps.reports.interrupted(
      record,
      "postbot was restarted while delivering your broadcast. ",
    );
    log.warn("Recovered interrupted broadcast {id}", { id: record.id });
  }
}

/** Settles one channel of an interrupted broadcast. */
async function settleChannel(
  deps: RecoveryDeps,
  record: BroadcastRecord,
  d: DeliveryRecord,
): Promise<void> {
  if (d.status === "pending") {
    deps.broadcastLog.markFailed(
      record.id,
      d.channelId,
      "not sent: postbot stopped before reaching this channel",
    );
    return;
  }
  if (d.status !== "sending") return;
  try {
    const postId = await findBroadcastPost(
      deps.transport,
      deps.botUserId,
      record.id,
      d.channelId,
      record.createdAt,
    );
    if (postId !== undefined) deps.broadcastLog.markDelivered(record.id, d.channelId, postId);
    else {
      deps.broadcastLog.markFailed(
        record.id,
        d.channelId,
        "interrupted: postbot stopped while sending here, and the post did not arrive",
      );
    }
  } catch (e) {
    deps.broadcastLog.markFailed(
      record.id,
      d.channelId,
      `interrupted, and the channel could not be checked (${explain(e, d, 1)})`,
    );
  }
}
