/**
 * Reminders, through the bot process on either backend: `!remind <id>` after a yes/no that
 * says how many, reaching only the people who have not acknowledged (a person in their DM; a
 * channel with one post that notifies nobody, and its missing members in their DMs); the
 * automatic reminder asked at the preview, kept across a restart, cancelled by `!undo`.
 */

import assert from "node:assert/strict";
import { type Person, type Scenario, startScenario } from "@postbot/harness";
import { botPostsIn, showingBotOutput, withLog } from "./support/broadcasts.ts";
import {
  acknowledgements,
  broadcastWith,
  copyFor,
  copyIn,
  waitForAcks,
  WITH_RANDOM,
} from "./support/follow_up.ts";

/** The bot's reminder posts in a channel (posts that are not a broadcast). */
async function remindersIn(s: Scenario, channelId: string): Promise<string[]> {
  return (await botPostsIn(s, channelId)).filter((p) =>
    p.props?.postbot_broadcast_id === undefined && /^\*\*Reminder:\*\*/.test(p.message)
  ).map((p) => p.message);
}

/** The reminders in `person`'s DM with the bot. */
function remindersOf(s: Scenario, person: Person): Promise<string[]> {
  return remindersIn(s, s.dmChannel(person).id);
}

/** Who was reminded of broadcast `id` (user ids, sorted). */
function reminded(s: Scenario, id: string): Promise<string[]> {
  return withLog(
    s,
    async (db) =>
      ((await db.query(
        "SELECT user_id FROM reminders WHERE broadcast_id = ? AND post_id IS NOT NULL",
        [id],
      )) as { user_id: string }[]).map((r) => r.user_id).sort(),
  );
}

Deno.test("!remind reaches only those who have not acknowledged, after a yes that says how many", async () => {
  const s = await startScenario({ channelsToml: WITH_RANDOM });
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const dm = s.dm(alice);
      const sent = await broadcastWith(dm, "Policy v2 is live", "@bob, @carol", "yes ack");
      await s.server.addReaction(
        bob.user.id,
        (await copyFor(s, bob, sent.id)).id,
        "white_check_mark",
      );
      await waitForAcks(s, sent.id, [`${bob.user.id}:reaction`]);
      const question = await dm.ask(`!remind ${sent.id}`);
      assert.match(question, /Remind those who have not acknowledged broadcast/);
      assert.match(question, /1 person by direct message/);
      assert.equal(await dm.ask("no"), `No reminder of broadcast \`${sent.id}\` was sent.`);
      assert.deepEqual(await remindersOf(s, carol), []);
      await dm.ask(`!remind ${sent.id}`);
      const done = await dm.ask("yes");
      assert.match(done, /Reminded 1 person by direct message\*\* who have not acknowledged/);
      const [text] = await s.waitFor(async () => {
        const r = await remindersOf(s, carol);
        return r.length > 0 ? r : undefined;
      });
      const carols = await copyFor(s, carol, sent.id);
      assert.match(text, new RegExp(`\\]\\(${s.url}/staff/pl/${carols.id}\\)`), "a permalink");
      assert.match(text, /react to it with :white_check_mark:/);
      assert.deepEqual(await remindersOf(s, bob), [], "bob acknowledged: no reminder");
      assert.deepEqual(await reminded(s, sent.id), [carol.user.id]);
      const status = await dm.ask(`!status ${sent.id}`);
      assert.match(status, /Reminders sent:\*\* 1/);

      await s.server.addReaction(carol.user.id, carols.id, "white_check_mark");
      await waitForAcks(s, sent.id, [bob, carol].map((p) => `${p.user.id}:reaction`));
      assert.match(await dm.ask(`!remind ${sent.id}`), /Nobody to remind/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("a channel gets one reminder post that notifies nobody; its missing members a DM", async () => {
  // ~random with carol added: bot, alice, bob, carol. (The real server's ~town-square holds
  // every account ever added to the team.)
  const s = await startScenario({
    prepare: (server, world) =>
      server.addChannelMember(world.channels["random"].id, world.carol.user.id),
  });
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const square = s.world.channels["random"].id;
      const dm = s.dm(bob);
      // By id: bob is a member, so he may name it though it is not whitelisted.
      const sent = await broadcastWith(dm, "Canteen closed Friday", square, "yes ack");
      const post = await copyIn(s, square, sent.id);
      await s.server.addReaction(carol.user.id, post.id, "white_check_mark");
      await waitForAcks(s, sent.id, [`${carol.user.id}:reaction`]);
      const question = await dm.ask(`!remind ${sent.id}`);
      assert.match(question, /1 person by direct message and a reminder post in 1 channel/);
      assert.match(await dm.ask("yes"), /Reminded 1 person by direct message and 1 channel/);
      const [inChannel] = await s.waitFor(async () => {
        const r = await remindersIn(s, square);
        return r.length > 0 ? r : undefined;
      });
      assert.match(inChannel, /1 of 2 members have so far/, "the sender is not counted");
      assert.doesNotMatch(inChannel, /@(?:channel|all|here)\b/);
      const [toAlice] = await s.waitFor(async () => {
        const r = await remindersOf(s, alice);
        return r.length > 0 ? r : undefined;
      });
      assert.match(toAlice, /the announcement in ~random/);
      assert.deepEqual(await remindersOf(s, carol), [], "carol acknowledged");
      assert.deepEqual(await remindersOf(s, bob), [], "the sender is never reminded");
      assert.deepEqual(await reminded(s, sent.id), [alice.user.id]);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("the automatic reminder goes out after its time, across a restart, to those missing", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const dm = s.dm(alice);
      const sent = await broadcastWith(
        dm,
        "Inventory count tonight",
        "@bob, @carol",
        "yes ack remind after 12s",
      );
      assert.match(sent.sending, /a reminder after 12 seconds/);
      assert.match(sent.report, /An automatic reminder goes out after 12 seconds/);
      const bobs = await copyFor(s, bob, sent.id);
      await s.server.addReaction(bob.user.id, bobs.id, "white_check_mark");
      await waitForAcks(s, sent.id, [`${bob.user.id}:reaction`]);
      // Kept in the database: a restart before its time does not lose it.
      await s.bot.stop();
      await s.startBot();
      await s.waitFor(async () => (await remindersOf(s, carol)).length === 1, {
        timeoutMs: 45_000,
        message: "no automatic reminder for carol",
      });
      assert.match(await dm.replyMatching(/Automatic reminder/, 30_000), /Reminded 1 person/);
      assert.deepEqual(await remindersOf(s, bob), []);
      assert.deepEqual(await reminded(s, sent.id), [carol.user.id]);
      const due = (await withLog(
        s,
        async (db) =>
          (await db.query("SELECT status FROM reminders_due WHERE broadcast_id = ?", [sent.id]))[0],
      )) as { status: string };
      assert.equal(due.status, "sent");
    });
  } finally {
    await s.stop();
  }
});

Deno.test("!undo cancels the automatic reminder with the broadcast", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, carol } = s.world;
      const dm = s.dm(alice);
      const sent = await broadcastWith(dm, "Wrong date, sorry", "@carol", "yes remind after 1h");
      assert.match(sent.report, /reminder goes out after 60 minutes to those who have not seen/);
      const status = await dm.ask(`!status ${sent.id}`);
      assert.match(status, /Automatic reminder:\*\* in (?:59 minutes|1 hour)/);
      await dm.ask(`!undo ${sent.id}`);
      assert.match(await dm.ask("yes"), /Its automatic reminder is cancelled/);
      const due = (await withLog(
        s,
        async (db) =>
          (await db.query("SELECT status FROM reminders_due WHERE broadcast_id = ?", [sent.id]))[0],
      )) as { status: string };
      assert.equal(due.status, "cancelled");
      assert.deepEqual(await acknowledgements(s, sent.id), []);
      assert.match(await dm.ask(`!remind ${sent.id}`), /no post left.*nobody to remind/);
      assert.deepEqual(await remindersOf(s, carol), []);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("the sender's authority is asked again: a sender no longer allowed sends no reminder", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { bob, carol } = s.world;
      const dm = s.dm(bob);
      const sent = await broadcastWith(dm, "Locker cleanup", "@carol", "yes ack remind after 10s");
      await s.bot.stop();
      await s.startBot({ ALLOWED_USERS: "alice,carol" });
      const told = await dm.replyMatching(/Automatic reminder/, 45_000);
      assert.match(told, /No reminder of broadcast `[a-z0-9]+` was sent\*\*: @bob is no longer/);
      assert.deepEqual(await remindersOf(s, carol), []);
      assert.deepEqual(await reminded(s, sent.id), []);
    });
  } finally {
    await s.stop();
  }
});
