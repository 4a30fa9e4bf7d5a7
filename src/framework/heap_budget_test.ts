import assert from "node:assert/strict";
import { HeapBudget } from "./heap_budget.ts";

const MB = 1_048_576;

/** A heap that grows by what the test allocates and shrinks to `live` when collected. */
function fakeHeap(live: number) {
  const heap = {
    used: live,
    live,
    collected: 0,
    usedBytes: () => heap.used,
    collect: () => {
      heap.collected++;
      heap.used = heap.live;
    },
  };
  return heap;
}

Deno.test("HeapBudget: collects once the heap has grown a step past what the last collection left", () => {
  const heap = fakeHeap(10 * MB);
  const budget = new HeapBudget(heap, 3 * MB, 1);
  budget.unitDone(); // the first look sets the floor: 10 MB
  heap.used += 2 * MB;
  budget.unitDone();
  assert.equal(heap.collected, 0, "2 MB of growth is within the step");
  heap.used += 1 * MB;
  budget.unitDone();
  assert.equal(heap.collected, 1, "3 MB is a step");
  assert.equal(budget.collections, 1);
  // More stays alive now (a list being built): the floor follows it after each collection.
  heap.live = 14 * MB;
  heap.used = 16 * MB;
  budget.unitDone();
  assert.equal(heap.collected, 2);
  heap.used = 16 * MB;
  budget.unitDone();
  assert.equal(heap.collected, 2, "2 MB above the new floor (14 MB) is within the step");
});

Deno.test("HeapBudget: a collection V8 ran on its own lowers the floor", () => {
  const heap = fakeHeap(10 * MB);
  const budget = new HeapBudget(heap, 3 * MB, 1);
  budget.unitDone();
  heap.used = 8 * MB; // V8 collected: 8 MB is the floor now
  budget.unitDone();
  heap.used = 11.5 * MB;
  budget.unitDone();
  assert.equal(heap.collected, 1, "3.5 MB above the 8 MB floor");
});

Deno.test("HeapBudget: looks at the heap only every `lookEvery` units", () => {
  const heap = fakeHeap(10 * MB);
  let looks = 0;
  const budget = new HeapBudget(
    {
      usedBytes: () => {
        looks++;
        return heap.used;
      },
      collect: heap.collect,
    },
    3 * MB,
    25,
  );
  for (let i = 0; i < 100; i++) budget.unitDone();
  assert.equal(looks, 4);
});
