import assert from "node:assert/strict";
import type { RestTransport } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../migrations.ts";
import { DirectChannels } from "./direct_channels.ts";

Deno.test("DM channels: created once per person, then known, however often asked", async () => {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) assert.fail(opened.error.message);
  const db = opened.value;
  const created: string[] = [];
  const transport = {
    api: (path: string) => path,
    send: (_url: string, init: { body: string }) => {
      const [, userId] = JSON.parse(init.body) as string[];
      created.push(userId);
      return Promise.resolve(Response.json({ id: `dm-${userId}` }));
    },
  } as unknown as RestTransport;
  const dms = new DirectChannels(db, transport, "bot");
  const people = ["u1", "u2", "u3"];
  assert.equal(dms.known("u1"), undefined);
  for (let round = 0; round < 3; round++) {
    const ids = await Promise.all(people.map((p) => dms.open(p)));
    assert.deepEqual(ids, ["dm-u1", "dm-u2", "dm-u3"]);
  }
  assert.deepEqual(created, people, "one creation each");
  assert.deepEqual(people.map((p) => dms.known(p)), ["dm-u1", "dm-u2", "dm-u3"]);
  assert.equal(dms.size, 3);
  // Another instance on the same database knows them too (nothing only in memory).
  assert.equal(new DirectChannels(db, transport, "bot").known("u2"), "dm-u2");
  db.close();
});
