/**
 * A crash part-way through a broadcast: postbot is killed with SIGKILL while delivering to
 * 100 channels, then restarted. The log must say exactly which channels got it, the sender
 * is told, nothing is sent twice, and `!retry` completes the rest.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { emulatorOnly, type Scenario, sqliteOnly, startScenario } from "@postbot/harness";
import {
  assertRelayed,
  BROADCAST_PROP,
  broadcastIdIn,
  deliveredCount,
  deliveryRows,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";

const N = 100;

/**
 * The bot's copies of a broadcast in a channel, read synchronously from the emulator: these
 * tests slow the emulator down (latency) to catch a broadcast part-way, so they are
 * emulator-only.
 */
function copiesOf(s: Scenario, channelId: string, id: string): Post[] {
  return s.emu.store.postsIn(channelId).filter((p) =>
    p.user_id === s.world.bot.user.id && p.props?.[BROADCAST_PROP] === id
  );
}

const CHANNELS_TOML = `# crash test
whitelist = ["town-square"]

[groups]
Bulk = [${Array.from({ length: N }, (_, i) => `"{{bulk-${i}}}"`).join(", ")}]
`;

Deno.test("a broadcast interrupted by SIGKILL is recovered exactly", {
  ignore: emulatorOnly("emulated latency keeps the broadcast running long enough to kill") ||
    sqliteOnly(
      "one process: the rest is recorded as not sent; on PostgreSQL the next active resumes it (high_availability_test.ts)",
    ),
}, async () => {
  const s: Scenario = await startScenario({
    bulkChannels: N,
    channelsToml: CHANNELS_TOML,
    env: { BROADCAST_CONCURRENCY: "4" },
  });
  try {
    await showingBotOutput(s, async () => {
      const alice = s.dm(s.world.alice);
      const channels = Array.from({ length: N }, (_, i) => s.world.channels[`bulk-${i}`]);
      const message = "Evacuation drill at 14:00";
      const files = testFiles(1, "map");
      /** Channels that hold the broadcast, checking none holds it twice. */
      const holders = (id: string) =>
        channels.filter((c) => {
          const copies = copiesOf(s, c.id, id).length;
          assert.ok(copies <= 1, `~${c.name} has ${copies} copies`);
          return copies === 1;
        });

      await alice.send(message, files);
      await alice.replyMatching(/Where should I send this/);
      assert.match(await alice.ask("bulk"), new RegExp(`Ready to send to ${N} channels`));
      s.emu.faults.latencyMs = 30;
      await alice.send("yes");
      const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));

      await s.emu.waitFor(() => holders(id).length >= 10, {
        timeoutMs: 30_000,
        message: "the broadcast never got going",
      });
      await s.bot.kill();
      s.emu.faults.latencyMs = 0;
      const got = holders(id);
      assert.ok(got.length > 0 && got.length < N, `killed after ${got.length} of ${N}`);

      // With the bot dead: every channel it recorded as delivered has the post; a channel that
      // has it but is not recorded as delivered was being sent when the bot died.
      const gotIds = new Set(got.map((c) => c.id));
      const dead = await deliveryRows(s, id);
      assert.equal(dead.size, N);
      for (const [channelId, row] of dead) {
        if (row.status === "delivered") assert.ok(gotIds.has(channelId));
        if (gotIds.has(channelId)) assert.ok(["delivered", "sending"].includes(row.status));
        else assert.ok(["pending", "sending"].includes(row.status), row.status);
      }
      assert.equal(
        await withLog(
          s,
          async (db) =>
            ((await db.query("SELECT status FROM broadcasts WHERE id = ?", [id]))[0] as {
              status: string;
            })
              .status,
        ),
        "pending",
      );

      await s.startBot();
      const report = await alice.replyMatching(/postbot was restarted while delivering/);
      assert.deepEqual(deliveredCount(report), [got.length, N]);
      assert.match(report, new RegExp(`broadcast \`${id}\``));
      const listed = /Delivered to: (.*)\n/.exec(report)?.[1].split(", ") ?? [];
      assert.deepEqual(listed.sort(), got.map((c) => `~${c.name}`).sort());
      assert.match(report, /not sent: postbot stopped before reaching this channel/);
      assert.match(report, new RegExp(`!retry ${id}`));
      assert.deepEqual(holders(id).map((c) => c.id), got.map((c) => c.id), "recovery sent nothing");

      // After recovery the log says exactly which channels got it.
      const rows = await deliveryRows(s, id);
      for (const c of channels) {
        const row = rows.get(c.id)!;
        if (gotIds.has(c.id)) {
          assert.equal(row.status, "delivered", `~${c.name}`);
          assert.equal(row.post_id, copiesOf(s, c.id, id)[0].id);
        } else {
          assert.equal(row.status, "failed", `~${c.name}`);
          assert.equal(row.post_id, null);
        }
      }
      assert.match(
        await alice.ask("!history 1"),
        new RegExp(
          `delivered to ${got.length} of ${N}, ${N - got.length} failed \\(interrupted\\)`,
        ),
      );

      assert.match(
        await alice.ask(`!retry ${id}`),
        new RegExp(`in ${N - got.length} channels? that failed`),
      );
      const retried = await alice.replyMatching(/Retry finished/, 60_000);
      assert.deepEqual(deliveredCount(retried), [N, N]);
      for (const c of channels) await assertRelayed(s, c.id, id, message, files);
      for (const [channelId, row] of (await deliveryRows(s, id))) {
        assert.equal(row.status, "delivered");
        assert.equal(row.post_id, copiesOf(s, channelId, id)[0].id);
      }
    });
  } finally {
    await s.stop();
  }
});

Deno.test(
  "SIGTERM mid-broadcast: within the grace period it finishes, without it the rest is recorded",
  {
    ignore: emulatorOnly("emulated latency keeps the broadcast running long enough to stop"),
  },
  async (t) => {
    const s: Scenario = await startScenario({
      bulkChannels: N,
      channelsToml: CHANNELS_TOML,
      env: { BROADCAST_CONCURRENCY: "4" },
    });
    try {
      const alice = s.dm(s.world.alice);
      const channels = Array.from({ length: N }, (_, i) => s.world.channels[`bulk-${i}`]);
      const holders = (id: string) =>
        channels.filter((c) => {
          const copies = copiesOf(s, c.id, id).length;
          assert.ok(copies <= 1, `~${c.name} has ${copies} copies`);
          return copies === 1;
        });
      /** Confirms a broadcast to all bulk channels and stops the bot once 10 have it. */
      const startThenTerminate = async (message: string) => {
        await alice.send(message);
        await alice.replyMatching(/Where should I send this/);
        assert.match(await alice.ask("bulk"), /Ready to send/);
        s.emu.faults.latencyMs = 30;
        await alice.send("yes");
        const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
        await s.emu.waitFor(() => holders(id).length >= 10, { timeoutMs: 30_000 });
        assert.equal(await s.bot.stop(), 0, "clean exit after SIGTERM");
        s.emu.faults.latencyMs = 0;
        return id;
      };

      await t.step(
        "with the default grace period the broadcast completes before exit",
        () =>
          showingBotOutput(s, async () => {
            const id = await startThenTerminate("Finish before you go");
            const report = await alice.replyMatching(/Delivered/);
            assert.deepEqual(deliveredCount(report), [N, N]);
            assert.equal(holders(id).length, N);
            for (const row of (await deliveryRows(s, id)).values()) {
              assert.equal(row.status, "delivered");
            }
          }),
      );

      await t.step({
        name: "with no grace period, nothing new starts and the rest is recorded",
        ignore: sqliteOnly(
          "one process: the rest is recorded as not sent; on PostgreSQL it is left pending for the next active (high_availability_test.ts)",
        ),
        fn: () =>
          showingBotOutput(s, async () => {
            await s.startBot({ SHUTDOWN_GRACE_SECONDS: "0" });
            const id = await startThenTerminate("Cut short");
            const got = new Set(holders(id).map((c) => c.id));
            assert.ok(got.size < N, `${got.size} of ${N}`);
            const report = await alice.replyMatching(/shutting down and could not finish/);
            assert.deepEqual(deliveredCount(report), [got.size, N]);
            assert.match(report, /not sent: postbot shut down before reaching this channel/);
            for (const [channelId, row] of (await deliveryRows(s, id))) {
              assert.equal(row.status, got.has(channelId) ? "delivered" : "failed");
            }

            await s.startBot();
            assert.match(
              await alice.ask(`!retry ${id}`),
              new RegExp(`in ${N - got.size} channels?`),
            );
            assert.deepEqual(deliveredCount(await alice.replyMatching(/Retry finished/, 60_000)), [
              N,
              N,
            ]);
            for (const c of channels) await assertRelayed(s, c.id, id, "Cut short", []);
          }),
      });
    } finally {
      await s.stop();
    }
  },
);
