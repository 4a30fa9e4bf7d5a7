import assert from "node:assert/strict";
import { channelsOf } from "./model.ts";
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../migrations.ts";
import { APP_NAME } from "../name.ts";
import { BroadcastLog } from "./log.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";
import type { BroadcastTarget, ChannelTarget, PersonTarget } from "./model.ts";
import { testOnBothEngines } from "../database/testing.ts";

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

function open(path = ":memory:"): DatabaseSync {
  const opened = openDatabase(path, MIGRATIONS);
  if (!opened.ok) assert.fail(opened.error.message);
  return opened.value;
}

/** A log with a clock the test moves. */
function clockedLog(db: DatabaseSync) {
  const clock = { now: 1_000 };
  return { log: new BroadcastLog(new SqliteDatabase(db), () => clock.now), clock };
}

const target = (n: number): ChannelTarget => ({
  kind: "channel" as const,
  channelId: String(n).padStart(26, "c"),
  name: `channel-${n}`,
  displayName: `Channel ${n}`,
});

const FILES = [
  { id: "f".repeat(26), name: "report.pdf", size: 1234, mimeType: "application/pdf" },
  { id: "g".repeat(26), name: "notes.txt", size: 7, mimeType: "text/plain" },
];

/** A broadcast's fields but its id and targets. */
const BASE = {
  senderId: "u1",
  senderUsername: "alice",
  targetAnswer: "all, ~town-square",
  message: "Hello @channel",
  files: FILES,
  sourcePostId: "p".repeat(26),
};

async function create(log: BroadcastLog, id: string, targets: ChannelTarget[], senderId = "u1") {
  await log.create({
    id,
    senderId,
    senderUsername: senderId === "u1" ? "alice" : "bob",
    targetAnswer: "all, ~town-square",
    message: "Hello @channel",
    files: FILES,
    sourcePostId: "p".repeat(26),
    targets,
  });
}

Deno.test("the schema is versioned with user_version; a file database uses WAL and a busy timeout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/broadcast_log.db`;
    const db = open(path);
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma("user_version"), LATEST);
    assert.equal(pragma("journal_mode"), "wal");
    assert.ok(Number(pragma("busy_timeout")) >= 1000);
    const { log } = clockedLog(db);
    await create(log, "b1", [target(1)]);
    db.close();
    // Opening again migrates nothing and keeps the data.
    const again = open(path);
    assert.equal(
      (await new BroadcastLog(new SqliteDatabase(again)).get("b1"))?.message,
      "Hello @channel",
    );
    again.exec(`PRAGMA user_version = ${LATEST + 1}`);
    again.close();
    const newer = openDatabase(path, MIGRATIONS, { app: APP_NAME });
    assert.equal(newer.ok, false);
    assert.match(
      (newer as { error: { message: string } }).error.message,
      /newer than this postbot/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a broadcast is recorded with everything about it, pending before delivery", async () => {
  const db = open();
  const { log, clock } = clockedLog(db);
  await create(log, "b1", [target(1), target(2), target(3)]);
  const b = (await log.get("b1"))!;
  assert.deepEqual(
    { ...b },
    {
      id: "b1",
      senderId: "u1",
      senderUsername: "alice",
      createdAt: 1_000,
      finishedAt: null,
      targetAnswer: "all, ~town-square",
      message: "Hello @channel",
      files: FILES,
      sourcePostId: "p".repeat(26),
      status: "pending",
      error: null,
      options: { ack: false, priority: "", remindAfterMs: null },
    },
  );
  const deliveries = channelsOf(await log.deliveries("b1"));
  assert.deepEqual(deliveries.map((d) => d.name), ["channel-1", "channel-2", "channel-3"]);
  for (const d of deliveries) {
    assert.deepEqual(
      [d.status, d.postId, d.error, d.attempts, d.updatedAt],
      ["pending", null, null, 0, 1_000],
    );
  }
  assert.deepEqual((await log.unfinished()).map((u) => u.id), ["b1"]);
  clock.now = 2_000;
  await log.finish("b1", "done");
  assert.equal((await log.get("b1"))?.finishedAt, 2_000);
  assert.deepEqual(await log.unfinished(), []);
  db.close();
});

Deno.test("per-channel outcomes: sending counts attempts, delivered keeps the post id, failed the reason", async () => {
  const db = open();
  const { log, clock } = clockedLog(db);
  await create(log, "b1", [target(1), target(2)]);
  clock.now = 1_500;
  await log.markSending("b1", target(1));
  await log.markSending("b1", target(1));
  await log.markDelivered("b1", target(1), "post1");
  await log.markSending("b1", target(2));
  await log.markFailed("b1", target(2), "the bot is not a member of ~channel-2");
  const [one, two] = channelsOf(await log.deliveries("b1"));
  assert.deepEqual([one.status, one.postId, one.attempts, one.error], [
    "delivered",
    "post1",
    2,
    null,
  ]);
  assert.deepEqual(
    [two.status, two.postId, two.attempts, two.error],
    ["failed", null, 1, "the bot is not a member of ~channel-2"],
  );
  assert.equal(one.updatedAt, 1_500);
  await log.markDeleted("b1", target(1));
  assert.equal(channelsOf(await log.deliveries("b1"))[0].status, "deleted");
  assert.equal(
    channelsOf(await log.deliveries("b1"))[0].postId,
    "post1",
    "the post id stays for the record",
  );
  db.close();
});

Deno.test("a crash leaves a sending channel distinguishable from a channel never started", async () => {
  const db = open();
  const { log } = clockedLog(db);
  await create(log, "b1", [target(1), target(2), target(3)]);
  await log.markSending("b1", target(1));
  await log.markDelivered("b1", target(1), "post1");
  await log.markSending("b1", target(2));
  assert.deepEqual(channelsOf(await log.deliveries("b1")).map((d) => d.status), [
    "delivered",
    "sending",
    "pending",
  ]);
  assert.deepEqual((await log.unfinished()).map((b) => b.id), ["b1"]);
  db.close();
});

Deno.test("reopenFailed puts only failed channels back and reopens the broadcast", async () => {
  const db = open();
  const { log } = clockedLog(db);
  await create(log, "b1", [target(1), target(2), target(3)]);
  await log.markDelivered("b1", target(1), "post1");
  await log.markFailed("b1", target(2), "rate limited");
  await log.markFailed("b1", target(3), "archived");
  await log.finish("b1", "done");
  assert.equal(await log.reopenFailed("b1"), 2);
  assert.deepEqual(channelsOf(await log.deliveries("b1")).map((d) => d.status), [
    "delivered",
    "pending",
    "pending",
  ]);
  assert.equal((await log.get("b1"))?.status, "pending");
  assert.equal((await log.get("b1"))?.finishedAt, null);
  await log.markDelivered("b1", target(2), "post2");
  await log.markDelivered("b1", target(3), "post3");
  await log.finish("b1", "done");
  assert.equal(await log.reopenFailed("b1"), 0);
  assert.equal(
    (await log.get("b1"))?.status,
    "done",
    "nothing to retry leaves the broadcast closed",
  );
  db.close();
});

Deno.test("recent lists a sender's broadcasts newest first with per-status counts", async () => {
  const db = open();
  const { log, clock } = clockedLog(db);
  for (const [i, id] of ["b1", "b2", "b3"].entries()) {
    clock.now = 1_000 + i;
    await create(log, id, [target(1), target(2), target(3)]);
  }
  await create(log, "other", [target(1)], "u2");
  await log.markDelivered("b2", target(1), "p1");
  await log.markDelivered("b2", target(2), "p2");
  await log.markFailed("b2", target(3), "x");
  await log.markDeleted("b2", target(2));
  const recent = await log.recent("u1", 2);
  assert.deepEqual(recent.map((b) => b.id), ["b3", "b2"]);
  assert.deepEqual(
    [recent[1].channels, recent[1].delivered, recent[1].failed, recent[1].deleted],
    [3, 1, 1, 1],
  );
  assert.deepEqual((await log.recent("u2", 10)).map((b) => b.id), ["other"]);
  assert.deepEqual(await log.recent("nobody", 10), []);
  db.close();
});

Deno.test("events record who did what, in order", async () => {
  const db = open();
  const { log, clock } = clockedLog(db);
  await create(log, "b1", [target(1)]);
  clock.now = 5_000;
  await log.addEvent("b1", { id: "u1", username: "alice" }, "retry", "1 channels");
  await log.addEvent("b1", { id: "u9", username: "admin" }, "undo", "1 of 1 posts deleted");
  assert.deepEqual(await log.events("b1"), [
    { at: 5_000, actor: "alice", action: "retry", detail: "1 channels" },
    { at: 5_000, actor: "admin", action: "undo", detail: "1 of 1 posts deleted" },
  ]);
  db.close();
});

Deno.test("hostile text is stored verbatim and cannot touch the schema", async () => {
  const db = open();
  const { log } = clockedLog(db);
  const evil = "'; DROP TABLE broadcasts; --\u0000\"\\ 🎉";
  // Texts from the server (display names, error reasons) never carry NUL.
  const serverText = evil.replace("\u0000", "");
  await log.create({
    id: "b1",
    senderId: "u1",
    senderUsername: "al'ice",
    targetAnswer: evil,
    message: evil,
    files: [{ id: "f".repeat(26), name: evil, size: 1, mimeType: "text/plain" }],
    sourcePostId: null,
    targets: [{
      kind: "channel" as const,
      channelId: "c".repeat(26),
      name: "x",
      displayName: serverText,
    }],
  });
  await log.markFailed("b1", { kind: "channel", channelId: "c".repeat(26) }, serverText);
  const b = (await log.get("b1"))!;
  assert.equal(b.message, evil);
  assert.equal(b.targetAnswer, evil);
  assert.equal(b.files[0].name, evil);
  assert.equal((await log.recent("u1", 1))[0].message, evil);
  assert.equal((await log.unfinished())[0].targetAnswer, evil);
  assert.equal(channelsOf(await log.deliveries("b1"))[0].error, serverText);
  assert.equal(channelsOf(await log.deliveries("b1"))[0].displayName, serverText);
  assert.deepEqual({ ...db.prepare("PRAGMA integrity_check").get() }, { integrity_check: "ok" });
  assert.equal((db.prepare("SELECT COUNT(*) AS n FROM broadcasts").get() as { n: number }).n, 1);
  db.close();
});

Deno.test("create is atomic: a duplicate id leaves nothing half-written", async () => {
  const db = open();
  const { log } = clockedLog(db);
  await create(log, "b1", [target(1)]);
  await assert.rejects(() => create(log, "b1", [target(2), target(3)]));
  assert.deepEqual(channelsOf(await log.deliveries("b1")).map((d) => d.name), ["channel-1"]);
  db.close();
});

Deno.test("the options are kept with the broadcast; an automatic reminder waits, undo cancels it", async () => {
  const db = open();
  const { log } = clockedLog(db);
  const options = { ack: true, priority: "urgent" as const, remindAfterMs: 60_000 };
  await log.create({
    id: "b2",
    senderId: "u1",
    senderUsername: "alice",
    targetAnswer: "@bob",
    message: "Fire drill",
    files: [],
    sourcePostId: null,
    targets: [target(1)],
    options,
  });
  assert.deepEqual((await log.get("b2"))?.options, options);
  const due = () =>
    db.prepare("SELECT due_at, status FROM reminders_due WHERE broadcast_id = 'b2'").get();
  assert.deepEqual({ ...due() }, { due_at: 61_000, status: "waiting" });
  assert.deepEqual((await log.askingForAcknowledgement(0)).map((b) => b.id), ["b2"]);
  await log.markDelivered("b2", target(1), "x".repeat(26));
  assert.equal((await log.deliveryOfPost("x".repeat(26)))?.broadcastId, "b2");
  assert.equal((await log.delivery("b2", target(1)))?.postId, "x".repeat(26));
  assert.equal(await log.cancelReminder("b2"), true);
  assert.equal(await log.cancelReminder("b2"), false, "cancelled once");
  assert.deepEqual({ ...due() }, { due_at: 61_000, status: "cancelled" });
  await create(log, "b3", [target(2)]);
  assert.equal(await log.cancelReminder("b3"), false, "none asked for");
  db.close();
});

const nameOf = (t: BroadcastTarget) => t.kind === "person" ? t.username : t.name;

const person = (n: number): PersonTarget => ({
  kind: "person",
  userId: String(n).padStart(26, "u"),
  username: `person-${n}`,
  displayName: `Person ${n}`,
  reach: { by: "name" },
});

testOnBothEngines(
  "eachDelivery reads a broadcast's deliveries page by page, in order",
  async (db) => {
    const log = new BroadcastLog(db, () => 1_000);
    const many = [target(1), ...Array.from({ length: 1_100 }, (_, i) => person(i + 1))];
    await log.create({ ...BASE, id: "b1", targets: many });
    await log.create({ ...BASE, id: "b2", targets: [target(2), person(1)] });
    const names: string[] = [];
    for await (const d of log.eachDelivery("b1")) {
      names.push(nameOf(d));
      // The reader may write between records: a failed mark lands, and nothing is read twice.
      if (d.kind === "person") await log.markFailed("b1", d, "gone");
    }
    assert.deepEqual(names, many.map(nameOf));
    const read = await log.deliveries("b1");
    assert.equal(read.length, 1_101);
    assert.deepEqual(read.filter((d) => d.status === "failed").length, 1_100);
    assert.deepEqual((await log.deliveries("b2")).map(nameOf), ["channel-2", "person-1"]);
    assert.deepEqual(await log.deliveries("none"), []);
  },
);

testOnBothEngines(
  "statusCounts counts in SQL; eachNotableDelivery skips people who simply got it",
  async (db) => {
    const log = new BroadcastLog(db, () => 1_000);
    const members = {
      ...person(900),
      reach: { by: "members", channelId: "s".repeat(26), channelName: "secret" },
    } as const;
    const listed = { ...person(901), reach: { by: "list", list: "members" } } as const;
    const targets = [
      target(1),
      target(2),
      ...Array.from({ length: 600 }, (_, i) => person(i + 1)),
      members,
      listed,
    ];
    await log.create({ ...BASE, id: "b1", targets });
    for (const t of targets.slice(1)) await log.markDelivered("b1", t, "p".repeat(26));
    await log.markFailed("b1", person(7), "gone");
    await log.markFailed("b1", target(2), "archived");
    const counts = (await log.tally.statusCounts("b1"))
      .map(({ kind, status, n }) => `${kind} ${status} ${n}`).sort();
    assert.deepEqual(counts, [
      "channel failed 1",
      "channel pending 1",
      "person delivered 601",
      "person failed 1",
    ]);
    const notable: string[] = [];
    for await (const d of log.tally.eachNotableDelivery("b1")) notable.push(nameOf(d));
    // A list named "members" comes along too: report.ts keeps only what a report needs.
    assert.deepEqual(notable, ["channel-1", "channel-2", "person-7", "person-900", "person-901"]);
  },
);
