/**
 * `!edit` and `!status` end to end: the change previewed and applied in every channel (files
 * kept), failures reported (a post removed by a moderator), the window, ownership, the log and
 * the audit line; edits of scheduled broadcasts; the status per channel with permalinks,
 * reactions by emoji and thread replies, read from the live server in bulk.
 */

import assert from "node:assert/strict";
import { emulatorOnly, startScenario } from "@postbot/harness";
import {
  assertRelayed,
  botPostsIn,
  broadcast,
  broadcastIdIn,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";

Deno.test("!edit and !status", async (t) => {
  let moderatorToken = "";
  const s = await startScenario({
    startBot: false,
    prepare: async (server) => {
      moderatorToken = (await server.createUser({
        username: "moderator",
        roles: "system_user system_admin",
      })).token;
    },
  });
  const { alice, bob, carol, channels } = s.world;
  await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
  const offices = [channels["office-berlin"], channels["office-paris"], channels["office-rome"]];
  const audit = async () =>
    (await s.postsIn(channels["bot-log"].id)).map((p) => p.message).join("\n");

  await showingBotOutput(s, async () => {
    await t.step("an edit is previewed, then applied everywhere; files stay", async () => {
      const alice_ = s.dm(alice);
      const files = testFiles(1, "agenda");
      const { id } = await broadcast(alice_, "Meeting at 10:00 in room B", "all", files);
      assert.match(await alice_.ask(`!edit ${id}`), /Send me the new text of broadcast/);
      const preview = await alice_.ask("Meeting at 11:00 in room B @channel");
      assert.match(preview, /Change broadcast `[a-z0-9]+` in 3 channels \(files stay/);
      assert.match(preview, /Before:\*\*\n> Meeting at 10:00 in room B/);
      assert.match(preview, /After:\*\*\n> Meeting at 11:00 in room B @\u200bchannel/);
      // Nothing changed before the yes.
      for (const c of offices) {
        await assertRelayed(s, c.id, id, "Meeting at 10:00 in room B", files);
      }
      assert.match(await alice_.ask("maybe"), /Please answer \*\*yes\*\* to change/);
      const report = await alice_.ask("yes");
      assert.match(report, /Edited broadcast `[a-z0-9]+` in 3 of 3 channels/);
      const text = "Meeting at 11:00 in room B @channel";
      for (const c of offices) {
        const post = await assertRelayed(s, c.id, id, text, files);
        assert.ok(post.edit_at > 0, `~${c.name} marked edited`);
      }
      const events = (await withLog(
        s,
        async (
          db,
        ) => (await db.query("SELECT action, detail FROM broadcast_events WHERE broadcast_id = ?", [
          id,
        ])),
      )) as { action: string; detail: string }[];
      assert.deepEqual(JSON.parse(events.find((e) => e.action === "edit")!.detail), {
        old: "Meeting at 10:00 in room B",
        new: text,
      });
      const logFile = await Deno.readTextFile(`${s.dir}/logs/bot.log`);
      assert.match(logFile, /Meeting at 10:00 in room B.*Meeting at 11:00 in room B/);
      await s.waitFor(async () => (await audit()).includes(`**Edit** \`${id}\``), {
        timeoutMs: 15_000,
        message: "no audit line for the edit",
      });
    });

    await t.step("a post removed by a moderator is reported; the others change", async () => {
      const alice_ = s.dm(alice);
      const { id } = await broadcast(alice_, "Lunch at noon", "all");
      const paris = (await botPostsIn(s, channels["office-paris"].id, id))[0];
      const deleted = await fetch(`${s.url}/api/v4/posts/${paris.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${moderatorToken}` },
      });
      assert.equal(deleted.status, 200);
      await deleted.body?.cancel();
      await alice_.ask(`!edit ${id}`);
      await alice_.ask("Lunch at 12:30");
      const report = await alice_.ask("yes");
      assert.match(report, /Edited broadcast `[a-z0-9]+` in 2 of 3 channels/);
      assert.match(
        report,
        /Not changed:\n- ~office-paris \(Office Paris\): the post is no longer there \(deleted, perhaps by a moderator\)/,
      );
      for (const c of [channels["office-berlin"], channels["office-rome"]]) {
        assert.equal((await botPostsIn(s, c.id, id))[0].message, "Lunch at 12:30");
      }
    });

    await t.step(
      "mistakes: unknown ids, others' broadcasts, empty or same text, cancel",
      async () => {
        const alice_ = s.dm(alice);
        const bob_ = s.dm(bob);
        const { id } = await broadcast(alice_, "Original words", "announcements");
        assert.match(await alice_.ask("!edit"), /Which broadcast\?/);
        assert.match(await alice_.ask("!edit zz!zz"), /no broadcast `zz!zz` of yours/);
        assert.match(await bob_.ask(`!edit ${id}`), /no broadcast .* of yours/);
        await alice_.ask(`!edit ${id}`);
        assert.match(await alice_.ask("Original words"), /already has.*Send the new text again/s);
        assert.match(await alice_.ask("cancel"), /Edit stopped; broadcast .* is unchanged/);
        assert.equal(
          (await botPostsIn(s, channels.announcements.id, id))[0].message,
          "Original words",
        );
        // An admin may edit anyone's; the sender is told.
        const { id: bobs } = await broadcast(bob_, "Bobs words", "announcements");
        await alice_.ask(`!edit ${bobs}`);
        await alice_.ask("Better words");
        assert.match(await alice_.ask("yes"), /in 1 of 1 channel/);
        assert.match(await bob_.replyMatching(/edited your broadcast/), /@alice edited/);
      },
    );

    await t.step("editing a scheduled broadcast changes what will be sent", async () => {
      const carol_ = s.dm(carol);
      await carol_.send("Old plan");
      await carol_.replyMatching(/Where should I send this/);
      await carol_.send("engineering");
      await carol_.replyMatching(/Ready to send/);
      const id = broadcastIdIn(await carol_.ask("at 2027-03-01 09:00"));
      assert.match(
        await carol_.ask(`!edit ${id}`),
        /scheduled broadcast `[a-z0-9]+` \(not sent yet/,
      );
      assert.match(await carol_.ask("New plan"), /before it goes out/);
      assert.match(await carol_.ask("yes"), /now has the new text/);
      const row = (await withLog(
        s,
        async (db) =>
          (await db.query("SELECT message FROM scheduled_broadcasts WHERE id = ?", [id]))[0],
      )) as { message: string };
      assert.equal(row.message, "New plan");
    });

    await t.step(
      "!status: per channel delivered at, permalink, reactions, replies; totals",
      async () => {
        const alice_ = s.dm(alice);
        const { id } = await broadcast(alice_, "How do you like it?", "all");
        const post = async (c: string) => (await botPostsIn(s, channels[c].id, id))[0];
        const berlin = await post("office-berlin");
        const paris = await post("office-paris");
        await s.server.addReaction(alice.user.id, berlin.id, "+1");
        await s.server.addReaction(bob.user.id, paris.id, "+1");
        await s.server.addReaction(bob.user.id, paris.id, "tada");
        await s.server.createPost(bob.user.id, {
          channel_id: channels["office-paris"].id,
          message: "Love it",
          root_id: paris.id,
        });
        const before = s.server.emulator?.requests.length ?? 0;
        const status = await alice_.ask(`!status ${id}`);
        assert.match(
          status,
          new RegExp(
            `~office-berlin \\(Office Berlin\\): delivered .* · \\[permalink\\]\\(${s.url}/staff/pl/${berlin.id}\\) · :\\+1: 1 · 0 replies`,
          ),
        );
        assert.match(status, /~office-paris \(Office Paris\): .* · :\+1: 1, :tada: 1 · 1 reply/);
        assert.match(status, /~office-rome \(Office Rome\): .* · no reactions · 0 replies/);
        assert.match(
          status,
          /Totals:\*\* 3 of 3 channels show it · 3 reactions \(:\+1: 2, :tada: 1\) · 1 reply/,
        );
        // The emulator's request log shows the three posts were read in one request.
        const emu = s.server.emulator;
        if (emu !== undefined) {
          const bulk = emu.requests.slice(before).filter((r) => r.path === "/api/v4/posts/ids");
          assert.equal(bulk.length, 1, "one bulk request for three posts");
        }
        assert.match(await alice_.ask("!history 1"), /3 reactions, 1 reply/);
        // Others may not look; unknown ids are said so.
        assert.match(await s.dm(carol).ask(`!status ${id}`), /no broadcast .* of yours/);
        assert.match(await alice_.ask("!status nope!"), /no broadcast/);
      },
    );
  });
  await s.stop();
});

Deno.test("!edit after EDIT_WINDOW_SECONDS is refused; nothing changes", async () => {
  const s = await startScenario({ env: { EDIT_WINDOW_SECONDS: "0" } });
  await showingBotOutput(s, async () => {
    const alice_ = s.dm(s.world.alice);
    const { id } = await broadcast(alice_, "Final words", "announcements");
    assert.match(await alice_.ask(`!edit ${id}`), /more than 0 seconds ago, so I can no longer/);
    assert.equal(
      (await botPostsIn(s, s.world.channels.announcements.id, id))[0].message,
      "Final words",
    );
  });
  await s.stop();
});

Deno.test("!status of 300 channels under the rate limit takes two bulk requests", {
  ignore: emulatorOnly("counts the bot's requests in the emulator's request log"),
}, async () => {
  const N = 300;
  const ids = Array.from({ length: N }, (_, i) => `"{{bulk-${i}}}"`);
  const s = await startScenario({
    bulkChannels: N,
    channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
  });
  await showingBotOutput(s, async () => {
    const alice_ = s.dm(s.world.alice);
    const { id, report } = await broadcast(alice_, "To everyone", "Bulk");
    assert.match(report, new RegExp(`Delivered to ${N} of ${N} channels`));
    s.emu.faults.rateLimit = { perSec: 10, maxBurst: 100 };
    const before = s.emu.requests.length;
    await alice_.send(`!status ${id}`);
    const status = await alice_.replyMatching(/Totals/, 30_000);
    assert.match(status, new RegExp(`Totals:\\*\\* ${N} of ${N} channels show it`));
    const made = s.emu.requests.slice(before).filter((r) => r.path === "/api/v4/posts/ids");
    assert.equal(made.length, 2, "300 posts in two requests of 200 and 100");
    assert.ok(made.every((r) => r.status === 200), "none refused by the rate limit");
  });
  await s.stop();
});
