/**
 * The loop that ends approval requests whose time ran out (`APPROVAL_TTL_SECONDS`): it wakes
 * at the next expiry (and at least every 30 s) and at start, so a request that lapsed while
 * postbot was down is ended, and its sender and approvers told, when it comes back.
 *
 * @module
 */

import { logger } from "@postbot/framework";
import type { Approvals } from "./approvals.ts";

const log = logger("approval");

/** Longest sleep between checks. */
const MAX_SLEEP_MS = 30_000;

/** How soon to look again when the next lapse could not be read (the database away). */
const RETRY_AFTER_FAILURE_MS = 5_000;

/** Ends lapsed approval requests on time. */
export class ApprovalExpiry {
  readonly #approvals: Pick<Approvals, "expireLapsed" | "nextExpiry">;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(approvals: Pick<Approvals, "expireLapsed" | "nextExpiry">, now = Date.now) {
    this.#approvals = approvals;
    this.#now = now;
  }

  /** Ends what lapsed meanwhile, then keeps watching. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.tick();
  }

  /** Stops watching; a check in progress finishes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** A request was opened: the next expiry may be sooner. */
  wake(): void {
    if (!this.#stopped) this.#arm();
  }

  /** Ends every lapsed request now (one check at a time). */
  async tick(): Promise<void> {
    if (this.#running !== undefined) return await this.#running;
    this.#running = this.#approvals.expireLapsed().then(() => {}, (e) => {
      log.error("Could not end lapsed approval requests: {error}", { error: e });
    }).finally(() => {
      this.#running = undefined;
      if (!this.#stopped) this.#arm();
    });
    await this.#running;
  }

  /** Sets the timer for the next lapse (soon again when the store cannot be read). */
  #arm(): void {
    void this.#approvals.nextExpiry().then(
      (next) =>
        next === undefined ? MAX_SLEEP_MS : Math.max(0, Math.min(MAX_SLEEP_MS, next - this.#now())),
      () => RETRY_AFTER_FAILURE_MS,
    ).then((wait) => {
      if (this.#stopped) return;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.tick();
      }, wait);
    });
  }
}
