/**
 * Two or three postbot processes on one PostgreSQL (started by the test): exactly one is
 * active and answers; the others wait. Killing the active part-way through a broadcast hands
 * it to a standby, which finishes it without a second copy anywhere; an active paused past its
 * lease (SIGSTOP) answers and posts nothing once it resumes -- the fence -- and stops.
 */

import assert from "node:assert/strict";
import { emulatorOnly, type Scenario, startScenario } from "@postbot/harness";
import { BotProcess } from "@postbot/harness/bot";
import { startPostgres, type ThrowawayPostgres } from "@postbot/harness/postgres";
import { until } from "@postbot/mattermost-emulator/testing";
import { BROADCAST_PROP, broadcastIdIn, deliveredCount } from "./support/broadcasts.ts";

const N = 200;

let cluster: Promise<ThrowawayPostgres> | undefined;

/** A fresh database in the file's throwaway PostgreSQL (started at the first call). */
async function freshDatabase(): Promise<string> {
  if (cluster === undefined) {
    cluster = startPostgres();
    cluster.then((pg) => globalThis.addEventListener("unload", () => pg.stopNow()), () => {});
  }
  return await (await cluster).createDatabase();
}

/** Starts `n` instances on `url` at once; resolves with them once one says it is ready. */
async function instances(s: Scenario, url: string, n: number): Promise<BotProcess[]> {
  const env = { ...s.env, DATABASE_URL: url, LEASE_TTL_SECONDS: "3", LEASE_RENEW_SECONDS: "1" };
  const bots = Array.from({ length: n }, () => BotProcess.spawn({ cwd: s.dir, env }));
  await Promise.any(bots.map((b) => b.waitForOutput(/postbot is ready/, 60_000)));
  return bots;
}

/** The one instance that is ready (active); fails if there is not exactly one. */
function activeOf(bots: readonly BotProcess[]): BotProcess {
  const ready = bots.filter((b) => /postbot is ready/.test(b.output));
  assert.equal(ready.length, 1, `${ready.length} active instances`);
  return ready[0];
}

/** Stops every instance still running. */
async function stopAll(bots: readonly BotProcess[]): Promise<void> {
  await Promise.all(bots.map((b) => b.stop()));
}

/** The bot's posts in the asker's DM that answer `pattern`. */
async function answers(s: Scenario, pattern: RegExp): Promise<number> {
  const posts = await s.botPostsIn(s.dmChannel(s.world.alice).id);
  return posts.filter((p) => pattern.test(p.message)).length;
}

Deno.test("three instances started at once: one active, the others wait; a DM is answered once", async () => {
  const s = await startScenario({ startBot: false });
  const bots = await instances(s, await freshDatabase(), 3);
  try {
    const active = activeOf(bots);
    for (const b of bots.filter((x) => x !== active)) {
      await b.waitForOutput(/Standby: connected and ready/);
    }
    const alice = s.dm(s.world.alice);
    assert.match(await alice.ask("!id town-square"), /Id: `/);
    assert.match(await alice.ask("!help"), /!id/);
    assert.equal(await answers(s, /^Id: `/m), 1, "one answer to the one question");
    assert.equal(activeOf(bots), active, "still one active");
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});

Deno.test("the active stopped gracefully hands over at once; the wizard goes on", async () => {
  const s = await startScenario({ startBot: false });
  const bots = await instances(s, await freshDatabase(), 2);
  try {
    const active = activeOf(bots);
    const standby = bots.find((b) => b !== active)!;
    await standby.waitForOutput(/Standby: connected and ready/);
    const alice = s.dm(s.world.alice);
    await alice.send("Fire drill at noon");
    await alice.replyMatching(/Where should I send this/);
    assert.equal(await active.stop(), 0);
    await standby.waitForOutput(/postbot is ready/, 30_000);
    // The draft was kept in the shared store: the new active asks the next question.
    assert.match(await alice.ask("town-square"), /Ready to send/);
    assert.match(await alice.ask("no"), /./);
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});

Deno.test("a DM sent while nobody is active is answered once, by the new active", async () => {
  const s = await startScenario({ startBot: false });
  const bots = await instances(s, await freshDatabase(), 2);
  try {
    const active = activeOf(bots);
    const standby = bots.find((b) => b !== active)!;
    await standby.waitForOutput(/Standby: connected and ready/);
    await active.kill();
    const alice = s.dm(s.world.alice);
    // The lease has not lapsed yet: nobody listens; the catch-up of the new active answers.
    assert.match(await alice.ask("!id town-square"), /Id: `/);
    await standby.waitForOutput(/postbot is ready/, 30_000);
    assert.match(await alice.ask("!help"), /!id/);
    assert.equal(await answers(s, /^Id: `/m), 1);
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});

Deno.test("kill -9 of the active mid-broadcast: the standby finishes it, no copy twice", {
  ignore: emulatorOnly("emulated latency keeps the broadcast running long enough to kill"),
}, async () => {
  const ids = Array.from({ length: N }, (_, i) => `"{{bulk-${i}}}"`).join(", ");
  const s = await startScenario({
    bulkChannels: N,
    channelsToml: `[groups]\nBulk = [${ids}]\n`,
    env: { BROADCAST_CONCURRENCY: "4" },
    startBot: false,
  });
  const bots = await instances(s, await freshDatabase(), 2);
  try {
    const active = activeOf(bots);
    const standby = bots.find((b) => b !== active)!;
    await standby.waitForOutput(/Standby: connected and ready/);
    const alice = s.dm(s.world.alice);
    const channels = Array.from({ length: N }, (_, i) => s.world.channels[`bulk-${i}`]);
    const copies = (channelId: string, id: string) =>
      s.emu.store.postsIn(channelId).filter((p) =>
        p.user_id === s.world.bot.user.id && p.props?.[BROADCAST_PROP] === id
      ).length;
    await alice.send("Evacuation drill at 14:00");
    await alice.replyMatching(/Where should I send this/);
    assert.match(await alice.ask("bulk"), new RegExp(`Ready to send to ${N} channels`));
    s.emu.faults.latencyMs = 30;
    await alice.send("yes");
    const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
    await s.emu.waitFor(() => channels.filter((c) => copies(c.id, id) > 0).length >= 10, {
      timeoutMs: 30_000,
      message: "the broadcast never got going",
    });
    await active.kill();
    s.emu.faults.latencyMs = 0;
    const got = channels.filter((c) => copies(c.id, id) > 0).length;
    assert.ok(got < N, `killed after ${got} of ${N}`);

    await standby.waitForOutput(/postbot is ready/, 30_000);
    const report = await alice.replyMatching(/Delivered to/, 120_000);
    assert.deepEqual(deliveredCount(report), [N, N]);
    for (const c of channels) assert.equal(copies(c.id, id), 1, `~${c.name}`);
    // The sender is told once: the next answer comes after no second report.
    assert.match(await alice.ask("!id town-square"), /Id: `/);
    assert.equal(await answers(s, /Delivered to/), 1);
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});

Deno.test("SIGTERM of the active mid-broadcast: the standby finishes it, no copy twice", {
  ignore: emulatorOnly("emulated latency keeps the broadcast running across the hand-over"),
}, async () => {
  const ids = Array.from({ length: N }, (_, i) => `"{{bulk-${i}}}"`).join(", ");
  const s = await startScenario({
    bulkChannels: N,
    channelsToml: `[groups]\nBulk = [${ids}]\n`,
    env: { BROADCAST_CONCURRENCY: "4", SHUTDOWN_GRACE_SECONDS: "0" },
    startBot: false,
  });
  const bots = await instances(s, await freshDatabase(), 2);
  try {
    const active = activeOf(bots);
    const standby = bots.find((b) => b !== active)!;
    await standby.waitForOutput(/Standby: connected and ready/);
    const alice = s.dm(s.world.alice);
    const channels = Array.from({ length: N }, (_, i) => s.world.channels[`bulk-${i}`]);
    const copies = (channelId: string, id: string) =>
      s.emu.store.postsIn(channelId).filter((p) =>
        p.user_id === s.world.bot.user.id && p.props?.[BROADCAST_PROP] === id
      ).length;
    await alice.send("Quarterly numbers");
    await alice.replyMatching(/Where should I send this/);
    assert.match(await alice.ask("bulk"), new RegExp(`Ready to send to ${N} channels`));
    s.emu.faults.latencyMs = 30;
    await alice.send("yes");
    const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
    await s.emu.waitFor(() => channels.filter((c) => copies(c.id, id) > 0).length >= 10, {
      timeoutMs: 30_000,
      message: "the broadcast never got going",
    });
    assert.equal(await active.stop(), 0);
    s.emu.faults.latencyMs = 0;
    assert.ok(channels.filter((c) => copies(c.id, id) > 0).length < N, "stopped part-way");
    const report = await alice.replyMatching(/Delivered to/, 120_000);
    assert.deepEqual(deliveredCount(report), [N, N]);
    for (const c of channels) assert.equal(copies(c.id, id), 1, `~${c.name}`);
    assert.match(await alice.ask("!id town-square"), /Id: `/);
    assert.equal(await answers(s, /Delivered to|shutting down/), 1, "told once, at the end");
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});

Deno.test("PostgreSQL restarted during a broadcast: it completes, no copy twice", {
  ignore: emulatorOnly("emulated latency keeps the broadcast running across the restart"),
}, async () => {
  const ids = Array.from({ length: N }, (_, i) => `"{{bulk-${i}}}"`).join(", ");
  const s = await startScenario({
    bulkChannels: N,
    channelsToml: `[groups]\nBulk = [${ids}]\n`,
    env: { BROADCAST_CONCURRENCY: "4" },
    startBot: false,
  });
  const bots = await instances(s, await freshDatabase(), 2);
  try {
    const alice = s.dm(s.world.alice);
    const channels = Array.from({ length: N }, (_, i) => s.world.channels[`bulk-${i}`]);
    const copies = (channelId: string, id: string) =>
      s.emu.store.postsIn(channelId).filter((p) =>
        p.user_id === s.world.bot.user.id && p.props?.[BROADCAST_PROP] === id
      ).length;
    await alice.send("Server maintenance tonight");
    await alice.replyMatching(/Where should I send this/);
    assert.match(await alice.ask("bulk"), new RegExp(`Ready to send to ${N} channels`));
    s.emu.faults.latencyMs = 40;
    await alice.send("yes");
    const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
    await s.emu.waitFor(() => channels.filter((c) => copies(c.id, id) > 0).length >= 10, {
      timeoutMs: 30_000,
      message: "the broadcast never got going",
    });
    await (await cluster!).restart();
    const during = channels.filter((c) => copies(c.id, id) > 0).length;
    assert.ok(during < N, `the restart was over after ${during} of ${N}: not during it`);
    s.emu.faults.latencyMs = 0;
    const report = await alice.replyMatching(/Delivered to/, 120_000);
    assert.deepEqual(deliveredCount(report), [N, N]);
    for (const c of channels) assert.equal(copies(c.id, id), 1, `~${c.name}`);
    assert.match(await alice.ask("!id town-square"), /Id: `/);
    assert.equal(await answers(s, /Delivered to/), 1, "the sender is told once");
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});

Deno.test("an active paused past its lease answers nothing when it resumes, and stops", async () => {
  const s = await startScenario({ startBot: false });
  const bots = await instances(s, await freshDatabase(), 2);
  try {
    const active = activeOf(bots);
    const standby = bots.find((b) => b !== active)!;
    await standby.waitForOutput(/Standby: connected and ready/);
    Deno.kill(active.pid, "SIGSTOP");
    await standby.waitForOutput(/postbot is ready/, 30_000);
    const alice = s.dm(s.world.alice);
    // Sent while the old active is frozen: its socket holds the event for when it wakes.
    assert.match(await alice.ask("!id town-square"), /Id: `/);
    Deno.kill(active.pid, "SIGCONT");
    assert.equal(await active.exited, 75, "it stops, to come back as a standby");
    assert.match(active.output, /Another instance took over/);
    // Verified on the server: one answer, the new active's.
    assert.match(await alice.ask("!help"), /!id/);
    assert.equal(await answers(s, /^Id: `/m), 1);
    await until(() => standby.output.includes("postbot is ready") || undefined, "still active");
  } finally {
    await stopAll(bots);
    await s.stop();
  }
});
