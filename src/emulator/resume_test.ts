import assert from "node:assert/strict";
import {
  ConnectionState,
  DEAD_QUEUE_SIZE,
  DeadQueue,
  emptyBroadcast,
  RESUME_RETENTION_MS,
  SEND_QUEUE_SIZE,
  type WsEvent,
} from "./resume.ts";

const ev = (n: number): WsEvent => ({ event: "posted", data: { n }, broadcast: emptyBroadcast() });

Deno.test("sequence numbers are per connection and increase from 0", () => {
  const a = new ConnectionState("a", "u");
  const b = new ConnectionState("b", "u");
  assert.deepEqual([a.sequence(ev(1)).seq, a.sequence(ev(2)).seq, b.sequence(ev(3)).seq], [
    0,
    1,
    0,
  ]);
});

Deno.test("the dead queue keeps only the last 128 events", () => {
  const q = new DeadQueue();
  for (let i = 0; i < DEAD_QUEUE_SIZE + 10; i++) q.push({ ...ev(i), seq: i });
  assert.equal(q.size, DEAD_QUEUE_SIZE);
  assert.equal(q.from(9), undefined);
  assert.equal(q.from(10)?.length, DEAD_QUEUE_SIZE);
});

Deno.test("resume replays from the requested seq and continues numbering", () => {
  const c = new ConnectionState("a", "u");
  for (let i = 0; i < 5; i++) c.sequence(ev(i)); // seq 0..4 written, client saw 0..2
  c.detach(0);
  c.enqueue(ev(5));
  const outcome = c.resume(3, () => "new");
  assert.equal(outcome.kind, "replay");
  assert.deepEqual(outcome.kind === "replay" && outcome.events.map((e) => e.seq), [3, 4]);
  assert.deepEqual(c.drainPending().map((e) => e.seq), [5]);
  assert.equal(c.id, "a");
});

Deno.test("resume right after the last event is lossless", () => {
  const c = new ConnectionState("a", "u");
  c.sequence(ev(0));
  c.sequence(ev(1));
  c.detach(0);
  assert.deepEqual(c.resume(2, () => "new"), { kind: "lossless" });
  assert.equal(c.sequence(ev(2)).seq, 2);
});

Deno.test("resume from an evicted seq loses: new id, seq restarts at 0", () => {
  const c = new ConnectionState("a", "u");
  for (let i = 0; i < DEAD_QUEUE_SIZE + 5; i++) c.sequence(ev(i));
  c.detach(0);
  assert.deepEqual(c.resume(1, () => "fresh"), { kind: "lost" });
  assert.equal(c.id, "fresh");
  assert.equal(c.dead.size, 0);
  assert.equal(c.sequence(ev(0)).seq, 0);
});

Deno.test("inactive connections expire after the retention and overflow past the send queue", () => {
  const c = new ConnectionState("a", "u");
  c.detach(1000);
  assert.equal(c.isExpired(1000 + RESUME_RETENTION_MS), false);
  assert.equal(c.isExpired(1001 + RESUME_RETENTION_MS), true);
  let ok = true;
  for (let i = 0; i <= SEND_QUEUE_SIZE; i++) ok = c.enqueue(ev(i));
  assert.equal(ok, false);
});
