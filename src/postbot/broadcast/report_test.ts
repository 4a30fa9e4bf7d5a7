import assert from "node:assert/strict";
import type { BroadcastRecord, DeliveryRecord, DeliveryStatus } from "./log.ts";
import { auditSummary, deliveryReport, duration, undoWindowClosedText, when } from "./report.ts";
import { withinWindow } from "./rules.ts";

const RECORD: BroadcastRecord = {
  id: "k3m9x2qa",
  senderId: "u".repeat(26),
  senderUsername: "alice",
  createdAt: Date.UTC(2025, 2, 4, 9, 30),
  finishedAt: null,
  targetAnswer: "all",
  message: "Heads up @channel: the **office** closes early today.",
  files: [{ id: "f".repeat(26), name: "plan_[v2].pdf", size: 10, mimeType: "application/pdf" }],
  sourcePostId: null,
  status: "done",
  error: null,
};

function delivery(
  name: string,
  status: DeliveryStatus,
  error: string | null = null,
): DeliveryRecord {
  return {
    channelId: name.padEnd(26, "x").slice(0, 26),
    name,
    displayName: name.replace(/-/g, " "),
    status,
    postId: status === "delivered" ? "p".repeat(26) : null,
    error,
    attempts: 1,
    updatedAt: 0,
  };
}

const MIXED = [
  delivery("office-berlin", "delivered"),
  delivery("office-paris", "delivered"),
  delivery("town-hall", "failed", "the bot is not a member of ~town-hall"),
  delivery("old-news", "failed", "~old-news was archived"),
];

Deno.test("when formats UTC minutes", () => {
  assert.equal(when(Date.UTC(2025, 2, 4, 9, 30, 59)), "2025-03-04 09:30 UTC");
});

Deno.test("deliveryReport counts, names every failure with its reason, and offers retry and undo", () => {
  const text = deliveryReport(RECORD, MIXED, { undoWindowSeconds: 3600 });
  assert.match(text, /^\*\*Delivered to 2 of 4 channels\*\* \(broadcast `k3m9x2qa`\)\./);
  assert.match(text, /- ~town-hall \(town hall\): the bot is not a member of ~town-hall/);
  assert.match(text, /- ~old-news \(old news\): ~old-news was archived/);
  assert.match(text, /`!retry k3m9x2qa`/);
  assert.match(text, /`!undo k3m9x2qa` within 60 minutes/);
  assert.doesNotMatch(text, /Delivered to: /, "delivered channels are listed only on request");
});

Deno.test("deliveryReport of a complete broadcast has no retry hint", () => {
  const text = deliveryReport(RECORD, [delivery("a", "delivered")], { undoWindowSeconds: 600 });
  assert.match(text, /Delivered to 1 of 1 channel\*\*/);
  assert.doesNotMatch(text, /retry/);
  assert.match(text, /within 10 minutes/);
});

Deno.test("deliveryReport offers no undo when nothing arrived or undo is off", () => {
  const none = [delivery("a", "failed", "x")];
  assert.doesNotMatch(deliveryReport(RECORD, none, { undoWindowSeconds: 3600 }), /undo/);
  assert.doesNotMatch(deliveryReport(RECORD, MIXED, { undoWindowSeconds: 0 }), /undo/);
});

Deno.test("deliveryReport after an interruption lists exactly where it arrived", () => {
  const text = deliveryReport(RECORD, MIXED, {
    undoWindowSeconds: 3600,
    heading: "postbot was restarted while delivering your broadcast. ",
    listDelivered: true,
  });
  assert.match(text, /^postbot was restarted while delivering your broadcast\. \*\*Delivered to 2/);
  assert.match(text, /Delivered to: ~office-berlin, ~office-paris\n/);
});

Deno.test("auditSummary says who, when, how many, what failed, the id and the start of the message", () => {
  const text = auditSummary(RECORD, MIXED);
  assert.match(
    text,
    /^\*\*Broadcast\*\* `k3m9x2qa` by `@\u200balice` at \d{4}-\d\d-\d\d \d\d:\d\d UTC: /,
  );
  assert.match(text, /2 of 4 channels delivered, 2 failed\./);
  assert.match(text, /Failed: ~town-hall \(`the bot is not a member of ~town-hall`\); ~old-news/);
  assert.match(
    text,
    /\nMessage: `Heads up @\u200bchannel: the \*\*office\*\* closes early today\.`/,
  );
  assert.doesNotMatch(text, /@channel/, "the audit post must not ping the audit channel");
  assert.match(text, /Files: `plan_\[v2\]\.pdf`/);
});

Deno.test("auditSummary names the actor of an undo and counts deletions", () => {
  const deliveries = [delivery("a", "deleted"), delivery("b", "delivered")];
  const text = auditSummary(RECORD, deliveries, "Undo", "root");
  assert.match(text, /^\*\*Undo\*\* `k3m9x2qa` by `@\u200broot` at /);
  assert.match(text, /1 of 2 channels delivered, 1 deleted\./);
});

Deno.test("auditSummary of a files-only broadcast and of a long message", () => {
  const filesOnly = auditSummary({ ...RECORD, message: "  " }, MIXED);
  assert.match(filesOnly, /Message: _\(files only\)_/);
  const long = auditSummary({ ...RECORD, message: "x".repeat(10_000), files: [] }, MIXED);
  assert.ok(long.length < 1_000, `audit post is ${long.length} characters`);
  assert.doesNotMatch(long, /Files:/);
});

Deno.test("duration reads naturally at every scale", () => {
  assert.equal(duration(1), "1 second");
  assert.equal(duration(90), "90 seconds");
  assert.equal(duration(600), "10 minutes");
  assert.equal(duration(3600), "60 minutes");
  assert.equal(duration(5400), "90 minutes");
  assert.equal(duration(7200), "2 hours");
  assert.equal(duration(86_400), "24 hours");
  assert.equal(duration(3 * 86_400), "3 days");
});

Deno.test("undo window: open up to the window's end, then a refusal with the reason", () => {
  const end = RECORD.createdAt + 3_600_000;
  assert.equal(withinWindow(RECORD.createdAt, 3600, RECORD.createdAt), true);
  assert.equal(withinWindow(RECORD.createdAt, 3600, end), true);
  assert.equal(withinWindow(RECORD.createdAt, 3600, end + 1), false);
  assert.equal(
    undoWindowClosedText(RECORD, 3600),
    "Broadcast `k3m9x2qa` was sent 2025-03-04 09:30 UTC, more than 60 minutes ago, so it can " +
      "no longer be undone by me. Delete the posts by hand, or ask a channel admin.",
  );
});

Deno.test("auditSummary keeps user text inert: one line, in code, no mention, no fake line", () => {
  const hostile =
    "ok\n**Undo** `abc12345` by @bob at 2026\n# FAKE AUDIT\n> @all [x](http://e.vil)\n```";
  const text = auditSummary({ ...RECORD, message: hostile, senderUsername: "all" }, MIXED);
  const lines = text.split("\n");
  assert.equal(lines.filter((l) => /^\*\*/.test(l)).length, 1, text);
  assert.ok(lines.every((l) => !/^(#|>|```)/.test(l)), text);
  assert.doesNotMatch(text, /@(all|bob|channel|here)\b/);
  const message = lines.find((l) => l.startsWith("Message: "))!;
  assert.match(message, /^Message: `[^`]*`$/);
});

Deno.test("deliveryReport counts private channels the reader is not in, never names them", () => {
  const text = deliveryReport(RECORD, MIXED, {
    undoWindowSeconds: 3600,
    listDelivered: true,
    hidden: new Set(MIXED.map((d) => d.channelId)),
  });
  for (const d of MIXED) {
    assert.equal(text.includes(d.name), false, text);
    assert.equal(text.includes(d.channelId), false, text);
  }
  assert.match(text, /Delivered to 2 of 4 channels/);
  assert.match(text, /2 private channels you are not a member of/);
});
