/**
 * `!undo`: every delivered post of a broadcast deleted (see every_post.ts), each recorded as
 * it goes; a post already gone counts as deleted. The actor reads what could not be deleted,
 * the log keeps who undid it, the audit channel gets a line.
 *
 * @module
 */

import { isStatus, logger, MattermostError, type RestTransport } from "@postbot/framework";
import { explain } from "./delivery.ts";
import { applyToEveryPost, unchangedLines } from "./every_post.ts";
import type { BroadcastLog } from "./log.ts";
import { type Actor, channelsOf, peopleOf, recipientsText } from "./model.ts";
import type { OutcomeReports } from "./outcome_reports.ts";

const log = logger("broadcast");

/** What an undo works with: the server, the broadcast log, and the reports. */
export interface UndoWork {
  readonly transport: RestTransport;
  readonly broadcastLog: BroadcastLog;
  readonly reports: Pick<OutcomeReports, "hiddenFor" | "audit">;
}

/** Deletes the delivered posts of broadcast `id`; the report for `actor`. */
export async function undoBroadcast(deps: UndoWork, id: string, actor: Actor): Promise<string> {
  const record = (await deps.broadcastLog.get(id))!;
  const delivered = (await deps.broadcastLog.deliveries(id)).filter((d) =>
    d.status === "delivered"
  );
  const { changed: deleted, failed } = await applyToEveryPost(deps.transport, delivered, {
    request: (d) => ({ path: `/posts/${d.postId}`, init: { method: "DELETE" } }),
    alreadyDone: (e) => isStatus(e, 404),
    onDone: (d) => deps.broadcastLog.markDeleted(id, d),
    why: (e, d) => explain(e, d, e instanceof MattermostError ? e.attempts : 1),
  });
  await deps.broadcastLog.addEvent(
    id,
    actor,
    "undo",
    `${deleted} of ${delivered.length} posts deleted`,
  );
  const reminderCancelled = await deps.broadcastLog.cancelReminder(id);
  await deps.reports.audit(record, await deps.broadcastLog.deliveries(id), "Undo", actor.username);
  log.info("{user} undid broadcast {id}: {n} posts deleted", {
    user: actor.username,
    id,
    n: deleted,
  });
  const hidden = await deps.reports.hiddenFor(actor, failed.map((f) => f.delivery));
  const failures = unchangedLines(failed, hidden);
  const gone = (await deps.broadcastLog.deliveries(id)).filter((d) => d.status === "deleted");
  return `Deleted broadcast \`${id}\` from ${
    recipientsText(channelsOf(gone).length, peopleOf(gone).length)
  }.` +
    (reminderCancelled ? " Its automatic reminder is cancelled." : "") +
    (failures.length > 0 ? `\nCould not delete it from:\n${failures.join("\n")}` : "");
}
