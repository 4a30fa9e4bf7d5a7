/**
 * `@postbot/framework/heap_budget`: keeps V8's heap close to what is alive during long work.
 * With `--optimize-for-size` every major collection is a memory-reducing one, after which V8
 * lets the old generation grow by at least 8 MB before it collects again: a fan-out to 10,000
 * people swung 8 MB of garbage up and down every second on top of what it keeps, and where
 * the resident size peaked depended on when a collection happened to start. Work that runs
 * long calls {@link keepHeapNear} once per unit (a delivery, a row read, a profile parsed);
 * now and then that looks at the heap, and once it has grown {@link HEAP_STEP_BYTES} past
 * what the last collection left, collects (`gc()`, exposed by `--v8-flags=--expose-gc` in
 * the app's start command). Without the flag (tests in-process, tools) it does nothing.
 * idle_gc.ts gives memory back once the bot goes quiet; this bounds it while it works.
 *
 * @module
 */

/** How far the used heap may grow past what survived the last collection. */
export const HEAP_STEP_BYTES = 3 * 1_048_576;

/** Units of work between two looks at the heap (a look costs about 15 microseconds). */
export const LOOK_EVERY = 25;

/** What a budget reads and runs; tests give their own. */
export interface HeapControl {
  /** V8's used heap in bytes now. */
  usedBytes(): number;
  /** One full, synchronous collection. */
  collect(): void;
}

/** A heap kept within `stepBytes` of what the last collection left. */
export class HeapBudget {
  readonly #control: HeapControl;
  readonly #stepBytes: number;
  readonly #lookEvery: number;
  #units = 0;
  #floor = Number.POSITIVE_INFINITY;
  #collections = 0;

  constructor(control: HeapControl, stepBytes = HEAP_STEP_BYTES, lookEvery = LOOK_EVERY) {
    this.#control = control;
    this.#stepBytes = stepBytes;
    this.#lookEvery = lookEvery;
  }

  /** Notes one unit of work; collects when the heap has grown a step past the floor. */
  unitDone(): void {
    if (++this.#units % this.#lookEvery !== 0) return;
    const used = this.#control.usedBytes();
    // Lower than the floor: V8 collected on its own since the last look.
    if (used < this.#floor) {
      this.#floor = used;
      return;
    }
    if (used - this.#floor < this.#stepBytes) return;
    this.#control.collect();
    this.#collections++;
    this.#floor = this.#control.usedBytes();
  }

  /** How many collections the budget ran. */
  get collections(): number {
    return this.#collections;
  }
}

type Collector = (options?: unknown) => void;

/** The process's budget, created on first use when `gc()` is exposed; null when it is not. */
let processBudget: HeapBudget | null | undefined;

function budget(): HeapBudget | null {
  if (processBudget !== undefined) return processBudget;
  const gc = (globalThis as { gc?: Collector }).gc;
  processBudget = typeof gc !== "function" ? null : new HeapBudget({
    usedBytes: () => Deno.memoryUsage().heapUsed,
    collect: () => gc({ type: "major", execution: "sync" }),
  });
  return processBudget;
}

/** Notes a unit of long work done, for the process's heap budget (see the module doc). */
export function keepHeapNear(): void {
  budget()?.unitDone();
}
