import assert from "node:assert/strict";
import type { RestTransport } from "@postbot/framework";
import { testOnBothEngines } from "../database/testing.ts";
import { DirectChannels } from "./direct_channels.ts";

/** A transport that answers `POST /channels/direct` with a channel id per person. */
function fakeServer(): { transport: RestTransport; created: string[] } {
  const created: string[] = [];
  const transport = {
    api: (path: string) => path,
    send: (_url: string, init: { body?: string }) => {
      const [, person] = JSON.parse(init.body ?? "[]") as string[];
      created.push(person);
      return Promise.resolve(Response.json({ id: `dm-${person}` }));
    },
  } as unknown as RestTransport;
  return { transport, created };
}

testOnBothEngines(
  "DirectChannels: a person's DM channel is created once and remembered",
  async (db) => {
    const server = fakeServer();
    const first = new DirectChannels(db, server.transport, "bot");
    assert.equal(await first.known("alice"), undefined);
    const opened = await Promise.all([first.open("alice"), first.open("alice")]);
    assert.deepEqual(opened, ["dm-alice", "dm-alice"]);
    // Another instance (or the bot after a restart) on the same database knows it.
    const second = new DirectChannels(db, server.transport, "bot");
    assert.equal(await second.known("alice"), "dm-alice");
    assert.equal(await second.open("alice"), "dm-alice");
    assert.deepEqual(server.created, ["alice"], "one creation");
    assert.equal(await second.count(), 1);
  },
);
