import assert from "node:assert/strict";
import { GcraRateLimiter, rateLimitHeaders } from "./rate_limit.ts";

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
