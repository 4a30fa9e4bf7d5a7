/**
 * Send later, end to end: `at …` / `in …` at the preview, read in the sender's Mattermost time
 * zone; bad, past and daylight-saving-ambiguous times refused with the wizard kept at the
 * preview; the broadcast stored durably with its files (it goes out even when the DM is
 * deleted), surviving restarts before and after its time, re-resolving its channels, never
 * sent twice; `!scheduled`, `!cancel`, and `!undo`/`!retry`/`!history` on scheduled ones.
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "@postbot/harness";
import {
  assertRelayed,
  botPostsIn,
  broadcastIdIn,
  deliveredCount,
  rowCounts,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";
import { onPostgres, storeCount, storeRun } from "./support/store.ts";

function scheduledRow(s: Scenario, id: string) {
  return withLog(
    s,
    async (db) =>
      (await db.query("SELECT status, due_at, message FROM scheduled_broadcasts WHERE id = ?", [
        id,
      ]))[0] as
        | { status: string; due_at: number; message: string }
        | undefined,
  );
}

async function filesDirExists(s: Scenario, id: string): Promise<boolean> {
  // With DATABASE_URL the files wait in the shared database, not on one instance's disk.
  if (onPostgres(s)) {
    return await storeCount(
      s,
      "SELECT COUNT(*) AS n FROM scheduled_files WHERE broadcast_id = ?",
      id,
    ) > 0;
  }
  try {
    await Deno.stat(`${s.dir}/scheduled_files/${id}`);
    return true;
  } catch {
    return false;
  }
}

/** Walks the wizard to the preview. */
async function toPreview(
  dm: ReturnType<Scenario["dm"]>,
  message: string,
  answer: string,
  files = testFiles(0),
) {
  await dm.send(message, files);
  await dm.replyMatching(/Where should I send this/);
  await dm.send(answer);
  return await dm.replyMatching(/Ready to send/);
}

Deno.test("send later", async (t) => {
  // Senders whose profile names no zone get the scheduler's.
  const s = await startScenario({ startBot: false, env: { SCHEDULER_TIMEZONE: "Asia/Tokyo" } });
  const { alice, bob, carol, channels } = s.world;
  await s.server.setUserTimezone(carol.user.id, { automatic: "" });
  await s.server.setUserTimezone(alice.user.id, {
    manual: "Europe/Berlin",
    automatic: "Asia/Tokyo",
  });
  await s.server.setUserTimezone(bob.user.id, { automatic: "America/New_York" });
  await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
  const offices = [channels["office-berlin"], channels["office-paris"], channels["office-rome"]];

  await showingBotOutput(s, async () => {
    await t.step("bad times are refused clearly; the wizard stays at the preview", async () => {
      const alice_ = s.dm(alice);
      const preview = await toPreview(alice_, "Bad times", "all");
      assert.match(preview, /answer `at <time>`/);
      const before = await rowCounts(s);
      assert.match(await alice_.ask("at soonish"), /can't read "soonish" as a time/);
      assert.match(await alice_.ask("at 2020-01-01 09:00"), /in the past/);
      assert.match(await alice_.ask("at 2027-03-28 02:30"), /does not exist in Europe\/Berlin/);
      assert.match(await alice_.ask("at 2027-10-31 02:30"), /happens twice in Europe\/Berlin/);
      assert.match(await alice_.ask("in 0 min"), /zero is now/);
      assert.match(await alice_.ask("in 3 fortnights"), /not a unit/);
      // Still at the preview: a yes/no answers it.
      assert.match(await alice_.ask("no"), /Cancelled\. Nothing was sent/);
      assert.deepEqual(await rowCounts(s), before);
      const rows = await withLog(s, async (db) =>
        Number(
          ((await db.query("SELECT COUNT(*) AS n FROM scheduled_broadcasts"))[0] as { n: number })
            .n,
        ));
      assert.equal(rows, 0, "nothing scheduled");
    });

    await t.step(
      "the time is read in the sender's zone and repeated with date and zone",
      async () => {
        const bob_ = s.dm(bob);
        await toPreview(bob_, "Town hall on Thursday", "all");
        const answer = await bob_.ask("at 2027-01-05 09:00");
        // 09:00 in New York is 14:00 UTC.
        assert.match(
          answer,
          /Scheduled broadcast `[a-z0-9]+` for \*\*Tuesday 5 January 2027, 09:00 America\/New_York — in \d+ days/,
        );
        const id = broadcastIdIn(answer);
        assert.equal((await scheduledRow(s, id))?.due_at, Date.UTC(2027, 0, 5, 14, 0));
        const list = await bob_.ask("!scheduled");
        assert.match(
          list,
          new RegExp(`\`${id}\` · Tuesday 5 January 2027, 09:00 America/New_York`),
        );
        assert.match(list, /Town hall on Thursday/);
        // Not his to see: carol's list is empty; alice (admin) sees everyone's.
        assert.match(await s.dm(carol).ask("!scheduled"), /Nothing is scheduled/);
        assert.match(await s.dm(alice).ask("!scheduled"), new RegExp(`${id}.*by @bob`, "s"));
        // Undo, retry and status of something not sent yet say so.
        assert.match(await bob_.ask(`!undo ${id}`), /has not gone out yet.*!cancel/s);
        assert.match(await bob_.ask(`!retry ${id}`), /has not gone out yet/);
        assert.match(await bob_.ask(`!status ${id}`), /has not gone out yet: it is scheduled/);
        assert.match(
          await bob_.ask("!history"),
          new RegExp(`Scheduled, not sent.*${id}.*waiting`, "s"),
        );
        // Cancel: others may not; the owner confirms; the files and the row are settled.
        assert.match(await s.dm(carol).ask(`!cancel ${id}`), /no scheduled broadcast/);
        assert.match(
          await bob_.ask(`!cancel ${id}`),
          /Cancel scheduled broadcast .* Answer \*\*yes\*\*/,
        );
        assert.match(await bob_.ask("no"), /Kept scheduled broadcast/);
        assert.equal((await scheduledRow(s, id))?.status, "scheduled");
        await bob_.ask(`!cancel ${id}`);
        assert.match(await bob_.ask("yes"), /Cancelled scheduled broadcast .* nothing was sent/);
        assert.equal((await scheduledRow(s, id))?.status, "cancelled");
        assert.match(await bob_.ask(`!cancel ${id}`), /not scheduled any more/);
        assert.match(await bob_.ask("!scheduled"), /Nothing is scheduled/);
      },
    );

    await t.step("it goes out with its files even after the DM was deleted", async () => {
      const alice_ = s.dm(alice);
      const files = testFiles(2, "plan");
      await alice_.send("Maintenance plan attached", files);
      await alice_.replyMatching(/Where should I send this/);
      const source = alice_.channel.id;
      const dmPost = (await s.postsIn(source)).filter((p) => p.user_id === alice.user.id).at(-1)!;
      await alice_.send("all");
      await alice_.replyMatching(/Ready to send/);
      const answer = await alice_.ask("in 3 s");
      assert.match(answer, /Scheduled broadcast .* Europe\/Berlin — in 3 seconds/);
      const id = broadcastIdIn(answer);
      assert.ok(await filesDirExists(s, id), "files kept in SCHEDULED_FILES_DIR");
      // The sender deletes the DM (and so its files) before the time comes.
      const response = await fetch(`${s.url}/api/v4/posts/${dmPost.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${alice.token}` },
      });
      assert.equal(response.status, 200);
      await response.body?.cancel();
      assert.match(await alice_.replyMatching(/is going out now/, 30_000), /3 channels/);
      const report = await alice_.replyMatching(new RegExp(`Delivered to .*broadcast \`${id}\``));
      assert.deepEqual(deliveredCount(report), [3, 3]);
      for (const c of offices) await assertRelayed(s, c.id, id, "Maintenance plan attached", files);
      assert.equal((await scheduledRow(s, id))?.status, "sent");
      // Removed right after the report is posted: wait for it rather than race it.
      await s.waitFor(async () => !(await filesDirExists(s, id)), {
        message: "files not removed once sent",
      });
      const audit = async () =>
        (await s.postsIn(channels["bot-log"].id)).map((p) => p.message).join("\n");
      await s.waitFor(async () => (await audit()).includes(`**Broadcast** \`${id}\``), {
        timeoutMs: 15_000,
        message: "no audit line for the scheduled broadcast",
      });
      assert.match(await audit(), new RegExp(`\\*\\*Scheduled\\*\\* \`${id}\``));
      // Sent: now undo and status work on it.
      assert.match(await alice_.ask(`!status ${id}`), /Status of broadcast/);
    });

    await t.step("a restart before the due time changes nothing; it goes out once", async () => {
      const carol_ = s.dm(carol);
      await toPreview(carol_, "After the restart", "engineering");
      const scheduled = await carol_.ask("in 6 s");
      assert.match(scheduled, /Asia\/Tokyo — in 6 seconds/, "no zone in her profile");
      const id = broadcastIdIn(scheduled);
      assert.equal(await s.bot.stop(), 0);
      await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
      const report = await carol_.replyMatching(
        new RegExp(`Delivered to .*broadcast \`${id}\``),
        30_000,
      );
      assert.deepEqual(deliveredCount(report), [2, 2]);
      for (const c of [channels.engineering, channels["town-square"]]) {
        assert.equal((await botPostsIn(s, c.id, id)).length, 1, `~${c.name} has it once`);
      }
    });

    await t.step(
      "a time missed while down goes out at start, and the sender hears how late",
      async () => {
        const bob_ = s.dm(bob);
        await toPreview(bob_, "Missed while down", "all");
        const id = broadcastIdIn(await bob_.ask("in 1 hour"));
        assert.equal(await s.bot.stop(), 0);
        // The bot was down over the due time: it was due 5 minutes ago.
        await storeRun(
          s,
          "UPDATE scheduled_broadcasts SET due_at = ? WHERE id = ?",
          Date.now() - 5 * 60_000,
          id,
        );
        await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
        const notice = await bob_.replyMatching(/is going out now/, 30_000);
        assert.match(notice, /\*\*5 minutes late\*\*, because postbot was not running/);
        await bob_.replyMatching(
          new RegExp(`Delivered to 3 of 3 channels\\*\\* \\(broadcast \`${id}\``),
        );
        for (const c of offices) assert.equal((await botPostsIn(s, c.id, id)).length, 1);
      },
    );

    await t.step("channels are looked up again at send time; gone ones are reported", async () => {
      const alice_ = s.dm(alice);
      await toPreview(alice_, "Re-resolved", "all, announcements");
      const id = broadcastIdIn(await alice_.ask("in 3 s"));
      await s.server.archiveChannel(channels["office-rome"].id);
      const notice = await alice_.replyMatching(/is going out now/, 30_000);
      assert.match(notice, /to 3 channels/);
      assert.match(notice, /~office-rome in group "All offices" is archived; it will be skipped/);
      await alice_.replyMatching(
        new RegExp(`Delivered to 3 of 3 channels\\*\\* \\(broadcast \`${id}\``),
      );
      assert.equal((await botPostsIn(s, channels["office-rome"].id, id)).length, 0);
      assert.equal((await botPostsIn(s, channels.announcements.id, id)).length, 1);
    });
  });
  await s.stop();
});

Deno.test("send later composes with the guard for big sends", async () => {
  const s = await startScenario({ env: { BROADCAST_CONFIRM_THRESHOLD: "3" } });
  await showingBotOutput(s, async () => {
    const alice_ = s.dm(s.world.alice);
    await toPreview(alice_, "Big and later", "all");
    const ask = await alice_.ask("at 2027-02-01 10:00");
    assert.match(
      ask,
      /To schedule it for \*\*Monday 1 February 2027, 10:00 .* answer \*\*yes 3\*\*/,
    );
    assert.match(await alice_.ask("yes"), /bare yes is not enough/);
    assert.match(await alice_.ask("yes 2"), /2 is not the number of channels/);
    const done = await alice_.ask("yes 3");
    assert.match(done, /Scheduled broadcast `[a-z0-9]+` for \*\*Monday 1 February 2027, 10:00/);
    const id = broadcastIdIn(done);
    assert.equal((await scheduledRow(s, id))?.status, "scheduled");
    assert.equal((await rowCounts(s)).broadcasts, 0, "nothing sent now");
  });
  await s.stop();
});
