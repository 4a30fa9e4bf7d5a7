/**
 * DMs survive the bot dying at a bad moment. Two orderings that once lost or mangled work:
 * a DM queued behind another (not yet claimed) when the process is killed, and a broadcast
 * confirmed while the bot was down, handled during startup.
 */

import assert from "node:assert/strict";
import type { RunningPostbot } from "../src/postbot/app.ts";
import { startInProcess } from "./support/in_process.ts";
import { emulatorOnly, type Person, type Scenario, startScenario } from "@postbot/harness";
import { storeRows } from "./support/store.ts";

function dmChannel(s: Scenario, person: Person): string {
  return s.emu.store.directChannel(person.user.id, s.world.bot.user.id).id;
}

/** Posts as `person` server-side (their client is fine; only the bot is in trouble). */
function post(s: Scenario, person: Person, message: string): string {
  return s.emu.store.createPost(person.user.id, { channel_id: dmChannel(s, person), message }).id;
}

function answers(s: Scenario, person: Person, word: string): number {
  return s.emu.store.postsIn(dmChannel(s, person))
    .filter((p) => p.user_id === s.world.bot.user.id && p.message.includes(`\`${word}\``))
    .length;
}

async function claimed(s: Scenario, postIds: string[]): Promise<boolean> {
  const rows = await storeRows<{ post_id: string }>(s, "SELECT post_id FROM processed_posts");
  const have = new Set(rows.map((r) => r.post_id));
  return postIds.every((id) => have.has(id));
}

Deno.test("kill -9 with a DM still queued behind another: it is answered after restart, once", {
  ignore: emulatorOnly("holds the bot's REST answers with the emulator's delay hook"),
}, async () => {
  // While `held` is set, every REST answer waits for the gate: the bot's reply to alice's
  // first DM hangs, so her second DM stays queued, unclaimed, behind it.
  let held = false;
  const gate = Promise.withResolvers<void>();
  const s = await startScenario({
    emulator: { delay: (ms) => held ? gate.promise : new Promise((r) => setTimeout(r, ms)) },
  });
  try {
    const { alice, bob } = s.world;
    assert.match(await s.dm(alice).ask("!help"), /Commands/);
    assert.match(await s.dm(bob).ask("!help"), /Commands/);
    held = true;
    s.emu.faults.latencyMs = 1;
    const a1 = post(s, alice, "!probe-a1");
    const a2 = post(s, alice, "!probe-a2");
    await s.waitFor(() => claimed(s, [a1]), { timeoutMs: 20_000 });
    // Bob writes later: his DM becomes the newest handled one while a2 still waits. (The old
    // catch-up started one second before the newest handled DM, and so missed a2.)
    const a2At = s.emu.store.allPosts().find((p) => p.id === a2)!.create_at;
    await s.emu.waitFor(() => Date.now() > a2At + 1_500, { timeoutMs: 5_000 });
    const b1 = post(s, bob, "!probe-b1");
    await s.waitFor(() => claimed(s, [b1]), { timeoutMs: 20_000 });
    assert.ok(!(await claimed(s, [a2])), "a2 is still queued behind a1");
    await s.bot.kill();
    held = false;
    s.emu.faults.latencyMs = 0;
    gate.resolve();
    await s.startBot();
    await s.emu.waitFor(() => answers(s, alice, "!probe-a2") > 0, { timeoutMs: 20_000 });
    // A marker after everything: once it is answered, alice's queue has drained.
    post(s, alice, "!probe-end");
    await s.emu.waitFor(() => answers(s, alice, "!probe-end") > 0, { timeoutMs: 20_000 });
    assert.equal(answers(s, alice, "!probe-a1"), 1);
    assert.equal(answers(s, alice, "!probe-a2"), 1);
    assert.equal(answers(s, bob, "!probe-b1"), 1);
  } finally {
    gate.resolve();
    await s.stop();
  }
});

Deno.test("a broadcast confirmed while the bot was down is delivered, not 'recovered'", async () => {
  const s = await startScenario({
    startBot: false,
  });
  let bot: RunningPostbot | undefined;
  try {
    bot = await startInProcess(s);
    const alice = s.dm(s.world.alice);
    assert.match(await alice.ask("Startup race"), /Where should I send/);
    assert.match(await alice.ask("all"), /Ready to send to 3 channels/);
    await bot.stop();
    bot = undefined;
    await alice.send("yes");
    bot = await startInProcess(s);
    const report = await alice.replyMatching(/Delivered to/, 60_000);
    assert.match(report, /Delivered to 3 of 3 channels/);
    assert.doesNotMatch(report, /restarted/);
    for (const name of ["office-berlin", "office-paris", "office-rome"]) {
      const copies = (await s.postsIn(s.world.channels[name].id))
        .filter((p) => p.message === "Startup race");
      assert.equal(copies.length, 1, `~${name} has it once`);
    }
    assert.equal(
      (await alice.drain()).filter((m) => /restarted while delivering/.test(m)).length,
      0,
      "no false recovery report",
    );
  } finally {
    await bot?.stop();
    await s.stop();
  }
});
