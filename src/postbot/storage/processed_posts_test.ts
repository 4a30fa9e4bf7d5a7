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
