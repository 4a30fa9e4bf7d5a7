import assert from "node:assert/strict";
import { MAX_POST_RUNES } from "@postbot/framework/text";
import {
  decideDraft,
  decideEdit,
  decideRetry,
  decideUndo,
  decideUndoAtYes,
  MAX_FILES,
  mayActOn,
  runEnd,
} from "./rules.ts";
import { draftRefusalText, retryText, undoAtYesText, undoRefusalText } from "./rules_text.ts";
import type { BroadcastRecord, ChannelDelivery, DeliveryStatus } from "./model.ts";

const SENT = Date.UTC(2025, 2, 4, 9, 30);
const HOUR = 3_600_000;

function record(status: BroadcastRecord["status"] = "done"): BroadcastRecord {
  return {
    id: "k3m9x2qa",
    senderId: "alice",
    senderUsername: "alice",
    createdAt: SENT,
    finishedAt: SENT + 1000,
    targetAnswer: "all",
    message: "hello",
    files: [],
    sourcePostId: null,
    status,
    error: null,
  };
}

function delivery(status: DeliveryStatus, postId: string | null = "p1"): ChannelDelivery {
  return {
    kind: "channel" as const,
    channelId: `c-${status}`,
    name: status,
    displayName: status,
    status,
    postId,
    error: null,
    attempts: 1,
    updatedAt: SENT,
  };
}

Deno.test("mayActOn: own broadcasts, or anyone's for an administrator", () => {
  assert.equal(mayActOn({ id: "alice", username: "alice", admin: false }, "alice"), true);
  assert.equal(mayActOn({ id: "bob", username: "bob", admin: false }, "alice"), false);
  assert.equal(mayActOn({ id: "bob", username: "bob", admin: true }, "alice"), true);
});

Deno.test("decideUndo: busy, then the window, then something to delete", () => {
  const facts = {
    record: record(),
    deliveries: [delivery("delivered"), delivery("failed", null)],
    busy: false,
    windowSeconds: 3600,
    now: SENT + HOUR,
  };
  const ask = decideUndo(facts);
  assert.equal(ask.kind, "ask");
  assert.deepEqual(
    ask.kind === "ask" ? ask.delivered.map((d) => d.kind === "channel" ? d.name : "") : [],
    ["delivered"],
  );
  assert.equal(decideUndo({ ...facts, busy: true }).kind, "busy");
  assert.equal(decideUndo({ ...facts, record: record("pending") }).kind, "busy");
  const late = decideUndo({ ...facts, now: SENT + HOUR + 1 });
  assert.match(
    late.kind === "window_closed" ? undoRefusalText(late, 3600) : late.kind,
    /was sent 2025-03-04 09:30 UTC, more than 60 minutes ago/,
  );
  const none = decideUndo({ ...facts, deliveries: [delivery("deleted")] });
  assert.equal(none.kind, "nothing_delivered");
});

Deno.test("decideUndoAtYes: the window counts until the yes; busy says to ask again", () => {
  const facts = {
    id: "k3m9x2qa",
    record: record(),
    busy: false,
    windowSeconds: 3600,
    now: SENT + 10,
  };
  assert.equal(decideUndoAtYes(facts).kind, "go");
  const busy = decideUndoAtYes({ ...facts, busy: true });
  assert.equal(
    busy.kind === "go" ? "" : undoAtYesText(busy, 3600),
    "Broadcast `k3m9x2qa` is still being delivered; send `!undo k3m9x2qa` again when it has " +
      "finished.",
  );
  assert.equal(decideUndoAtYes({ ...facts, now: SENT + HOUR + 1 }).kind, "window_closed");
  assert.equal(decideUndoAtYes({ ...facts, record: undefined }).kind, "unknown");
});

Deno.test("decideRetry: never while running, never after an undo", () => {
  const facts = { record: record(), deliveries: [delivery("failed", null)], busy: false };
  assert.equal(decideRetry(facts).kind, "retry");
  const busy = decideRetry({ ...facts, busy: true });
  assert.equal(busy.kind, "busy");
  const undone = decideRetry({ ...facts, deliveries: [delivery("deleted")] });
  assert.equal(
    undone.kind === "retry" ? "" : retryText(undone),
    "Broadcast `k3m9x2qa` was undone; send a new broadcast instead.",
  );
});

Deno.test("decideEdit: scheduled first, then sent within the window with posts", () => {
  const facts = {
    id: "k3m9x2qa",
    scheduled: undefined,
    record: record(),
    deliveries: [delivery("delivered"), delivery("failed", null)],
    busy: false,
    windowSeconds: 3600,
    now: SENT + 10,
  };
  const sent = decideEdit(facts);
  assert.equal(sent.kind, "sent");
  assert.equal(sent.kind === "sent" ? sent.posts.length : 0, 1);
  assert.equal(decideEdit({ ...facts, record: undefined }).kind, "unknown");
  assert.equal(decideEdit({ ...facts, busy: true }).kind, "busy");
  assert.equal(decideEdit({ ...facts, now: SENT + HOUR + 1 }).kind, "window_closed");
  assert.equal(decideEdit({ ...facts, deliveries: [delivery("deleted")] }).kind, "in_no_channel");
});

Deno.test("decideDraft: blank, too many files, too long, channel-wide mentions", () => {
  const draft = (message: string, fileCount = 0, admin = false) =>
    decideDraft({ message, fileCount, posted: message, admin, policy: "admins" });
  assert.equal(draft("hello").kind, "ok");
  assert.equal(draft(" \u200b ").kind, "blank");
  assert.equal(draft(" ", 1).kind, "ok", "files alone are a broadcast");
  const files = draft("x", MAX_FILES + 1);
  assert.match(
    files.kind === "ok" ? "" : draftRefusalText(files),
    /That message has 11 files; a post can carry at most 10\./,
  );
  assert.equal(draft("é".repeat(MAX_POST_RUNES + 1)).kind, "too_long");
  assert.equal(draft("hi @all").kind, "mentions_refused");
  assert.equal(draft("hi @all", 0, true).kind, "ok", "administrators may");
});

Deno.test("runEnd: a run is interrupted only when shutdown left channels unstarted", () => {
  assert.deepEqual(runEnd(3, 3, false), { kind: "finished" });
  assert.deepEqual(runEnd(3, 3, true), { kind: "finished" });
  assert.deepEqual(runEnd(1, 3, true), { kind: "interrupted", notStarted: 2 });
});
