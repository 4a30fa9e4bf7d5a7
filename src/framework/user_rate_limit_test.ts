import assert from "node:assert/strict";
import { recordingContext } from "./testing.ts";
import {
  type Admission,
  rateLimitNotice,
  rateLimitPerUser,
  spokenDuration,
  UserRateLimiter,
} from "./user_rate_limit.ts";

const kinds = (xs: Admission[]) => xs.map((x) => x.kind);

Deno.test("UserRateLimiter: a burst is answered, then one notice, then drops", () => {
  const limiter = new UserRateLimiter({ limit: 3, windowMs: 10_000 });
  const seen = Array.from({ length: 8 }, (_, i) => limiter.admit("u1", 1_000 + i));
  assert.deepEqual(kinds(seen), [
    "answer",
    "answer",
    "answer",
    "notice",
    "drop",
    "drop",
    "drop",
    "drop",
  ]);
  const notice = seen[3];
  assert.equal(notice.kind === "notice" && notice.silenceMs, 10_000);
});

Deno.test("UserRateLimiter: other senders are not affected", () => {
  const limiter = new UserRateLimiter({ limit: 2, windowMs: 10_000 });
  for (let i = 0; i < 5; i++) limiter.admit("flooder", i);
  assert.equal(limiter.admit("other", 5).kind, "answer");
  assert.equal(limiter.admit("flooder", 6).kind, "drop");
});

Deno.test("UserRateLimiter: a steady pace within the limit is never refused", () => {
  const limiter = new UserRateLimiter({ limit: 20, windowMs: 60_000 });
  // One message every 3 s for an hour: exactly the sustained rate.
  for (let t = 0; t < 3_600_000; t += 3_000) {
    assert.equal(limiter.admit("u1", t).kind, "answer", `at ${t}`);
  }
});

Deno.test("UserRateLimiter: after the silence the sender gets a full burst again", () => {
  const limiter = new UserRateLimiter({ limit: 2, windowMs: 1_000 });
  assert.deepEqual(kinds([0, 1, 2, 3].map((t) => limiter.admit("u", t))), [
    "answer",
    "answer",
    "notice",
    "drop",
  ]);
  assert.equal(limiter.admit("u", 1_001).kind, "drop", "still silenced just before the end");
  assert.equal(limiter.admit("u", 1_002).kind, "answer");
  assert.equal(limiter.admit("u", 1_003).kind, "answer");
});

Deno.test("UserRateLimiter: a repeat offence within a day doubles the silence, up to a day", () => {
  const limiter = new UserRateLimiter({ limit: 1, windowMs: 60_000 });
  let now = 0;
  const silences: number[] = [];
  for (let round = 0; round < 14; round++) {
    limiter.admit("u", now);
    const notice = limiter.admit("u", now + 1);
    assert.equal(notice.kind, "notice");
    if (notice.kind !== "notice") return;
    silences.push(notice.silenceMs / 60_000);
    now = notice.until;
  }
  assert.deepEqual(silences, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1440, 1440, 1440]);
  // A day without an offence: back to one window.
  now += 86_400_000;
  limiter.admit("u", now);
  const fresh = limiter.admit("u", now + 1);
  assert.equal(fresh.kind === "notice" && fresh.silenceMs, 60_000);
});

Deno.test("UserRateLimiter: 0 turns it off", () => {
  const limiter = new UserRateLimiter({ limit: 0, windowMs: 1_000 });
  for (let i = 0; i < 1_000; i++) assert.equal(limiter.admit("u", 0).kind, "answer");
});

Deno.test("UserRateLimiter: senders with nothing to remember are forgotten", () => {
  const limiter = new UserRateLimiter({ limit: 5, windowMs: 1_000 });
  for (let i = 0; i < 1_000; i++) limiter.admit(`u${i}`, 0);
  assert.equal(limiter.size, 1_000);
  limiter.admit("late", 5_000);
  assert.equal(limiter.size, 1);
});

Deno.test("spokenDuration and the notice say how long", () => {
  assert.equal(spokenDuration(1_000), "1 second");
  assert.equal(spokenDuration(60_000), "60 seconds");
  assert.equal(spokenDuration(240_000), "4 minutes");
  assert.equal(spokenDuration(86_400_000), "24 hours");
  assert.match(rateLimitNotice(60_000), /faster than I answer.*next 60 seconds.*dropped/);
});

Deno.test("rateLimitPerUser: counts by arrival; dropped messages run nothing and get no reply", async () => {
  const counters = { dropped: 0, notices: 0 };
  const middleware = rateLimitPerUser({ limit: 2, windowMs: 60_000 }, counters);
  const handled: string[] = [];
  const replies: string[] = [];
  for (let i = 0; i < 6; i++) {
    // Handled late (as if queued behind slow answers), but they all arrived at once.
    const { ctx, replies: r } = recordingContext({
      post: { id: `p${i}`, user_id: "u1", message: `m${i}` },
      receivedAt: 1_000 + i,
    });
    await middleware(ctx, () => {
      handled.push(ctx.text);
      return Promise.resolve();
    });
    replies.push(...r);
  }
  assert.deepEqual(handled, ["m0", "m1"]);
  assert.equal(replies.length, 1);
  assert.match(replies[0], /faster than I answer/);
  assert.deepEqual(counters, { dropped: 4, notices: 1 });
});
