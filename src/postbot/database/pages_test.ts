import assert from "node:assert/strict";
import type { Database, PagedQuery } from "./port.ts";
import { pagedRows } from "./pages.ts";
import { testOnBothEngines } from "./testing.ts";

const INSERT = "INSERT INTO processed_posts (post_id, channel_id, create_at) VALUES (?, ?, ?)";

/** The posts of channel c1 by post id, `pageSize` a page. */
function postsOfC1(pageSize: number): PagedQuery {
  return {
    sql: "SELECT post_id, create_at FROM processed_posts WHERE channel_id = ? AND post_id > ? " +
      "ORDER BY post_id LIMIT ?",
    params: ["c1"],
    key: "post_id",
    start: "",
    pageSize,
  };
}

async function seed(db: Database, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await db.run(INSERT, [`p${i}`, "c1", i]);
  await db.run(INSERT, ["p0", "c2", 0]);
}

async function ids(db: Database, q: PagedQuery): Promise<string[]> {
  const seen: string[] = [];
  for await (const row of db.queryEach<{ post_id: string }>(q)) seen.push(row.post_id);
  return seen;
}

testOnBothEngines("queryEach reads every row once, in key order, page by page", async (db) => {
  await seed(db, 7);
  const all = ["p1", "p2", "p3", "p4", "p5", "p6", "p7"];
  for (const size of [1, 2, 3, 7, 8, 500]) assert.deepEqual(await ids(db, postsOfC1(size)), all);
  assert.deepEqual(await ids(db, { ...postsOfC1(2), params: ["none"] }), []);
});

testOnBothEngines("queryEach lets its reader write between rows", async (db) => {
  await seed(db, 4);
  const seen: string[] = [];
  for await (const row of db.queryEach<{ post_id: string }>(postsOfC1(2))) {
    seen.push(row.post_id);
    // A row already read, changed, is not read again; a row past the last page read is.
    await db.run("UPDATE processed_posts SET create_at = 99 WHERE post_id = ?", [row.post_id]);
    if (row.post_id === "p1") await db.run(INSERT, ["p9", "c1", 9]);
  }
  assert.deepEqual(seen, ["p1", "p2", "p3", "p4", "p9"]);
  const changed = await db.query("SELECT COUNT(*) AS n FROM processed_posts WHERE create_at = 99");
  assert.equal(Number(changed[0].n), 5);
});

testOnBothEngines("queryEach inside a transaction reads through it", async (db) => {
  await seed(db, 3);
  const seen = await db.transaction(async (tx) => {
    await tx.run(INSERT, ["p4", "c1", 4]);
    const got: string[] = [];
    for await (const row of tx.queryEach<{ post_id: string }>(postsOfC1(2))) {
      got.push(row.post_id);
    }
    return got;
  });
  assert.deepEqual(seen, ["p1", "p2", "p3", "p4"]);
});

Deno.test("pagedRows asks for the next page only when the last one was full", async () => {
  const asked: unknown[][] = [];
  const rows = [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }];
  const query = (_sql: string, params: readonly unknown[]) => {
    asked.push([...params]);
    const [after, size] = params.slice(-2) as [number, number];
    return Promise.resolve(rows.filter((r) => r.k > after).slice(0, size));
  };
  const q = { sql: "S", params: ["x"], key: "k", start: 0, pageSize: 2 };
  const got: number[] = [];
  for await (const r of pagedRows(query, q)) got.push(r.k);
  assert.deepEqual(got, [1, 2, 3, 4]);
  assert.deepEqual(asked, [["x", 0, 2], ["x", 2, 2], ["x", 4, 2]]);
  await assert.rejects(async () => {
    for await (const _ of pagedRows(query, { ...q, pageSize: 0 })) break;
  }, RangeError);
});
