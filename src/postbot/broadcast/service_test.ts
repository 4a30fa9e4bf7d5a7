/**
 * The broadcast service on a real broadcast log (SQLite in memory), with the delivery engine
 * and the scheduled store as the small stand-ins its interface asks for.
 */

import assert from "node:assert/strict";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../migrations.ts";
import { BroadcastLog } from "./log.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";
import type { Asker } from "./rules.ts";
import { BroadcastService, type DeliveryEngine } from "./service.ts";
import type { Actor, ScheduledBroadcast } from "./model.ts";

const ALICE: Asker = { id: "alice", username: "alice", admin: false };
const BOB: Asker = { id: "bob", username: "bob", admin: false };
const ADMIN: Asker = { id: "root", username: "root", admin: true };
const T0 = Date.UTC(2026, 0, 5, 9, 0);

function scheduledOf(id: string, senderId: string): ScheduledBroadcast {
  return {
    id,
    senderId,
    senderUsername: senderId,
    createdAt: T0,
    dueAt: T0 + 3_600_000,
    zone: "UTC",
    targetAnswer: "all",
    channels: 2,
    message: "later",
    files: [],
    sourcePostId: null,
    status: "scheduled",
    startedAt: null,
    error: null,
  };
}

/** A service over a fresh log holding one delivered broadcast of alice's. */
async function world() {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  let now = T0;
  const log = new BroadcastLog(new SqliteDatabase(opened.value), () => now);
  await log.create({
    id: "k3m9x2qa",
    senderId: "alice",
    senderUsername: "alice",
    targetAnswer: "all",
    message: "hello",
    files: [],
    sourcePostId: null,
    targets: [
      { kind: "channel" as const, channelId: "c1", name: "one", displayName: "One" },
      { kind: "channel" as const, channelId: "c2", name: "two", displayName: "Two" },
    ],
  });
  await log.markDelivered("k3m9x2qa", { kind: "channel", channelId: "c1" }, "p1");
  await log.markFailed("k3m9x2qa", { kind: "channel", channelId: "c2" }, "no access");
  await log.finish("k3m9x2qa", "done");
  const busy = new Set<string>();
  const calls: string[] = [];
  const engine: DeliveryEngine = {
    isBusy: (id) => busy.has(id),
    send: () => Promise.resolve("newid"),
    retry: (id, actor: Actor) => {
      calls.push(`retry ${id} by ${actor.username}`);
      return Promise.resolve(1);
    },
    undo: (id, actor: Actor) => {
      calls.push(`undo ${id} by ${actor.username}`);
      return Promise.resolve(`Deleted broadcast \`${id}\` from 1 channel.`);
    },
    hiddenFor: () => Promise.resolve(new Set()),
  };
  const scheduled = new Map([["s4t5u6v7", scheduledOf("s4t5u6v7", "alice")]]);
  const service = new BroadcastService({
    broadcastLog: log,
    engine,
    scheduled: {
      get: (id) => Promise.resolve(scheduled.get(id)),
      unsent: (senderId) =>
        Promise.resolve([...scheduled.values()].filter((s) => s.senderId === senderId)),
    },
    undoWindowSeconds: 3600,
    editWindowSeconds: 600,
    now: () => now,
  });
  return { service, busy, calls, later: (ms: number) => now += ms };
}

Deno.test("find: own broadcasts, anyone's for an admin; others' read as unknown", async () => {
  const { service } = await world();
  assert.equal((await service.find(ALICE, "")).kind, "found", "no id: the latest");
  assert.equal(
    (await service.find(ALICE, " K3M9X2QA ")).kind,
    "found",
    "ids are trimmed, any case",
  );
  assert.equal((await service.find(ADMIN, "k3m9x2qa")).kind, "found");
  assert.deepEqual(await service.find(BOB, "k3m9x2qa"), {
    kind: "unknown",
    id: "k3m9x2qa",
    raw: "k3m9x2qa",
  });
  assert.equal((await service.find(BOB, "")).kind, "none_yet");
  assert.equal((await service.find(ALICE, "not an id!")).kind, "not_an_id");
  const later = await service.find(ALICE, "s4t5u6v7");
  assert.equal(later.kind === "scheduled" ? later.scheduled.id : later.kind, "s4t5u6v7");
  assert.equal((await service.find(BOB, "s4t5u6v7")).kind, "unknown", "someone else's schedule");
});

Deno.test("undo: asks with the delivered channels, then the yes runs the engine", async () => {
  const { service, busy, calls, later } = await world();
  const asked = await service.undoable(ALICE, "k3m9x2qa");
  assert.equal(asked.kind, "ask");
  assert.deepEqual(
    asked.kind === "ask" ? asked.delivered.map((d) => d.kind === "channel" ? d.name : "") : [],
    ["one"],
  );
  busy.add("k3m9x2qa");
  assert.equal((await service.undoable(ALICE, "k3m9x2qa")).kind, "busy");
  assert.equal((await service.undo(ALICE, "k3m9x2qa")).kind, "busy");
  busy.clear();
  assert.equal((await service.undo(ALICE, "k3m9x2qa")).kind, "undone");
  assert.deepEqual(calls, ["undo k3m9x2qa by alice"]);
  later(3_600_001);
  assert.equal((await service.undo(ALICE, "k3m9x2qa")).kind, "window_closed");
  assert.equal(calls.length, 1, "a late yes deletes nothing");
});

Deno.test("retry: starts the engine only for a finished broadcast of the asker's", async () => {
  const { service, busy, calls } = await world();
  assert.equal((await service.retry(BOB, "k3m9x2qa")).kind, "unknown");
  busy.add("k3m9x2qa");
  assert.equal((await service.retry(ALICE, "k3m9x2qa")).kind, "busy");
  busy.clear();
  assert.deepEqual(await service.retry(ADMIN, "k3m9x2qa"), {
    kind: "retrying",
    id: "k3m9x2qa",
    channels: 1,
  });
  assert.deepEqual(calls, ["retry k3m9x2qa by root"]);
});

Deno.test("editable: scheduled or sent, within the edit window, by its owner or an admin", async () => {
  const { service, later } = await world();
  assert.equal((await service.editable(ALICE, "s4t5u6v7")).kind, "scheduled");
  const sent = await service.editable(ALICE, "k3m9x2qa");
  assert.equal(sent.kind === "sent" ? sent.posts.length : sent.kind, 1);
  assert.equal((await service.editable(BOB, "k3m9x2qa")).kind, "unknown");
  assert.equal((await service.editable(ADMIN, "k3m9x2qa")).kind, "sent");
  later(600_001);
  assert.equal((await service.editable(ALICE, "k3m9x2qa")).kind, "window_closed");
});

Deno.test("history and post ids come from the log and the scheduled store", async () => {
  const { service } = await world();
  const history = await service.history("alice", 5);
  assert.deepEqual(history.sent.map((b) => [b.id, b.delivered, b.failed]), [["k3m9x2qa", 1, 1]]);
  assert.deepEqual(history.unsent.map((s) => s.id), ["s4t5u6v7"]);
  assert.deepEqual(await service.postIds("k3m9x2qa"), ["p1"]);
});
