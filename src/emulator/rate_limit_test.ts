import assert from "node:assert/strict";
import { ArrivalWindow, GcraRateLimiter, rateLimitHeaders } from "./rate_limit.ts";

function steppedClock() {
  let now = 1_000_000_000_000;
  return { clock: () => now, advanceMs: (ms: number) => (now += ms * 1e6) };
}

Deno.test("GCRA allows maxBurst + 1 requests at once, then refuses", () => {
  const { clock } = steppedClock();
  const limiter = new GcraRateLimiter({ perSec: 10, maxBurst: 100 }, clock);
  for (let i = 0; i < 101; i++) {
    const r = limiter.take("a");
    assert.equal(r.limited, false, `request ${i} should pass`);
    assert.equal(r.limit, 101);
    assert.equal(r.remaining, 100 - i);
  }
  const refused = limiter.take("a");
  assert.equal(refused.limited, true);
  assert.equal(refused.remaining, 0);
  assert.equal(refused.retryAfterNs, 100_000_000);
  assert.equal(refused.resetAfterNs, 10_100_000_000);
});

Deno.test("GCRA refills at perSec and keys are independent", () => {
  const { clock, advanceMs } = steppedClock();
  const limiter = new GcraRateLimiter({ perSec: 2, maxBurst: 0 }, clock);
  assert.equal(limiter.take("a").limited, false);
  assert.equal(limiter.take("a").limited, true);
  assert.equal(limiter.take("b").limited, false);
  advanceMs(499);
  assert.equal(limiter.take("a").limited, true);
  advanceMs(1);
  assert.equal(limiter.take("a").limited, false);
});

Deno.test("headers round seconds up and carry Retry-After only when limited", () => {
  const { clock } = steppedClock();
  const limiter = new GcraRateLimiter({ perSec: 10, maxBurst: 1 }, clock);
  const first = rateLimitHeaders(limiter.take("k"));
  assert.deepEqual(first, {
    "X-Ratelimit-Limit": "2",
    "X-Ratelimit-Remaining": "1",
    "X-Ratelimit-Reset": "1",
  });
  limiter.take("k");
  const refused = rateLimitHeaders(limiter.take("k"));
  assert.equal(refused["Retry-After"], "1");
  assert.equal(refused["X-Ratelimit-Remaining"], "0");
});

Deno.test("invalid quotas are rejected", () => {
  assert.throws(() => new GcraRateLimiter({ perSec: 0, maxBurst: 1 }));
  assert.throws(() => new GcraRateLimiter({ perSec: 1, maxBurst: -1 }));
});

Deno.test("requests that arrive together are decided in a shuffled order", async () => {
  const { clock } = steppedClock();
  const turns: (() => void)[] = [];
  // random() = 0 always swaps with the first: [a, b, c] -> [b, c, a].
  const window = new ArrivalWindow(
    new GcraRateLimiter({ perSec: 10, maxBurst: 2 }, clock),
    "shuffled",
    () => 0,
    (fn) => turns.push(fn),
  );
  const decided = ["a", "b", "c", "d"].map((key) => window.take(key));
  assert.equal(turns.length, 1, "one turn closes the batch");
  turns[0]();
  const results = await Promise.all(decided);
  // Three tokens per key, each key its own bucket: all pass, each with 2 left.
  assert.deepEqual(results.map((r) => r.remaining), [2, 2, 2, 2]);
  const shared = new ArrivalWindow(
    new GcraRateLimiter({ perSec: 10, maxBurst: 1 }, clock),
    "shuffled",
    () => 0,
    (fn) => turns.push(fn),
  );
  const same = [1, 2, 3].map(() => shared.take("k"));
  turns[1]();
  // Decided as [2nd, 3rd, 1st]: the first one sent is the one refused.
  assert.deepEqual((await Promise.all(same)).map((r) => r.limited), [true, false, false]);
});

Deno.test("fifo decides each request as it arrives", async () => {
  const { clock } = steppedClock();
  const fifo = new ArrivalWindow(
    new GcraRateLimiter({ perSec: 10, maxBurst: 1 }, clock),
    "fifo",
    () => 0,
    () => assert.fail("no batch in fifo order"),
  );
  const results = await Promise.all([1, 2, 3].map(() => fifo.take("k")));
  assert.deepEqual(results.map((r) => r.limited), [false, false, true]);
});
