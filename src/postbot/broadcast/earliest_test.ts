import assert from "node:assert/strict";
import { testOnBothEngines } from "../database/testing.ts";
import { earliest } from "./earliest.ts";

testOnBothEngines("earliest: the smallest time of the matching rows, or none", async (db) => {
  await db.run("CREATE TABLE waits (id TEXT PRIMARY KEY, at INTEGER NOT NULL, status TEXT)");
  const next = () => earliest(db, "waits", "at", "status = 'waiting'");
  assert.equal(await next(), undefined, "an empty table");
  await db.run("INSERT INTO waits (id, at, status) VALUES ('a', 300, 'waiting')");
  await db.run("INSERT INTO waits (id, at, status) VALUES ('b', 100, 'done')");
  await db.run("INSERT INTO waits (id, at, status) VALUES ('c', 1700000000000, 'waiting')");
  assert.equal(await next(), 300, "the done row does not count");
  await db.run("UPDATE waits SET status = 'done' WHERE id = 'a'");
  assert.equal(await next(), 1700000000000, "a number, also past 32 bits");
  await db.run("UPDATE waits SET status = 'done'");
  assert.equal(await next(), undefined, "none waiting");
});
