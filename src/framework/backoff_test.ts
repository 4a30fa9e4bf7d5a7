import assert from "node:assert/strict";
import { backoffDelay, delay } from "./backoff.ts";

const POLICY = { initialMs: 100, maxMs: 1_000 };

Deno.test("backoffDelay doubles per attempt, with jitter between half and full", () => {
  assert.equal(backoffDelay(POLICY, 1, () => 0), 50);
  assert.equal(backoffDelay(POLICY, 1, () => 1), 100);
  assert.equal(backoffDelay(POLICY, 2, () => 1), 200);
  assert.equal(backoffDelay(POLICY, 3, () => 0), 200);
  assert.equal(backoffDelay(POLICY, 4, () => 0.5), 600);
});

Deno.test("backoffDelay is capped at maxMs and safe for attempt 0", () => {
  assert.equal(backoffDelay(POLICY, 50, () => 1), 1_000);
  assert.equal(backoffDelay(POLICY, 50, () => 0), 500);
  assert.equal(backoffDelay(POLICY, 0, () => 1), 100);
  for (let attempt = 1; attempt < 20; attempt++) {
    const d = backoffDelay(POLICY, attempt);
    assert.ok(d >= 50 && d <= 1_000, `${attempt}: ${d}`);
  }
});

Deno.test("delay resolves; an abort rejects it with the reason", async () => {
  await delay(1);
  const controller = new AbortController();
  const waiting = delay(60_000, controller.signal);
  controller.abort(new Error("shutting down"));
  await assert.rejects(waiting, /shutting down/);
});

Deno.test("delay rejects at once when the signal is already aborted", async () => {
  await assert.rejects(delay(60_000, AbortSignal.abort(new Error("gone"))), /gone/);
});
