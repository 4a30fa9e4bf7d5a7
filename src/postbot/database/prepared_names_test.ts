import assert from "node:assert/strict";
import { PreparedNames, stalePlan } from "./prepared_names.ts";
import { connectUrl, freshPostgresUrl } from "./testing.ts";

Deno.test("prepared names: one per statement, new ones after renew", () => {
  const names = new PreparedNames();
  const a = names.of("SELECT $1");
  assert.equal(names.of("SELECT $1"), a);
  const b = names.of("SELECT $1, $2");
  assert.notEqual(b, a);
  names.renew();
  assert.notEqual(names.of("SELECT $1"), a);
  assert.notEqual(names.of("SELECT $1, $2"), b);
  assert.equal(stalePlan(new Error("cached plan must not change result type")), false);
  const stale = Object.assign(new Error("cached plan must not change result type"), {
    code: "0A000",
  });
  assert.equal(stalePlan(stale), true);
});

/** Prepared statements of the server session behind a one-connection database, by text. */
const PREPARED = "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%FROM t%'";

Deno.test("PostgreSQL: a statement with parameters is prepared once per connection", async () => {
  const url = await freshPostgresUrl();
  const db = await connectUrl(url);
  try {
    await db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
    await db.run("INSERT INTO t (id, a) VALUES (?, ?)", [1, "one"]);
    const rows = await db.transaction(async (tx) => {
      await tx.query("SELECT * FROM t WHERE id = ?", [1]);
      await tx.query("SELECT * FROM t WHERE id = ?", [1]);
      return await tx.query<{ statement: string }>(PREPARED);
    });
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(rows[0].statement, /SELECT \* FROM t WHERE id = \$1/);
  } finally {
    await db.close();
  }
});

Deno.test("PostgreSQL: a prepared SELECT * still answers after a column is added", async () => {
  const url = await freshPostgresUrl();
  const db = await connectUrl(url);
  const other = await connectUrl(url);
  try {
    await db.run("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)");
    await db.run("INSERT INTO t (id, a) VALUES (?, ?)", [1, "one"]);
    const read = () => db.query("SELECT * FROM t WHERE id = ?", [1]);
    const readInTransaction = () =>
      db.transaction((tx) => tx.query("SELECT * FROM t WHERE id = ?", [1]));
    // Prepared on every pooled connection that may serve the next reads.
    await Promise.all(Array.from({ length: 5 }, read));
    await Promise.all(Array.from({ length: 5 }, readInTransaction));
    // Another instance migrates the shared database.
    await other.run("ALTER TABLE t ADD COLUMN b TEXT DEFAULT 'new'");
    assert.deepEqual(await read(), [{ id: 1, a: "one", b: "new" }]);
    await other.run("ALTER TABLE t ADD COLUMN c TEXT DEFAULT 'newer'");
    assert.deepEqual(await readInTransaction(), [{ id: 1, a: "one", b: "new", c: "newer" }]);
  } finally {
    await other.close();
    await db.close();
  }
});
