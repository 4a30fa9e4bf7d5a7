import { targetKey } from "./model.ts";
import assert from "node:assert/strict";
import { type LivePost, reactionText, statusReport, totals } from "./status.ts";
import type { BroadcastRecord, ChannelDelivery } from "./model.ts";

const record: BroadcastRecord = {
  id: "k3m9x2qa",
  senderId: "u1",
  senderUsername: "alice",
  createdAt: Date.UTC(2026, 10, 30, 9, 0),
  finishedAt: Date.UTC(2026, 10, 30, 9, 1),
  targetAnswer: "all",
  message: "Hello",
  files: [],
  sourcePostId: null,
  status: "done",
  error: null,
};

function delivery(name: string, status: ChannelDelivery["status"], postId: string | null) {
  return {
    kind: "channel" as const,
    channelId: `${name}-id`,
    name,
    displayName: name.toUpperCase(),
    status,
    postId,
    error: status === "failed" ? "the bot is not a member" : null,
    attempts: 1,
    updatedAt: 0,
  } satisfies ChannelDelivery;
}

function live(reactions: Record<string, number>, replies: number, deleted = false): LivePost {
  return {
    createAt: Date.UTC(2026, 10, 30, 9, 0, 30),
    deleted,
    reactions: new Map(Object.entries(reactions)),
    replies,
  };
}

Deno.test("statusReport: one line per channel, whatever happened to it, and the totals", () => {
  const deliveries = [
    delivery("berlin", "delivered", "p1"),
    delivery("paris", "delivered", "p2"),
    delivery("rome", "failed", null),
    delivery("oslo", "deleted", "p4"),
    delivery("lima", "delivered", "p5"),
  ];
  const posts = new Map([
    ["p1", live({ "+1": 2, tada: 1 }, 3)],
    ["p2", live({}, 0)],
    ["p5", live({ "+1": 9 }, 1, true)],
  ]);
  const text = statusReport(record, deliveries, posts, (id) => `https://chat/staff/pl/${id}`);
  assert.match(
    text,
    /~berlin \(BERLIN\): delivered 2026-11-30 09:00 UTC · \[permalink\]\(https:\/\/chat\/staff\/pl\/p1\) · :\+1: 2, :tada: 1 · 3 replies/,
  );
  assert.match(text, /~paris \(PARIS\): .* · no reactions · 0 replies/);
  assert.match(text, /~rome: not delivered \(the bot is not a member\)/);
  assert.match(text, /~oslo: taken back with `!undo`/);
  assert.match(text, /~lima: delivered, but the post has been deleted since/);
  assert.match(
    text,
    /Totals:\*\* 2 of 5 channels show it \(1 deleted since\) · 3 reactions \(:\+1: 2, :tada: 1\) · 3 replies/,
  );
});

Deno.test("reactionText and totals count by emoji, most first, deleted posts left out", () => {
  assert.equal(
    reactionText(new Map([["tada", 1], ["+1", 4], ["eyes", 1]])),
    ":+1: 4, :eyes: 1, :tada: 1",
  );
  const t = totals([live({ "+1": 1 }, 2), live({ "+1": 1, heart: 1 }, 0), live({ x: 5 }, 5, true)]);
  assert.equal(t.live, 2);
  assert.equal(t.replies, 2);
  assert.equal(t.reactionCount, 3);
  assert.deepEqual([...t.reactions], [["+1", 2], ["heart", 1]]);
});

Deno.test("statusReport: a hidden channel is counted, and its reactions and replies stay out", () => {
  const visible = [delivery("berlin", "delivered", "p1"), delivery("rome", "failed", null)];
  const secret = delivery("secret", "delivered", "p9");
  const posts = new Map([["p1", live({ "+1": 2 }, 1)], ["p9", live({ "+1": 7, eyes: 3 }, 4)]]);
  const permalink = (id: string) => `https://chat/staff/pl/${id}`;
  const withSecret = statusReport(
    record,
    [...visible, secret],
    posts,
    permalink,
    new Set([targetKey(secret)]),
  );
  const without = statusReport(record, visible, posts, permalink);
  assert.equal(withSecret.includes("secret"), false, withSecret);
  assert.match(withSecret, /- 1 private channel you are not a member of \(not in the totals\)/);
  const totalsOf = (text: string) => text.slice(text.indexOf("**Totals:**"));
  assert.equal(totalsOf(withSecret), totalsOf(without));
  assert.match(totalsOf(without), /1 of 2 channels show it · 2 reactions \(:\+1: 2\) · 1 reply$/);
});
