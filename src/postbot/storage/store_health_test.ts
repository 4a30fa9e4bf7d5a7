import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { StoreHealth } from "./store_health.ts";

/** A real database file of a few hundred pages, written and closed. */
function written(path: string): void {
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  db.exec("BEGIN");
  for (let i = 0; i < 8000; i++) insert.run(`row ${i} ${"x".repeat(60)}`);
  db.exec("COMMIT");
  db.close();
}

Deno.test("a store failing on a damaged file is reported until it works again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "store-health-" });
  try {
    const path = `${dir}/bot.db`;
    written(path);
    const good = Deno.readFileSync(path);
    let now = 1_000;
    const health = new StoreHealth(() => now);
    const raw = new DatabaseSync(path);
    const db = health.watch(raw, "broadcast log");
    const other = health.watch(raw, "sessions");
    assert.deepEqual(health.stores, ["broadcast log", "sessions"]);
    const count = db.prepare("SELECT count(*) AS n FROM t");
    assert.equal(health.failing.length, 0);

    // Every page but the header overwritten behind the connection's back.
    const damaged = good.slice();
    for (let i = 4096; i < damaged.length; i++) damaged[i] = (i * 31 + 7) & 0xff;
    Deno.writeFileSync(path, damaged);
    assert.throws(() => count.get(), /malformed|not a database/);
    assert.deepEqual(health.failing.map((f) => [f.store, f.since]), [["broadcast log", 1_000]]);
    assert.match(health.failing[0].error, /malformed|not a database/);
    now = 2_000;
    assert.throws(() => db.exec("INSERT INTO t (v) VALUES ('more')"));
    assert.equal(health.failing[0].since, 1_000, "failing since the first failure");

    // Restored (a backup put back, which SQLite tells by the header's change counter): the
    // next operation clears it.
    const restored = good.slice();
    new DataView(restored.buffer).setUint32(24, new DataView(good.buffer).getUint32(24) + 1);
    Deno.writeFileSync(path, restored);
    assert.equal((count.get() as { n: number }).n, 8000);
    assert.equal(health.failing.length, 0);

    // Errors of a statement itself (a constraint, bad SQL) say nothing about the store.
    assert.throws(() =>
      other.prepare("INSERT INTO t (v) VALUES ('row 1 ' || ?)").run("x".repeat(60))
    );
    assert.throws(() => other.prepare("SELECT nope FROM t"));
    assert.equal(health.failing.length, 0);
    raw.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
