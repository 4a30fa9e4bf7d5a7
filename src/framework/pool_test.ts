import assert from "node:assert/strict";
import { forEachBounded } from "./pool.ts";

/** A task that finishes when told to, so the test decides the interleaving. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

Deno.test("forEachBounded: in order, never more than the bound at once", async () => {
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const gates = Array.from({ length: 7 }, gate);
  const done = forEachBounded(gates, { concurrency: 3 }, async (g, i) => {
    started.push(i);
    peak = Math.max(peak, ++running);
    await g.opened;
    running--;
  });
  await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2]);
  gates[1].open();
  // Let the freed worker take its next item (microtasks only; no timer).
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.deepEqual(started, [0, 1, 2, 3]);
  for (const g of gates) g.open();
  await done;
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(peak, 3);
});

Deno.test("forEachBounded: an abort stops taking items; an error stops the rest", async () => {
  const controller = new AbortController();
  const seen: number[] = [];
  await forEachBounded([1, 2, 3, 4], { concurrency: 1, signal: controller.signal }, (n) => {
    seen.push(n);
    if (n === 2) controller.abort();
    return Promise.resolve();
  });
  assert.deepEqual(seen, [1, 2]);

  const tried: number[] = [];
  await assert.rejects(
    forEachBounded([1, 2, 3, 4], { concurrency: 2 }, (n) => {
      tried.push(n);
      return n === 1 ? Promise.reject(new Error("boom")) : Promise.resolve();
    }),
    /boom/,
  );
  assert.ok(!tried.includes(4), `taken after the error: ${tried}`);
  await forEachBounded([], { concurrency: 4 }, () => Promise.reject(new Error("never")));
});
