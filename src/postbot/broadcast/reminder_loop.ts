/**
 * The automatic reminders' loop: wakes at the next reminder's time (and at least every 30 s),
 * takes each one due (once: `reminders_due` goes from waiting to sent), sends it through
 * {@link Reminders} -- the sender's authority asked again -- and tells the sender how it went.
 * A reminder due while postbot was down goes out at start; one whose broadcast is still being
 * delivered waits for the delivery to finish; `!undo` cancels it (log.ts).
 *
 * @module
 */

import { logger } from "@postbot/framework";
import type { Notifier } from "../notifier.ts";
import type { BroadcastLog } from "./log.ts";
import type { ReminderStore } from "./reminders.ts";
import { reminderOutcomeText, type Reminders } from "./reminder_service.ts";

const log = logger("reminders");

/** Longest sleep between checks. */
const MAX_SLEEP_MS = 30_000;

/** How soon a reminder whose broadcast is still going out is looked at again. */
const BUSY_RETRY_MS = 2_000;

/** What the loop works with. */
export interface ReminderLoopDeps {
  readonly store: ReminderStore;
  readonly reminders: Pick<Reminders, "send">;
  readonly broadcastLog: Pick<BroadcastLog, "get">;
  readonly notifier: Pick<Notifier, "dm">;
  /** Whether a broadcast is being delivered (or undone) right now. */
  readonly isBusy: (id: string) => boolean;
  readonly now?: () => number;
}

/** Sends automatic reminders when they are due. */
export class ReminderLoop {
  readonly #deps: ReminderLoopDeps;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(deps: ReminderLoopDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Sends what is overdue and starts the timer. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.tick();
  }

  /** Stops the timer; a reminder going out finishes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** A reminder was planned: the next wake-up may have moved. */
  wake(): void {
    if (!this.#stopped && this.#running === undefined) this.#arm(false);
  }

  /** Sends every reminder due now, then sleeps until the next one. */
  async tick(): Promise<void> {
    if (this.#running !== undefined) return await this.#running;
    let busy = false;
    this.#running = this.#sendDue().then((b) => {
      busy = b;
    }).finally(() => {
      this.#running = undefined;
      if (!this.#stopped) this.#arm(busy);
    });
    await this.#running;
  }

  /** Sets the timer for the next due reminder (soon again when the store cannot be read). */
  #arm(busy: boolean): void {
    void this.#deps.store.nextDue().then(
      (next) => next === undefined ? MAX_SLEEP_MS : Math.max(0, next - this.#now()),
      (e) => {
        log.warn("Could not read when the next reminder is due: {error}", { error: e });
        return BUSY_RETRY_MS;
      },
    ).then((untilNext) => {
      if (this.#stopped) return;
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      const wait = busy ? Math.max(untilNext, BUSY_RETRY_MS) : untilNext;
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.tick();
      }, Math.min(MAX_SLEEP_MS, wait));
    });
  }

  /** Sends the due reminders; true when one had to wait for its delivery to finish. */
  async #sendDue(): Promise<boolean> {
    let waiting = false;
    for (const due of await this.#deps.store.due(this.#now())) {
      if (this.#stopped) break;
      if (this.#deps.isBusy(due.broadcastId)) {
        waiting = true;
        continue;
      }
      if (!await this.#deps.store.claim(due.broadcastId)) continue;
      try {
        await this.#sendOne(due.broadcastId);
      } catch (e) {
        log.error("The automatic reminder of {id} failed: {error}", {
          id: due.broadcastId,
          error: e,
        });
      }
    }
    return waiting;
  }

  async #sendOne(id: string): Promise<void> {
    const record = await this.#deps.broadcastLog.get(id);
    if (record === undefined) return;
    const sender = { id: record.senderId, username: record.senderUsername };
    const outcome = await this.#deps.reminders.send(id, sender);
    if (outcome.kind === "refused" && !outcome.dmSender) return;
    await this.#deps.notifier.dm(
      record.senderId,
      `Automatic reminder: ${reminderOutcomeText(id, outcome)}`,
    );
  }
}
