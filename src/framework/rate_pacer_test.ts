import assert from "node:assert/strict";
import { GcraRateLimiter, rateLimitHeaders } from "@postbot/mattermost-emulator";
import { RateModel, RatePacer, readRateLimitInfo } from "./rate_pacer.ts";

Deno.test("readRateLimitInfo reads Mattermost's three headers and ignores anything else", () => {
  const headers = new Headers({
    "X-Ratelimit-Limit": "101",
    "X-Ratelimit-Remaining": "7",
    "X-Ratelimit-Reset": "10",
  });
  assert.deepEqual(readRateLimitInfo(headers), { limit: 101, remaining: 7, resetSeconds: 10 });
  assert.equal(readRateLimitInfo(new Headers()), undefined);
  assert.equal(
    readRateLimitInfo(new Headers({ "X-Ratelimit-Limit": "x", "X-Ratelimit-Remaining": "1" })),
    undefined,
  );
});

Deno.test("RateModel: without rate-limit headers nothing ever waits", () => {
  const model = new RateModel();
  for (let i = 0; i < 1_000; i++) {
    assert.equal(model.nextRelease(i), i);
    model.observe(model.release(), 200, undefined, i);
  }
});

Deno.test("RateModel: a 429's pause holds every request until it ends", () => {
  const model = new RateModel();
  model.pause(5_000);
  assert.equal(model.nextRelease(1_000), 5_000);
  assert.equal(model.nextRelease(6_000), 6_000);
});

/**
 * `workers` clients send `total` requests through a RateModel to throttled's GCRA limiter on a
 * simulated clock (1 ms steps, `latencyMs` per answer), retrying 429s after Retry-After.
 */
function simulate(
  quota: { perSec: number; maxBurst: number },
  options: { total: number; workers: number; latencyMs: number },
) {
  let now = 0;
  const limiter = new GcraRateLimiter(quota, () => now * 1e6);
  const model = new RateModel();
  const answers: { at: number; position: number; status: number; headers: Headers }[] = [];
  const busyUntil = new Array<number>(options.workers).fill(0);
  let admitted = 0;
  let limited = 0;
  let started = 0;
  const retries: number[] = [];
  const releasedAt: number[] = [];
  while (admitted < options.total) {
    for (const a of answers.filter((a) => a.at <= now)) {
      answers.splice(answers.indexOf(a), 1);
      model.observe(a.position, a.status, readRateLimitInfo(a.headers), now);
      if (a.status === 429) {
        model.pause(now + Number(a.headers.get("Retry-After")) * 1000);
        retries.push(1);
      }
    }
    for (let w = 0; w < options.workers; w++) {
      if (busyUntil[w] > now) continue;
      const wanted = retries.length > 0 || started < options.total;
      if (!wanted || model.nextRelease(now) > now) continue;
      if (retries.length > 0) retries.pop();
      else started++;
      const position = model.release();
      releasedAt.push(now);
      const result = limiter.take("client");
      if (result.limited) limited++;
      else admitted++;
      const headers = new Headers(rateLimitHeaders(result));
      const at = now + options.latencyMs;
      answers.push({ at, position, status: result.limited ? 429 : 200, headers });
      busyUntil[w] = at + 1;
    }
    now++;
  }
  const minimumMs = (options.total - quota.maxBurst - 1) / quota.perSec * 1000;
  // The pace in the steady state: the mean gap between the last 100 requests sent.
  const last = releasedAt.slice(-101);
  const paceMs = (last[last.length - 1] - last[0]) / (last.length - 1);
  return { elapsedMs: now, minimumMs, limited, paceMs };
}

Deno.test("RateModel: Mattermost's default limit is used to within a few percent, without 429s", () => {
  const run = simulate({ perSec: 10, maxBurst: 100 }, { total: 600, workers: 8, latencyMs: 20 });
  assert.ok(run.elapsedMs <= run.minimumMs * 1.05, `${run.elapsedMs} ms vs ${run.minimumMs}`);
  assert.ok(run.limited <= 3, `${run.limited} requests were answered 429`);
  // Once the burst is spent, requests go out at close to the real interval of 100 ms.
  assert.ok(run.paceMs >= 99 && run.paceMs < 112, `${run.paceMs}`);
});

Deno.test("RateModel: a small bucket with a high rate is not slowed to one burst per Retry-After", () => {
  // Retry-After is rounded up to 1 s, in which a bucket of 11 refills almost five times.
  const run = simulate({ perSec: 50, maxBurst: 10 }, { total: 400, workers: 8, latencyMs: 5 });
  assert.ok(run.elapsedMs <= run.minimumMs * 1.25, `${run.elapsedMs} ms vs ${run.minimumMs}`);
  assert.ok(run.limited <= 3, `${run.limited} requests were answered 429`);
});

Deno.test("RateModel: many workers share the limit and nobody is refused again and again", () => {
  const run = simulate({ perSec: 10, maxBurst: 100 }, { total: 400, workers: 64, latencyMs: 20 });
  assert.ok(run.limited <= 10, `${run.limited} requests were answered 429`);
  assert.ok(run.elapsedMs <= run.minimumMs * 1.05, `${run.elapsedMs} ms vs ${run.minimumMs}`);
});

Deno.test("RatePacer: waiting requests go out in order, retries first, aborted ones never", async () => {
  const pacer = new RatePacer();
  pacer.pause(30);
  const order: string[] = [];
  const abort = new AbortController();
  const a = pacer.acquire().then(() => order.push("a"));
  const b = pacer.acquire(abort.signal).then(() => order.push("b"), () => order.push("b aborted"));
  const c = pacer.acquire().then(() => order.push("c"));
  const retry = pacer.acquire(undefined, true).then(() => order.push("retry"));
  await Promise.resolve();
  assert.deepEqual(order, [], "all four wait out the pause");
  abort.abort(new Error("stop"));
  await Promise.all([a, b, c, retry]);
  assert.deepEqual(order, ["b aborted", "retry", "a", "c"]);
});

Deno.test("RatePacer: background requests wait behind live ones queued after them", async () => {
  const pacer = new RatePacer();
  pacer.pause(30);
  const order: string[] = [];
  const bg1 = pacer.acquire(undefined, false, true).then(() => order.push("catch-up 1"));
  const live = pacer.acquire().then(() => order.push("live"));
  const bg2 = pacer.acquire(undefined, false, true).then(() => order.push("catch-up 2"));
  const later = pacer.acquire().then(() => order.push("delivery"));
  const retry = pacer.acquire(undefined, true, true).then(() => order.push("retry"));
  await Promise.all([bg1, live, bg2, later, retry]);
  assert.deepEqual(order, ["retry", "live", "delivery", "catch-up 1", "catch-up 2"]);
});

Deno.test("a wait never outlasts the bucket reading it rests on", () => {
  const model = new RateModel();
  // Learn an interval bound from a bucket of 6 (burst 5): 3 used, full again within 1 s.
  const first = model.release();
  model.observe(first, 200, { limit: 6, remaining: 3, resetSeconds: 1 }, 0);
  // The headers bound the interval at R / (L − r − 1) = 1 s / 2: the reading lapses after
  // a full refill of 6 such intervals.
  const lapse = 6 * 500 + 1;
  // 200 requests go out and none answers with headers (faults, a limiter switched off).
  for (let i = 0; i < 200; i++) model.release();
  const next = model.nextRelease(10);
  assert.ok(next > 10, "the drained bucket makes the next request wait");
  assert.ok(next <= lapse, `waits until ${next} ms, past the reading's lapse at ${lapse} ms`);
  assert.equal(model.nextRelease(lapse + 1), lapse + 1, "after the lapse nothing waits");
});
