import assert from "node:assert/strict";
import { KeyedQueue } from "./keyed_queue.ts";

Deno.test("tasks of one key run one at a time, in order", async () => {
  const queue = new KeyedQueue();
  const trace: string[] = [];
  const gate = Promise.withResolvers<void>();
  const first = queue.run("alice", async () => {
    trace.push("1 start");
    await gate.promise;
    trace.push("1 end");
  });
  const second = queue.run("alice", () => {
    trace.push("2");
    return Promise.resolve();
  });
  await Promise.resolve();
  assert.deepEqual(trace, ["1 start"]);
  gate.resolve();
  await Promise.all([first, second]);
  assert.deepEqual(trace, ["1 start", "1 end", "2"]);
});

Deno.test("different keys run concurrently", async () => {
  const queue = new KeyedQueue();
  const gate = Promise.withResolvers<void>();
  let bobDone = false;
  const alice = queue.run("alice", () => gate.promise);
  await queue.run("bob", () => {
    bobDone = true;
    return Promise.resolve();
  });
  assert.equal(bobDone, true);
  let aliceDone = false;
  void alice.then(() => aliceDone = true);
  await Promise.resolve();
  assert.equal(aliceDone, false);
  gate.resolve();
  await alice;
  await queue.idle();
  assert.equal(aliceDone, true);
});

Deno.test("a failing task rejects its own promise and does not block the next", async () => {
  const queue = new KeyedQueue();
  const failing = queue.run("k", () => Promise.reject(new Error("boom")));
  let ran = false;
  const next = queue.run("k", () => {
    ran = true;
    return Promise.resolve();
  });
  await assert.rejects(failing, /boom/);
  await next;
  assert.equal(ran, true);
});

Deno.test("idle() waits for everything queued, including tasks queued meanwhile", async () => {
  const queue = new KeyedQueue();
  const done: string[] = [];
  const gate = Promise.withResolvers<void>();
  void queue.run("a", async () => {
    await gate.promise;
    done.push("a");
    void queue.run("b", () => {
      done.push("b");
      return Promise.resolve();
    });
  });
  const idle = queue.idle();
  gate.resolve();
  await idle;
  assert.deepEqual(done, ["a", "b"]);
});
