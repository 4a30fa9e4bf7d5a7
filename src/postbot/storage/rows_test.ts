import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  bytesColumns,
  fullText,
  numberOrNull,
  type Row,
  senderColumns,
  textOrNull,
} from "./rows.ts";

Deno.test("fullText reads a text with a NUL in it whole, from the bytes column", () => {
  const db = new DatabaseSync(":memory:");
  try {
    db.exec("CREATE TABLE t (id TEXT, message TEXT)");
    db.prepare("INSERT INTO t VALUES (?, ?)").run("x", "before\0after ✓");
    const row = db.prepare(`SELECT t.*${bytesColumns("sqlite", "t", ["message"])} FROM t`)
      .get() as Row;
    assert.equal(fullText(row, "message"), "before\0after ✓");
    // Without the bytes column, what node:sqlite gives.
    assert.equal(fullText({ message: "plain" }, "message"), "plain");
  } finally {
    db.close();
  }
});

Deno.test("row helpers: nullable columns and the sender columns", () => {
  assert.equal(numberOrNull(null), null);
  assert.equal(numberOrNull(7n), 7);
  assert.equal(textOrNull(null), null);
  assert.equal(textOrNull(5), "5");
  assert.deepEqual(
    senderColumns({ id: "b1", sender_id: "u1", sender_username: "alice", created_at: 12 }),
    { id: "b1", senderId: "u1", senderUsername: "alice", createdAt: 12 },
  );
});
