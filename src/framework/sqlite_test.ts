import assert from "node:assert/strict";
import { openDatabase } from "./sqlite.ts";

Deno.test("openDatabase: WAL, foreign keys and a 256 KiB page cache; migrations recorded", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sqlite-test-" });
  try {
    const opened = openDatabase(`${dir}/test.db`, [
      { version: 1, description: "a table", sql: "CREATE TABLE t (x INTEGER)" },
    ]);
    if (!opened.ok) assert.fail(opened.error.message);
    const db = opened.value;
    try {
      const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
      assert.equal(pragma("journal_mode"), "wal");
      assert.equal(pragma("foreign_keys"), 1);
      assert.equal(pragma("cache_size"), -256);
      assert.equal(pragma("user_version"), 1);
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
