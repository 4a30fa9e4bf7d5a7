import assert from "node:assert/strict";
import { Semaphore } from "./semaphore.ts";

Deno.test("semaphore: never more holders than permits, all tasks run, FIFO order", async () => {
  const slots = new Semaphore(3);
  let running = 0;
  let peak = 0;
  const order: number[] = [];
  const gates = Array.from({ length: 10 }, () => Promise.withResolvers<void>());
  const tasks = gates.map((gate, i) =>
    slots.run(async () => {
      order.push(i);
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
      return i;
    })
  );
  for (const gate of gates) gate.resolve();
  assert.deepEqual(await Promise.all(tasks), [...Array(10).keys()]);
  assert.equal(peak, 3);
  assert.deepEqual(order, [...Array(10).keys()]);
  // Every permit came back: three new holders get in at once, a fourth waits.
  const gate = Promise.withResolvers<void>();
  let holders = 0;
  const again = Array.from({ length: 4 }, () =>
    slots.run(async () => {
      holders++;
      await gate.promise;
    }));
  assert.equal(holders, 3);
  gate.resolve();
  await Promise.all(again);
  assert.equal(holders, 4);
});

Deno.test("semaphore: a failing task frees its permit", async () => {
  const slots = new Semaphore(1);
  await assert.rejects(slots.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await slots.run(() => Promise.resolve(7)), 7);
});

Deno.test("semaphore: rejects nonsense permits", () => {
  assert.throws(() => new Semaphore(0), RangeError);
});
