import assert from "node:assert/strict";
import { testOnBothEngines } from "../database/testing.ts";
import { NEVER } from "../database/fencing.ts";
import { StoredProcessedPosts } from "./processed_posts.ts";

testOnBothEngines("processed posts: a post is claimed once", async (db) => {
  const posts = new StoredProcessedPosts(db);
  assert.equal(await posts.claim("p1", "c1", 1_000), true);
  assert.equal(await posts.claim("p1", "c1", 1_000), false, "never twice");
  assert.equal(await posts.claim("p2", "c2", 2_000), true);
  assert.equal(await posts.lastCreateAt(), 2_000);
  assert.deepEqual((await posts.dmChannels()).sort(), ["c1", "c2"]);
  assert.equal(await posts.prune(1_500), 1);
  assert.deepEqual(await posts.dmChannels(), ["c2"]);
});

testOnBothEngines("processed posts: an instance that may not act claims nothing", async (db) => {
  const standby = new StoredProcessedPosts(db, () => NEVER);
  assert.equal(await standby.claim("p1", "c1", 1_000), false);
  const active = new StoredProcessedPosts(db);
  assert.equal(await active.claim("p1", "c1", 1_000), true, "the post is still unclaimed");
});

testOnBothEngines("processed posts: unsettled channels keep their first mark", async (db) => {
  const posts = new StoredProcessedPosts(db);
  await posts.markUnsettled("c1", 5);
  await posts.markUnsettled("c1", 9);
  assert.deepEqual(await posts.unsettled(), [{ channelId: "c1", after: 5 }]);
  await posts.markSettled("c1");
  assert.deepEqual(await posts.unsettled(), []);
});

testOnBothEngines(
  "processed posts: claims at once are each answered for themselves",
  async (db) => {
    const posts = new StoredProcessedPosts(db);
    assert.equal(await posts.claim("p0", "c1", 500), true);
    const ids = ["p1", "p2", "p0", "p1", "p3", ...Array.from({ length: 100 }, (_, i) => `q${i}`)];
    const claimed = await Promise.all(ids.map((id, i) => posts.claim(id, `c${i % 3}`, 1_000 + i)));
    assert.deepEqual(claimed.slice(0, 5), [true, true, false, false, true]);
    assert.ok(claimed.slice(5).every((c) => c));
    assert.equal(await posts.lastCreateAt(), 1_000 + ids.length - 1);
    const [row] = await db.query<{ n: number }>("SELECT COUNT(*) AS n FROM processed_posts");
    assert.equal(Number(row.n), 104);
    const standby = new StoredProcessedPosts(db, () => NEVER);
    const refused = await Promise.all(["r1", "r2", "r3"].map((id) => standby.claim(id, "c", 1)));
    assert.deepEqual(refused, [false, false, false]);
  },
);
