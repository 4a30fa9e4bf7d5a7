/**
 * A bounded pool: work over a list of items with at most `concurrency` items in progress,
 * taken in order. Delivery to channels, edits of delivered posts, member counts and task
 * inspections all do this; one implementation keeps their ordering and stopping the same.
 *
 * @module
 */

/** How {@link forEachBounded} runs. */
export interface PoolOptions {
  /** Items in progress at once (at least 1; never more workers than items). */
  readonly concurrency: number;
  /** When aborted, no further item is taken; items in progress finish. */
  readonly signal?: AbortSignal;
}

/**
 * Calls `work` for each item, at most `concurrency` at a time, taking items in order. Resolves
 * once every item taken has settled; rejects with the first error `work` throws (the other
 * workers stop taking items).
 */
export async function forEachBounded<T>(
  items: readonly T[],
  options: PoolOptions,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed && !options.signal?.aborted) {
      const index = next++;
      try {
        await work(items[index], index);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(options.concurrency), items.length));
  await Promise.all(Array.from({ length: workers }, worker));
}
