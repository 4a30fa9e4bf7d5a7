/**
 * Runs tasks one at a time per key and concurrently across keys: one user's messages are
 * handled in the order they were sent (a wizard answer never overtakes the message it answers),
 * while many users are served at once.
 *
 * @module
 */

/** Serialises async work per key. */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Queues `task` behind earlier tasks of the same key; resolves when it has run. */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return current;
  }

  /** Resolves when every queued task has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
