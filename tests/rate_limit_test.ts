/**
 * A broadcast under Mattermost's rate limiter (here faster than the default, 50 requests/s
 * with a burst of 10, so the test is quick): every channel gets the post exactly once, with
 * its file, even while another client at the same address eats into the same limit.
 * How close to the limit's minimum time it gets is measured in bench/, not here.
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "./support/scenario.ts";

const CHANNELS = 60;
const QUOTA = { perSec: 50, maxBurst: 10 };

async function bulkScenario(): Promise<Scenario> {
  const ids = Array.from({ length: CHANNELS }, (_, i) => `"{{bulk-${i}}}"`);
  return await startScenario({
    bulkChannels: CHANNELS,
    channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
  });
}

/** Requests from another client at the same address (its 429s ignored) until `done` settles. */
async function competingClient(s: Scenario, token: string, done: Promise<unknown>) {
  let finished = false;
  void done.finally(() => finished = true).catch(() => {});
  while (!finished) {
    const r = await fetch(`${s.emu.url}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    await r.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

Deno.test("a rate-limited broadcast to 60 channels reaches each once, with its file", async () => {
  const s = await bulkScenario();
  try {
    const alice = s.dm(s.world.alice);
    const text = "Rate limited broadcast";
    const file = { name: "plan.txt", bytes: new TextEncoder().encode("the plan, version 3") };
    assert.match(await alice.ask(text, [file]), /with 1 file/);
    assert.match(await alice.ask("Bulk"), new RegExp(`Ready to send to ${CHANNELS} channels`));

    s.emu.faults.rateLimit = QUOTA;
    const first = s.emu.requests.length;
    assert.match(await alice.ask("yes"), /Sending broadcast/);
    const report = alice.replyMatching(/Delivered to/, 60_000);
    await competingClient(s, s.world.carol.token, report);
    assert.match(await report, new RegExp(`Delivered to ${CHANNELS} of ${CHANNELS} channels`));
    assert.doesNotMatch(await report, /Not delivered/);

    for (let i = 0; i < CHANNELS; i++) {
      const posts = s.emu.store.postsIn(s.world.channels[`bulk-${i}`].id)
        .filter((p) => p.user_id === s.world.bot.user.id);
      assert.equal(posts.length, 1, `bulk-${i} got ${posts.length} posts`);
      assert.equal(posts[0].message, text);
      assert.equal(posts[0].file_ids?.length, 1, `bulk-${i} lost its file`);
      assert.deepEqual(s.emu.store.fileBytes(posts[0].file_ids![0]), file.bytes);
    }
    // The limit was in force: far more requests than one burst went through it.
    const window = s.emu.requests.slice(first);
    const admitted = window.filter((r) => r.status !== 429).length;
    assert.ok(admitted > 2 * CHANNELS, `${admitted} requests`);
  } finally {
    await s.stop();
  }
});
