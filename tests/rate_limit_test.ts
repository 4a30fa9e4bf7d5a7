/**
 * A broadcast under Mattermost's rate limiter: every channel gets the post exactly once, with
 * its file, even while another client at the same address eats into the same limit. On the
 * emulator the limit is faster than the default (50 requests/s, burst 10) so the test is
 * quick; a real server runs its own limiter at its defaults (10/s, burst 100). How close to
 * the limit's minimum time it gets is measured in bench/, not here.
 */

import assert from "node:assert/strict";
import { startScenario } from "@postbot/harness";

const CHANNELS = 60;

/**
 * Requests from another client at the same address until `done` settles; returns how many
 * were refused (429) and how many answers carried the limiter's X-Ratelimit-Limit header.
 * It opens with `burst` requests at once.
 */
async function competingClient(
  url: string,
  token: string,
  done: Promise<unknown>,
  everyMs: number,
  burst: number,
) {
  let finished = false;
  let limited = 0;
  let counted = 0;
  void done.finally(() => finished = true).catch(() => {});
  // A burst first (none on a real server, whose burst of 100 is the bot's too), far beyond the
  // emulator's limit here (all of it passing would need the emulator to spread 100 answers over
  // 2 s), so the shared limit is seen whatever the load on the machine; then a steady trickle.
  const opening = await Promise.all(
    Array.from(
      { length: burst },
      () =>
        fetch(`${url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } })
          .then(async (r) => {
            await r.body?.cancel();
            return r.status;
          }),
    ),
  );
  limited += opening.filter((status) => status === 429).length;
  while (!finished) {
    const r = await fetch(`${url}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (r.status === 429) limited++;
    if (r.headers.get("X-Ratelimit-Limit") !== null) counted++;
    await r.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return { limited, counted };
}

Deno.test("a rate-limited broadcast to 60 channels reaches each once, with its file", async () => {
  const ids = Array.from({ length: CHANNELS }, (_, i) => `"{{bulk-${i}}}"`);
  const s = await startScenario({
    bulkChannels: CHANNELS,
    channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
    startBot: false,
  });
  try {
    const real = s.server.kind === "real";
    await s.server.setRateLimit(
      real ? { perSec: 10, maxBurst: 100 } : { perSec: 50, maxBurst: 10 },
    );
    await s.startBot();
    const alice = s.dm(s.world.alice);
    const text = "Rate limited broadcast";
    const file = { name: "plan.txt", bytes: new TextEncoder().encode("the plan, version 3") };
    assert.match(await alice.ask(text, [file]), /with 1 file/);
    assert.match(await alice.ask("Bulk"), new RegExp(`Ready to send to ${CHANNELS} channels`));

    const first = s.server.emulator?.requests.length ?? 0;
    assert.match(await alice.ask("yes"), /Sending broadcast/);
    const report = alice.replyMatching(/Delivered to/, 120_000);
    // A fifth of the limit: the other client slows the bot down without starving it.
    const limited = await competingClient(
      s.url,
      s.world.carol.token,
      report,
      real ? 500 : 40,
      real ? 0 : 100,
    );
    assert.match(await report, new RegExp(`Delivered to ${CHANNELS} of ${CHANNELS} channels`));
    assert.doesNotMatch(await report, /Not delivered/);
    // The limit was in force for the other client at the same address. (The bot paces itself
    // by the limiter's headers, so on a real server that client is rarely refused.)
    assert.ok(limited.counted > 0, "no answer carried X-Ratelimit-Limit");
    if (!real) assert.ok(limited.limited > 0, "the competing client never got a 429");
    await s.server.setRateLimit(null);

    for (let i = 0; i < CHANNELS; i++) {
      const posts = await s.botPostsIn(s.world.channels[`bulk-${i}`].id);
      assert.equal(posts.length, 1, `bulk-${i} got ${posts.length} posts`);
      assert.equal(posts[0].message, text);
      assert.equal(posts[0].file_ids?.length, 1, `bulk-${i} lost its file`);
      assert.deepEqual(await s.server.fileBytes(posts[0].file_ids![0]), file.bytes);
    }
    const emu = s.server.emulator;
    if (emu !== undefined) {
      // Far more requests than one burst went through the limit.
      const admitted = emu.requests.slice(first).filter((r) => r.status !== 429).length;
      assert.ok(admitted > 2 * CHANNELS, `${admitted} requests`);
    }
  } finally {
    await s.stop();
  }
});
