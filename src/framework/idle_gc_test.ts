import assert from "node:assert/strict";
import { idleCollections, settleSoon } from "./idle_gc.ts";

type WithGc = { gc?: (options?: unknown) => void };

Deno.test("settleSoon: one memory-reducing collection once work has stopped", async () => {
  const global = globalThis as WithGc;
  const original = global.gc;
  const calls: unknown[] = [];
  const collected = Promise.withResolvers<void>();
  global.gc = (options) => {
    calls.push(options);
    collected.resolve();
  };
  try {
    const before = idleCollections();
    // Work keeps arriving: each call postpones the collection.
    for (let i = 0; i < 5; i++) settleSoon(20);
    const timeout = setTimeout(() => collected.reject(new Error("no collection")), 10_000);
    await collected.promise.finally(() => clearTimeout(timeout));
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], { type: "major", execution: "sync", flavor: "last-resort" });
    assert.equal(idleCollections(), before + 1);
  } finally {
    global.gc = original;
  }
});

Deno.test("settleSoon: without an exposed gc() it does nothing", () => {
  const global = globalThis as WithGc;
  const original = global.gc;
  delete global.gc;
  try {
    const before = idleCollections();
    settleSoon(1);
    assert.equal(idleCollections(), before);
  } finally {
    global.gc = original;
  }
});
