/**
 * Work on broadcasts running in the background (deliveries, retries, undos): which broadcast
 * is busy, how much runs, and draining it all on shutdown. The sender keeps using commands, or
 * starts another broadcast, while one goes out.
 *
 * @module
 */

import { logger } from "@postbot/framework";
import { settleSoon } from "@postbot/framework/idle_gc";

const log = logger("broadcast");

/** Tracks background work per broadcast id and stops it on shutdown. */
export class BroadcastJobs {
  readonly #running = new Set<Promise<void>>();
  /** Work in progress per broadcast id (a retry may start while a report is being sent). */
  readonly #busy = new Map<string, number>();
  readonly #shutdown = new AbortController();

  /** Work in progress, all broadcasts together. */
  get running(): number {
    return this.#running.size;
  }

  /** Aborted once the drain's grace period is over: no new channel is started. */
  get stopping(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** Whether a broadcast is being delivered, retried or undone right now. */
  isBusy(id: string): boolean {
    return this.#busy.has(id);
  }

  /**
   * Runs work on a broadcast in the background. The broadcast counts as busy until the work
   * calls `release` (once its outcome is recorded, before reporting it: the sender may act on
   * the report at once) or ends.
   */
  track(id: string, work: (release: () => void) => Promise<void>): void {
    this.#busy.set(id, (this.#busy.get(id) ?? 0) + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      const left = (this.#busy.get(id) ?? 1) - 1;
      if (left > 0) this.#busy.set(id, left);
      else this.#busy.delete(id);
    };
    const run: Promise<void> = work(release)
      .catch((e) => log.error("Broadcast {id} failed: {error}", { id, error: e }))
      .finally(() => {
        this.#running.delete(run);
        release();
        settleSoon();
      });
    this.#running.add(run);
  }

  /**
   * For shutdown: waits up to `graceMs` for the work in progress; then stops starting new
   * channels (channels already being sent finish) and lets each run record the rest as not
   * sent. A request that hangs must not keep the process alive: after `inFlightMs` more,
   * drain gives up and what still runs is settled by recovery at the next start.
   * Resolves true when everything finished within the grace period.
   */
  async drain(graceMs: number, inFlightMs: number): Promise<boolean> {
    if (this.#running.size === 0) return true;
    const inTime = await this.#within(graceMs);
    if (!inTime) {
      this.#shutdown.abort();
      if (!await this.#within(inFlightMs)) {
        log.warn("{n} deliveries still hang after shutdown; they are recovered at the next start", {
          n: this.#running.size,
        });
      }
    }
    return inTime;
  }

  /** Whether everything running now finishes within `ms`. */
  async #within(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
    const finished = Promise.all([...this.#running]).then(() => true as const);
    const done = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    return done;
  }
}
