import assert from "node:assert/strict";
import { MIGRATIONS } from "../migrations.ts";
import { POSTGRES_MIGRATIONS } from "../migrations_postgres.ts";
import { migratePostgres } from "./postgres_migrations.ts";
import { connectUrl, freshPostgres, freshPostgresUrl, testOnBothEngines } from "./testing.ts";

const TABLES = [
  "acknowledgements",
  "approval_decisions",
  "broadcast_events",
  "broadcasts",
  "deliveries",
  "direct_channels",
  "edit_approvals",
  "edit_decisions",
  "processed_posts",
  "reminders",
  "reminders_due",
  "scheduled_broadcasts",
  "scheduled_files",
  "seen",
  "sessions",
  "settings",
  "shared_files",
  "task_runs",
  "unsettled_channels",
];

testOnBothEngines("the migrations build every table of the schema", async (db) => {
  const listing = db.dialect === "sqlite"
    ? "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    : "SELECT table_name AS name FROM information_schema.tables " +
      "WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY name";
  const names = (await db.query<{ name: string }>(listing)).map((r) => r.name);
  assert.deepEqual(names, TABLES);
});

testOnBothEngines("epoch milliseconds and counts come back as numbers", async (db) => {
  const at = 1_796_000_000_123;
  await db.run(
    "INSERT INTO processed_posts (post_id, channel_id, create_at) VALUES (?, ?, ?)",
    ["p1", "c1", at],
  );
  const [row] = await db.query<{ create_at: number; n: number }>(
    "SELECT create_at, (SELECT COUNT(*) FROM processed_posts) AS n FROM processed_posts",
  );
  assert.deepEqual({ ...row }, { create_at: at, n: 1 });
});

testOnBothEngines("INSERT OR IGNORE ignores the duplicate and says so", async (db) => {
  const insert = "INSERT OR IGNORE INTO processed_posts (post_id, channel_id, create_at) " +
    "VALUES (?, ?, ?)";
  assert.equal(await db.run(insert, ["p1", "c1", 1]), 1);
  assert.equal(await db.run(insert, ["p1", "c2", 2]), 0);
  const rows = await db.query("SELECT channel_id FROM processed_posts");
  assert.deepEqual(rows.map((r) => r.channel_id), ["c1"]);
});

testOnBothEngines("a rowid alias numbers new rows on both engines", async (db) => {
  const insert = "INSERT INTO task_runs (task, trigger, started_at, outcome) " +
    "VALUES (?, 'command', ?, 'running') RETURNING id";
  const [first] = await db.query<{ id: number }>(insert, ["a", 1]);
  const [second] = await db.query<{ id: number }>(insert, ["b", 2]);
  assert.equal(typeof first.id, "number");
  assert.ok(second.id > first.id);
});

testOnBothEngines("a transaction commits on return and rolls back on throw", async (db) => {
  const insert = "INSERT INTO settings (name, value) VALUES (?, ?)";
  await db.transaction(async (tx) => {
    await tx.run(insert, ["kept", "1"]);
  });
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.run(insert, ["dropped", "1"]);
      throw new Error("changed my mind");
    }),
    /changed my mind/,
  );
  const names = (await db.query("SELECT name FROM settings ORDER BY name")).map((r) => r.name);
  assert.deepEqual(names, ["kept"]);
});

testOnBothEngines(
  "a statement from outside never lands inside a running transaction",
  async (db) => {
    const insert = "INSERT INTO settings (name, value) VALUES (?, ?)";
    let release = () => {};
    const held = new Promise<void>((resolve) => release = resolve);
    const inside = db.transaction(async (tx) => {
      await tx.run(insert, ["inside", "1"]);
      await held;
      throw new Error("roll back");
    });
    const outside = db.run(insert, ["outside", "1"]);
    release();
    await assert.rejects(inside, /roll back/);
    assert.equal(await outside, 1);
    const names = (await db.query("SELECT name FROM settings")).map((r) => r.name);
    assert.deepEqual(names, ["outside"]);
  },
);

testOnBothEngines("bytes, text and nulls travel unchanged", async (db) => {
  const text = "caf\u00e9 \u202e \u{1F600} 'quoted' ?";
  await db.run("INSERT INTO settings (name, value) VALUES (?, ?)", ["t", text]);
  const [row] = await db.query<{ value: string; absent: null }>(
    "SELECT value, NULL AS absent FROM settings WHERE name = ?",
    ["t"],
  );
  assert.equal(row.value, text);
  assert.equal(row.absent, null);
});

Deno.test("PostgreSQL: instances starting at once migrate the database exactly once", async () => {
  const url = await freshPostgresUrl();
  const instances = await Promise.all([0, 1, 2].map(() => connectUrl(url)));
  try {
    const runs = await Promise.all(instances.map((db) => migratePostgres(db, POSTGRES_MIGRATIONS)));
    const done = runs.map((r) => {
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    });
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    assert.equal(done.filter((r) => r.from === 0).length, 1);
    assert.deepEqual(done.filter((r) => r.from !== 0).map((r) => r.from), [latest, latest]);
    assert.ok(done.every((r) => r.to === latest));
    const versions = await instances[0].query(
      "SELECT version FROM schema_migrations ORDER BY version",
    );
    assert.deepEqual(versions.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  } finally {
    for (const db of instances) await db.close();
  }
});

Deno.test("PostgreSQL: a schema newer than this postbot is refused", async () => {
  const db = await freshPostgres();
  try {
    const migrated = await migratePostgres(db, POSTGRES_MIGRATIONS);
    assert.ok(migrated.ok);
    const older = await migratePostgres(db, POSTGRES_MIGRATIONS.slice(0, 3));
    assert.ok(!older.ok);
    const latest = POSTGRES_MIGRATIONS.at(-1)!.version;
    assert.match(
      older.error.message,
      new RegExp(`schema version ${latest}, newer than this postbot understands \\(3\\)`),
    );
  } finally {
    await db.close();
  }
});
