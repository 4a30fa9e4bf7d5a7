import assert from "node:assert/strict";
import { openDatabase } from "@postbot/framework/sqlite";
import { BroadcastLog } from "./broadcast/log.ts";
import { MIGRATIONS } from "./migrations.ts";
import { SqliteDatabase } from "./database/sqlite_database.ts";

const ID = (c: string) => c.repeat(26);

/** A database as the previous version (schema 3) left it: a broadcast to two channels. */
function previousVersion(path: string): void {
  const old = openDatabase(path, MIGRATIONS.filter((m) => m.version <= 3));
  if (!old.ok) throw new Error(old.error.message);
  old.value.exec(`
    INSERT INTO broadcasts (id, sender_id, sender_username, created_at, target_answer, message,
      status) VALUES ('k3m9x2qa', '${ID("u")}', 'alice', 1000, 'all', 'Hello', 'done');
    INSERT INTO deliveries (broadcast_id, channel_id, channel_name, channel_display_name, status,
      post_id, attempts, updated_at) VALUES
      ('k3m9x2qa', '${ID("b")}', 'office-berlin', 'Office Berlin', 'delivered', '${ID("p")}', 1, 2),
      ('k3m9x2qa', '${ID("a")}', 'office-paris', 'Office Paris', 'failed', NULL, 4, 3);
    UPDATE deliveries SET error = 'the bot is not a member' WHERE channel_name = 'office-paris';
  `);
  old.value.close();
}

Deno.test("a database of the previous version opens and keeps its history as channels", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = `${dir}/broadcast_log.db`;
    previousVersion(path);
    const opened = openDatabase(path, MIGRATIONS);
    if (!opened.ok) throw new Error(opened.error.message);
    const db = opened.value;
    try {
      assert.equal(
        (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
        MIGRATIONS.at(-1)!.version,
      );
      const log = new BroadcastLog(new SqliteDatabase(db));
      assert.deepEqual(await log.deliveries("k3m9x2qa"), [
        {
          kind: "channel",
          channelId: ID("b"),
          name: "office-berlin",
          displayName: "Office Berlin",
          status: "delivered",
          postId: ID("p"),
          error: null,
          attempts: 1,
          updatedAt: 2,
        },
        {
          kind: "channel",
          channelId: ID("a"),
          name: "office-paris",
          displayName: "Office Paris",
          status: "failed",
          postId: null,
          error: "the bot is not a member",
          attempts: 4,
          updatedAt: 3,
        },
      ]);
      assert.equal((await log.recent(ID("u"), 5))[0].delivered, 1);
      // The old rows go on working: a retry reopens the failed channel.
      assert.equal(await log.reopenFailed("k3m9x2qa"), 1);
      assert.equal(db.prepare("PRAGMA integrity_check").get()?.integrity_check, "ok");
    } finally {
      db.close();
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("a delivery row is a channel's or a person's, never both or neither", async () => {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db = opened.value;
  try {
    const log = new BroadcastLog(new SqliteDatabase(db));
    await log.create({
      id: "b1",
      senderId: ID("u"),
      senderUsername: "alice",
      targetAnswer: "@bob, town-square",
      message: "Hi",
      files: [],
      sourcePostId: null,
      targets: [
        { kind: "channel", channelId: ID("c"), name: "town-square", displayName: "Town Square" },
        {
          kind: "person",
          userId: ID("b"),
          username: "bob",
          displayName: "Bob",
          reach: { by: "members", channelId: ID("c"), channelName: "town-square" },
        },
      ],
    });
    await log.markDelivered("b1", { kind: "person", userId: ID("b") }, ID("p"));
    const [channel, person] = await log.deliveries("b1");
    assert.equal(channel.kind === "channel" && channel.status, "pending");
    assert.deepEqual(person.kind === "person" && [person.username, person.status, person.reach], [
      "bob",
      "delivered",
      { by: "members", channelId: ID("c"), channelName: "town-square" },
    ]);
    const insert = (kind: string, channel: string | null, user: string | null) => () =>
      db.prepare(
        `INSERT INTO deliveries (broadcast_id, kind, channel_id, user_id, reach_json, name,
          display_name, status, updated_at) VALUES ('b1', ?, ?, ?, ?, 'x', 'x', 'pending', 0)`,
      ).run(kind, channel, user, kind === "person" ? "{}" : null);
    assert.throws(insert("channel", ID("d"), ID("e")), /CHECK constraint/);
    assert.throws(insert("person", ID("d"), ID("e")), /CHECK constraint/);
    assert.throws(insert("person", null, null), /CHECK constraint/);
    assert.throws(insert("channel", ID("c"), null), /UNIQUE constraint/);
    assert.throws(insert("person", null, ID("b")), /UNIQUE constraint/);
  } finally {
    db.close();
  }
});

/** SHA-256 of each released step's SQL, as it was released: a released step is never edited. */
const RELEASED = new Map<number, string>([
  [1, "fdc4d32f3ceb8d3f84d6a6ddaf03af7af5d4451e134f87bd3ef4933610fbd5b7"],
  [2, "6686485edf8f29ec93f7b2433e06fcceb473bd7015cc9b5e7a515d1f7d72d9c5"],
  [3, "09326cafe94b538637e7bd6638099379ba5ba1c2f27086a265c354fbcd0f59d2"],
  [4, "474ca3a3cca8d2140274867a0a1a4b903cf7f0af75527e9fa125cf78396f6878"],
  [5, "6f5bcc06b232a41e5a70d6769da7914b28f06cc59f74cfc9a89e2b9157453b2f"],
  [6, "7ec971b55d18cb3217266ffb11c34a29d66dd48a29a9d9c96a6a0a2f7f370710"],
  [7, "126457a7e4b699b4129918192bb7a2e36ee90610e696eafc603ce37bf895fa89"],
  [8, "98532ce524b735ead038211e7282c897c934e0b88de38f0aaac5dbb8142dfae1"],
  [9, "7dd4252a3e16fa6a8a19c0e46da60077c6f976a0fa42d914c889c61d5edde152"],
  [10, "93a0a0e194eb1bbfc7a338d528756cc6232d6e15ea2f82c73095bea2263b6d2e"],
]);

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("released migration steps run the same SQL, however their source is spelled", async () => {
  for (const m of MIGRATIONS) {
    const released = RELEASED.get(m.version);
    if (released === undefined) continue; // a step added since: record it here once released
    assert.equal(await sha256(m.sql), released, `migration ${m.version} was edited`);
  }
  assert.ok(RELEASED.size >= 10);
});

Deno.test("a broadcast's deliveries are read in order through an index, not sorted per page", () => {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db = opened.value;
  try {
    // The paged reads of the log (eachDelivery, the tally, the seen capture) all take this shape.
    const plan = db.prepare(
      `EXPLAIN QUERY PLAN SELECT * FROM deliveries WHERE broadcast_id = ? AND status = 'delivered'
       AND seq > ? ORDER BY seq LIMIT ?`,
    ).all("k3m9x2qa", 0, 500).map((row) => String(row.detail)).join("; ");
    assert.match(plan, /USING INDEX deliveries_in_order \(broadcast_id=\? AND seq>\?\)/);
    assert.doesNotMatch(plan, /TEMP B-TREE/, "no sort per page");
  } finally {
    db.close();
  }
});
