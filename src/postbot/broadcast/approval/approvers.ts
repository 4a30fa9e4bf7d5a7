/**
 * Who may approve a broadcast, and telling them: shared by the approvals themselves
 * (approvals.ts, edit_approvals.ts) and by `!cancel` (scheduled/send_later.ts), which tells
 * the approvers of a withdrawn request. A module of its own so that send_later.ts, which the
 * approvals build on, does not import them back.
 *
 * @module
 */

import { logger } from "@postbot/framework";
import type { Notifier } from "../../notifier.ts";
import type { ApprovalState, Approver } from "../model.ts";

const log = logger("approval");

/** Everyone who may approve a broadcast, each once. */
export function approversOf(state: Pick<ApprovalState, "requirements">): Approver[] {
  const seen = new Map<string, Approver>();
  for (const r of state.requirements) for (const a of r.approvers) seen.set(a.id, a);
  return [...seen.values()];
}

/** Tells each approver `text`; one who cannot be told is logged (the others still are). */
export async function tellApprovers(
  notifier: Pick<Notifier, "dm">,
  list: readonly Approver[],
  text: string,
): Promise<void> {
  for (const a of list) {
    await notifier.dm(a.id, text).catch((e) =>
      log.warn("Could not tell approver {user}: {error}", { user: a.username, error: e })
    );
  }
}
