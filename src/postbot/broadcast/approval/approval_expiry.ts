/**
 * The loop that ends approval requests whose time ran out (`APPROVAL_TTL_SECONDS`): it wakes
 * at the next expiry (and at least every 30 s) and at start, so a request that lapsed while
 * postbot was down is ended, and its sender and approvers told, when it comes back.
 *
 * @module
 */

import { logger } from "@postbot/framework";
import type { Approvals } from "./approvals.ts";
import { DueLoop } from "../due_loop.ts";

const log = logger("approval");

/** How soon to look again when the next lapse could not be read (the database away). */
const RETRY_AFTER_FAILURE_MS = 5_000;

/** Ends lapsed approval requests on time. */
export class ApprovalExpiry extends DueLoop {
  readonly #approvals: Pick<Approvals, "expireLapsed" | "nextExpiry">;

  constructor(approvals: Pick<Approvals, "expireLapsed" | "nextExpiry">, now = Date.now) {
    super({ now });
    this.#approvals = approvals;
  }

  /** Ends every lapsed request now; a failure is logged and tried again at the next wake-up. */
  protected override async runDue(): Promise<void> {
    await this.#approvals.expireLapsed().catch((e) => {
      log.error("Could not end lapsed approval requests: {error}", { error: e });
    });
  }

  protected override nextDueAt(): Promise<number | undefined> {
    return this.#approvals.nextExpiry();
  }

  protected override retryAfter(): number {
    return RETRY_AFTER_FAILURE_MS;
  }

  protected override runFailed(error: unknown): void {
    log.error("Could not look for lapsed approval requests: {error}", { error });
  }
}
