/**
 * A counting semaphore: at most `permits` holders at once, served first come first served.
 * Bounds work shared between independent callers -- e.g. channel deliveries of all the
 * broadcasts running at the same time.
 *
 * @module
 */

/** Limits how many tasks run at once. */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError("permits must be \u2265 1");
    this.#free = permits;
  }

  /** Runs `task` once a permit is free, and frees it when the task settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#free++;
    }
  }
}
