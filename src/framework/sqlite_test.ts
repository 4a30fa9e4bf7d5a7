import assert from "node:assert/strict";
import { openDatabase, sqliteTrouble } from "./sqlite.ts";

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

const MIGRATIONS = [{
  version: 1,
  description: "a table and an index",
  sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); CREATE INDEX t_v ON t (v)",
}];

/** A real database file of about 160 pages of 4 KiB, closed (its WAL checkpointed). */
function writtenDatabase(path: string): void {
  const opened = openDatabase(path, MIGRATIONS);
  if (!opened.ok) assert.fail(opened.error.message);
  const insert = opened.value.prepare("INSERT INTO t (v) VALUES (?)");
  for (let i = 0; i < 5000; i++) insert.run(`row ${i} ${"x".repeat(50)}`);
  opened.value.close();
}

/** Damages `path` in place. */
type Damage = (path: string) => void;

const DAMAGES: Record<string, Damage> = {
  "garbage": (path) => {
    const bytes = new Uint8Array(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 0xff;
    Deno.writeFileSync(path, bytes);
  },
  "truncated to a third": (path) =>
    Deno.truncateSync(path, Math.floor(Deno.statSync(path).size / 3)),
  "one page's cell pointers flipped": (path) => {
    const file = Deno.openSync(path, { read: true, write: true });
    try {
      const at = 4096 * 40 + 100;
      const bytes = new Uint8Array(64);
      file.seekSync(at, Deno.SeekMode.Start);
      file.readSync(bytes);
      file.seekSync(at, Deno.SeekMode.Start);
      file.writeSync(bytes.map((b) => b ^ 0xff));
    } finally {
      file.close();
    }
  },
  "pages overwritten with zeros": (path) => {
    const file = Deno.openSync(path, { write: true });
    try {
      file.seekSync(4096 * 10, Deno.SeekMode.Start);
      file.writeSync(new Uint8Array(4096 * 3));
    } finally {
      file.close();
    }
  },
};

Deno.test("openDatabase refuses a damaged database and says how to restore it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sqlite-damage-" });
  try {
    for (const [name, damage] of Object.entries(DAMAGES)) {
      const path = `${dir}/bot.db`;
      writtenDatabase(path);
      damage(path);
      const opened = openDatabase(path, MIGRATIONS, { app: "hellobot" });
      if (opened.ok) {
        opened.value.close();
        assert.fail(`${name}: a damaged database was opened`);
      }
      const { setting, detail, message, hint } = opened.error;
      assert.equal(setting, "DB_PATH", name);
      assert.equal(message, `DB_PATH ${detail}`, name);
      assert.match(
        detail,
        new RegExp(`points at ${path}, which is (damaged|not a SQLite database)`),
      );
      assert.match(hint ?? "", /move .*bot\.db \(and .*bot\.db-wal and .*bot\.db-shm/, name);
      assert.match(hint ?? "", /creates a new, empty database/, name);
      assert.match(hint ?? "", /backup/, name);
      for (const f of [path, `${path}-wal`, `${path}-shm`]) {
        try {
          Deno.removeSync(f);
        } catch {
          // Not there.
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openDatabase: a directory or a missing directory is a problem, not a throw", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sqlite-place-" });
  try {
    for (const path of [dir, `${dir}/missing/bot.db`]) {
      const opened = openDatabase(path, MIGRATIONS, { setting: "STORE" });
      assert.equal(opened.ok, false, path);
      if (opened.ok) continue;
      assert.match(opened.error.message, /^STORE points at .*, which SQLite cannot open/);
      assert.match(opened.error.hint ?? "", /must name a file, not a directory/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sqliteTrouble: store failures by code or message, statement errors not", () => {
  const withCode = (message: string, errcode?: number) =>
    Object.assign(new Error(message), errcode === undefined ? {} : { errcode });
  assert.equal(sqliteTrouble(withCode("database disk image is malformed", 11)), "corrupt");
  assert.equal(sqliteTrouble(withCode("database disk image is malformed")), "corrupt");
  assert.equal(sqliteTrouble(withCode("x", 1544)), "read_only");
  assert.equal(sqliteTrouble(withCode("attempt to write a readonly database")), "read_only");
  assert.equal(sqliteTrouble(withCode("file is not a database", 26)), "not_a_database");
  assert.equal(sqliteTrouble(withCode("database or disk is full")), "disk_full");
  assert.equal(sqliteTrouble(withCode("UNIQUE constraint failed: t.id", 19)), undefined);
  assert.equal(sqliteTrouble(withCode("no such table: z")), undefined);
  assert.equal(sqliteTrouble("not an error"), undefined);
});
