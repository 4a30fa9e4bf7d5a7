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
