/**
 * The guard for big sends, end to end: a broadcast to at least BROADCAST_CONFIRM_THRESHOLD
 * channels needs `yes <number of channels>`; a bare yes or a wrong number asks again and
 * sends nothing.
 */

import assert from "node:assert/strict";
import { startScenario } from "@postbot/harness";
import {
  botPostsIn,
  broadcastIdIn,
  deliveredCount,
  rowCounts,
  showingBotOutput,
} from "./support/broadcasts.ts";

Deno.test("a big send needs the number of channels typed back", async () => {
  const s = await startScenario({ env: { BROADCAST_CONFIRM_THRESHOLD: "3" } });
  await showingBotOutput(s, async () => {
    const { channels } = s.world;
    const offices = [channels["office-berlin"], channels["office-paris"], channels["office-rome"]];
    const alice = s.dm(s.world.alice);
    await alice.send("Quarterly numbers are out");
    await alice.replyMatching(/Where should I send this/);
    await alice.send("all");
    const preview = await alice.replyMatching(/Ready to send/);
    assert.match(preview, /This reaches \*\*3 channels\*\* with \d+ members/);
    assert.match(preview, /answer \*\*yes 3\*\*/);
    const before = await rowCounts(s);

    assert.match(await alice.ask("yes"), /bare yes is not enough.*yes 3/s);
    assert.match(await alice.ask("yes 4"), /4 is not the number of channels.*yes 3/s);
    assert.match(await alice.ask("yes 30"), /30 is not the number of channels/);
    assert.match(await alice.ask("maybe"), /yes 3/);
    assert.deepEqual(await rowCounts(s), before, "nothing recorded before the right count");
    for (const c of offices) {
      assert.equal((await botPostsIn(s, c.id)).length, 0, `~${c.name} empty`);
    }

    await alice.send("yes 3");
    const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
    const report = await alice.replyMatching(new RegExp(`broadcast \`${id}\``), 30_000);
    assert.deepEqual(deliveredCount(report), [3, 3]);
    for (const c of offices) {
      assert.equal((await botPostsIn(s, c.id, id)).length, 1, `~${c.name} once`);
    }
  });
  await s.stop();
});

Deno.test("below the threshold a bare yes sends; a wrong number is still refused", async () => {
  const s = await startScenario({ env: { BROADCAST_CONFIRM_THRESHOLD: "4" } });
  await showingBotOutput(s, async () => {
    const bob = s.dm(s.world.bob);
    await bob.send("Lunch is on us");
    await bob.replyMatching(/Where should I send this/);
    await bob.send("all");
    const preview = await bob.replyMatching(/Ready to send/);
    assert.doesNotMatch(preview, /This reaches/);
    assert.match(await bob.ask("yes 2"), /2 is not the number of channels/);
    await bob.send("yes");
    const id = broadcastIdIn(await bob.replyMatching(/Sending broadcast/));
    await bob.replyMatching(new RegExp(`Delivered to .*broadcast \`${id}\``), 30_000);
  });
  await s.stop();
});
