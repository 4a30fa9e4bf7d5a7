/**
 * The timer shared by postbot's "do it when it is due" loops (scheduled broadcasts, automatic
 * reminders, lapsing approval requests): run what is due, then sleep until the next due time
 * read from the store -- never longer than a cap, so a changed clock or a missed timer costs at
 * most that -- and look again soon when that time cannot be read. One run at a time; `wake`
 * after something new was planned; `stop` waits for a run in progress. The timer functions are
 * injectable so tests fire the timer themselves instead of waiting.
 *
 * @module
 */

/** The timer functions the loop uses (the global ones by default). */
export interface DueTimers {
  readonly set: (fire: () => void, ms: number) => unknown;
  readonly clear: (handle: unknown) => void;
}

/** How a {@link DueLoop} keeps time. */
export interface DueLoopOptions {
  /** Longest sleep between runs (ms); 30 s by default. */
  readonly maxSleepMs?: number;
  readonly now?: () => number;
  readonly timers?: DueTimers;
}

/** Longest sleep between runs unless told otherwise. */
const MAX_SLEEP_MS = 30_000;

const GLOBAL_TIMERS: DueTimers = {
  set: (fire, ms) => setTimeout(fire, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Runs work when it is due, one run at a time, until stopped. A loop extends it with what it
 * runs ({@link runDue}) and how it learns the next due time ({@link nextDueAt}).
 */
export abstract class DueLoop {
  /** The clock due times are compared with. */
  protected readonly now: () => number;
  readonly #timers: DueTimers;
  readonly #maxSleepMs: number;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #stopped = true;

  constructor(options: DueLoopOptions = {}) {
    this.now = options.now ?? Date.now;
    this.#timers = options.timers ?? GLOBAL_TIMERS;
    this.#maxSleepMs = options.maxSleepMs ?? MAX_SLEEP_MS;
  }

  /**
   * Does what is due now. May resolve to the least time (ms) to wait before the next run
   * (work that must wait for something else); a rejection reaches `start`/`tick`'s caller.
   */
  protected abstract runDue(): Promise<number | void>;

  /** When the next work is due (epoch ms), undefined when nothing waits. */
  protected abstract nextDueAt(): Promise<number | undefined>;

  /** How soon (ms) to look again when {@link nextDueAt} failed; the place to log it. */
  protected abstract retryAfter(error: unknown): number;

  /**
   * A run the timer started failed (the store unreachable longer than its retries): the place
   * to log it. The loop goes on at the next due time; nothing else may see the error, and an
   * unhandled rejection would end the process.
   */
  protected abstract runFailed(error: unknown): void;

  /** Whether `stop` was called (or `start` not yet): a run checks it between items. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Runs what is due now and starts the timer. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.tick();
  }

  /** Stops the timer; a run in progress finishes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimer();
    await this.#running;
  }

  /** Something was planned: the next due time may have moved (a run in progress re-arms). */
  wake(): void {
    if (!this.#stopped && this.#running === undefined) this.#arm(0);
  }

  /** Runs what is due now (joining a run in progress), then sleeps until the next due time. */
  async tick(): Promise<void> {
    if (this.#running !== undefined) return await this.#running;
    let leastWait = 0;
    this.#running = this.runDue().then((wait) => {
      leastWait = wait ?? 0;
    }).finally(() => {
      this.#running = undefined;
      if (!this.#stopped) this.#arm(leastWait);
    });
    await this.#running;
  }

  /** Sets the timer for the next due time, at least `leastWait` and at most the cap away. */
  #arm(leastWait: number): void {
    void this.nextDueAt().then(
      (next) => next === undefined ? this.#maxSleepMs : Math.max(0, next - this.now()),
      (e) => this.retryAfter(e),
    ).then((untilNext) => {
      if (this.#stopped) return;
      this.#clearTimer();
      this.#timer = this.#timers.set(() => {
        this.#timer = undefined;
        this.tick().catch((e) => this.runFailed(e));
      }, Math.min(this.#maxSleepMs, Math.max(leastWait, untilNext)));
    });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
  }
}
