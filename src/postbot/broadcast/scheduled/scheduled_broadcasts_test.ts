import assert from "node:assert/strict";
import { FileBytes } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../../migrations.ts";
import { ScheduledStore } from "./scheduled_broadcasts.ts";
import { DatabaseFiles, MAX_DATABASE_FILE_BYTES } from "./scheduled_files.ts";
import { testOnBothEngines } from "../../database/testing.ts";
import { SqliteDatabase } from "../../database/sqlite_database.ts";

async function world() {
  const dir = await Deno.makeTempDir({ prefix: "scheduled-store-" });
  const opened = openDatabase(`${dir}/log.db`, MIGRATIONS);
  assert.ok(opened.ok);
  const db = opened.value;
  const store = new ScheduledStore(new SqliteDatabase(db), `${dir}/files/`);
  const entry = (id: string, dueAt: number) => ({
    id,
    senderId: "u1",
    senderUsername: "alice",
    dueAt,
    zone: "Europe/Berlin",
    targetAnswer: "all",
    channels: 3,
    message: "Hello\u0000world",
    files: [{ id: "f1", name: "a.txt", size: 3, mimeType: "text/plain" }],
    sourcePostId: "p1",
  });
  return { dir, db, store, entry };
}

Deno.test("ScheduledStore keeps the files and the exact message, and claims once", async () => {
  const { dir, db, store, entry } = await world();
  try {
    await store.add(entry("aaaa1111", 1000), [new FileBytes([new Uint8Array([1, 2, 3])])]);
    await store.add(entry("bbbb2222", 500), [new FileBytes([new Uint8Array([9])])]);
    assert.deepEqual((await store.due(999)).map((s) => s.id), ["bbbb2222"]);
    assert.equal(await store.nextDue(), 500);
    const a = (await store.get("aaaa1111"))!;
    assert.equal(a.message, "Hello\u0000world", "a NUL does not cut the message");
    assert.deepEqual((await store.readFiles(a))[0].bytes(), new Uint8Array([1, 2, 3]));
    assert.equal(await store.claim("aaaa1111"), true);
    assert.equal(await store.claim("aaaa1111"), false, "never twice");
    assert.equal(await store.cancel("aaaa1111"), false, "sent ones cannot be cancelled");
    assert.equal(await store.cancel("bbbb2222"), true);
    assert.equal(
      await store.updateMessage("bbbb2222", "x"),
      false,
      "cancelled ones keep their text",
    );
    assert.deepEqual(await store.pending(), []);
    await store.removeFiles("bbbb2222");
    await store.removeFiles("bbbb2222"); // already gone is fine
    await assert.rejects(Deno.stat(`${dir}/files/bbbb2222`));
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ScheduledStore.reconcile puts back a claim whose broadcast never started", async () => {
  const { dir, db, store, entry } = await world();
  try {
    await store.add(entry("cccc3333", 1000), []);
    await store.add(entry("dddd4444", 1000), []);
    await store.claim("cccc3333");
    await store.claim("dddd4444");
    // dddd4444 made it into the broadcast log before the crash; cccc3333 did not.
    db.prepare(
      `INSERT INTO broadcasts (id, sender_id, sender_username, created_at, target_answer, message,
         status) VALUES ('dddd4444', 'u1', 'alice', 1, 'all', 'x', 'pending')`,
    ).run();
    assert.equal(await store.reconcile(), 1);
    assert.equal((await store.get("cccc3333"))?.status, "scheduled");
    assert.equal((await store.get("dddd4444"))?.status, "sent");
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

testOnBothEngines("files kept in the database come back whole, capped, and go", async (db) => {
  const store = new ScheduledStore(db, new DatabaseFiles(db));
  const bytes = new Uint8Array(70_000).map((_, i) => i % 251);
  const s = {
    id: "eeee5555",
    senderId: "u1",
    senderUsername: "alice",
    dueAt: 1000,
    zone: "UTC",
    targetAnswer: "all",
    channels: 1,
    message: "with files",
    files: [
      { id: "f1", name: "a.bin", size: bytes.length, mimeType: "application/octet-stream" },
      { id: "f2", name: "b.txt", size: 1, mimeType: "text/plain" },
    ],
    sourcePostId: null,
  };
  await store.add(s, [new FileBytes([bytes]), new FileBytes([new Uint8Array([7])])]);
  const kept = await store.readFiles((await store.get("eeee5555"))!);
  assert.deepEqual(kept.map((f) => f.bytes()), [bytes, new Uint8Array([7])]);
  await store.removeFiles("eeee5555");
  await assert.rejects(store.readFiles((await store.get("eeee5555"))!), /missing/);
  const big = new FileBytes([new Uint8Array(MAX_DATABASE_FILE_BYTES + 1)]);
  await assert.rejects(
    store.add({ ...s, id: "ffff6666", files: [s.files[0]] }, [big]),
    /too big to keep in the shared database/,
  );
  assert.equal(await store.get("ffff6666"), undefined, "nothing stored");
});
