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
import { DueLoop } from "./due_loop.ts";

const log = logger("reminders");

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
export class ReminderLoop extends DueLoop {
  readonly #deps: ReminderLoopDeps;

  constructor(deps: ReminderLoopDeps) {
    super({ now: deps.now });
    this.#deps = deps;
  }

  /** Sends every reminder due now; one still waiting for its delivery is looked at soon. */
  protected override async runDue(): Promise<number> {
    return await this.#sendDue() ? BUSY_RETRY_MS : 0;
  }

  protected override nextDueAt(): Promise<number | undefined> {
    return this.#deps.store.nextDue();
  }

  protected override retryAfter(error: unknown): number {
    log.warn("Could not read when the next reminder is due: {error}", { error });
    return BUSY_RETRY_MS;
  }

  protected override runFailed(error: unknown): void {
    log.error("Could not look for due reminders: {error}", { error });
  }

  /** Sends the due reminders; true when one had to wait for its delivery to finish. */
  async #sendDue(): Promise<boolean> {
    let waiting = false;
    for (const due of await this.#deps.store.due(this.now())) {
      if (this.stopped) break;
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
