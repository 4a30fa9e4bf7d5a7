/**
 * "Seen" through the bot process on either backend: `!status` counts who has seen a broadcast
 * in a channel (its members' msg_count against the count right after the post) and whether a
 * person has seen their DM; nothing before they look, the right people after; `!status <id>
 * unseen` and `unacked` name people only to the sender and administrators; a restart keeps
 * what was known; people recorded as having seen are not asked again.
 */

import assert from "node:assert/strict";
import {
  type Backend,
  emulatorOnly,
  type Scenario,
  type ScenarioWorld,
  startScenario,
} from "@postbot/harness";
import { broadcast, showingBotOutput, withLog } from "./support/broadcasts.ts";
import { withStore } from "./support/store.ts";

/** The deliveries' seen thresholds of a broadcast, by name (channel or username). */
function thresholds(s: Scenario, id: string): Promise<Map<string, number | null>> {
  return withLog(s, async (db) =>
    new Map(
      ((await db.query("SELECT name, seen_threshold FROM deliveries WHERE broadcast_id = ?", [
        id,
      ])) as { name: string; seen_threshold: number | null }[])
        .map((r) => [r.name, r.seen_threshold]),
    ));
}

/** The people recorded as having seen a broadcast. */
function seenRows(s: Scenario, id: string): Promise<string[]> {
  return withLog(
    s,
    async (db) =>
      ((await db.query("SELECT user_id FROM seen WHERE broadcast_id = ? ORDER BY user_id", [
        id,
      ])) as {
        user_id: string;
      }[]).map((r) => r.user_id),
  );
}

/**
 * ~night-shift, public, with the bot, alice, bob and carol: a channel whose people are known
 * on a real server too (its Town Square holds every person of the team).
 */
async function addNightShift(server: Backend, world: ScenarioWorld): Promise<void> {
  const members = [world.bot, world.alice, world.bob, world.carol].map((p) => p.user.id);
  world.channels["night-shift"] = await server.createChannel(
    { team_id: world.team.id, name: "night-shift", display_name: "Night Shift", type: "O" },
    members,
  );
}

/** A person's line of a `!status` text. */
function lineOf(text: string, username: string): string {
  const line = text.split("\n").find((l) => l.startsWith(`- @${username}:`));
  assert.ok(line, `no line for @${username} in:\n${text}`);
  return line;
}

Deno.test("seen: nobody before they look; a channel's members and a person after they view", async () => {
  const s = await startScenario({ prepare: addNightShift });
  const { alice, bob, carol } = s.world;
  const town = s.world.channels["night-shift"];
  try {
    await showingBotOutput(s, async () => {
      const bob_ = s.dm(bob);
      const { id } = await broadcast(bob_, "Safety rule 7 is new", `${town.id}, @carol`);
      const counts = await thresholds(s, id);
      assert.ok((counts.get("night-shift") ?? 0) > 0, "the channel's count was captured");
      assert.ok((counts.get("carol") ?? 0) > 0, "carol's DM count was captured");

      const before = await bob_.ask(`!status ${id}`);
      assert.match(before, /~night-shift \(Night Shift\): delivered .* · seen by 0 of 3 members/);
      assert.match(lineOf(before, "carol"), / · not seen yet$/);
      assert.match(before, /\*\*Seen:\*\* by 0 of 3 members \(1 channel\) · 0 of 1 person, as of/);

      await s.server.viewChannel(carol.user.id, town.id);
      const channelSeen = await bob_.ask(`!status ${id}`);
      assert.match(channelSeen, /~night-shift .* · seen by 1 of 3 members/);
      assert.match(lineOf(channelSeen, "carol"), / · not seen yet$/, "her DM is another channel");

      await s.server.viewChannel(carol.user.id, s.dmChannel(carol).id);
      const after = await bob_.ask(`!status ${id}`);
      assert.match(lineOf(after, "carol"), / · seen$/);
      assert.match(after, /\*\*Seen:\*\* by 1 of 3 members \(1 channel\) · 1 of 1 person, as of/);
      assert.deepEqual(await seenRows(s, id), [carol.user.id]);

      const unseen = await bob_.ask(`!status ${id} unseen`);
      assert.match(
        unseen,
        /- ~night-shift \(Night Shift\): 2 of 3 members not seen: @alice, @bob$/m,
      );
      assert.match(unseen, /- People: 0 of 1 not seen$/m);
      assert.doesNotMatch(unseen, /@carol/);
      // Names of who has not read are for the sender and administrators only.
      const carol_ = s.dm(carol);
      assert.match(await carol_.ask(`!status ${id} unseen`), /I have no broadcast `.*` of yours/);
      assert.match(await carol_.ask(`!status ${id}`), /I have no broadcast `.*` of yours/);
      const admin = await s.dm(alice).ask(`!status ${id} unseen`);
      assert.match(admin, /~night-shift \(Night Shift\): 2 of 3 members not seen: @alice, @bob/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("unacked names who has not acknowledged, read from the acknowledgements table", async () => {
  const s = await startScenario({ prepare: addNightShift });
  const { alice, bob, carol } = s.world;
  const town = s.world.channels["night-shift"];
  try {
    await showingBotOutput(s, async () => {
      const bob_ = s.dm(bob);
      const { id } = await broadcast(bob_, "Please confirm", `${town.id}, @carol, @alice`);
      assert.match(
        await bob_.ask(`!status ${id} unacked`),
        /did not ask for acknowledgement, and nobody has acknowledged it/,
      );
      // Stands in for the acknowledgement feature, which writes these rows when a person
      // clicks the button (or reacts): this test is about reading them.
      await withStore(s, async (db) => {
        await db.run("UPDATE broadcasts SET ack_requested = 1 WHERE id = ?", [id]);
        await db.run(
          `INSERT INTO acknowledgements (broadcast_id, user_id, at, via, post_id)
           VALUES (?, ?, ?, 'button', 'x')`,
          [id, carol.user.id, Date.UTC(2026, 0, 2, 3, 4)],
        );
      }, true);
      const status = await bob_.ask(`!status ${id}`);
      assert.match(status, /~night-shift .* · seen by 0 of 3 members · acknowledged by 1/);
      assert.match(lineOf(status, "carol"), / · acknowledged 2026-01-02 03:04 UTC$/);
      assert.match(lineOf(status, "alice"), / · not acknowledged$/);
      assert.match(
        status,
        /\*\*Acknowledged:\*\* 1 of 3 members · 1 of 2 people \(1 acknowledgement in all\)/,
      );
      const unacked = await bob_.ask(`!status ${id} unacked`);
      assert.match(
        unacked,
        /~night-shift \(Night Shift\): 2 of 3 members not acknowledged: @alice, @bob/,
      );
      assert.match(unacked, /- People: 1 of 2 not acknowledged: @alice$/m);
      assert.match(await s.dm(carol).ask(`!status ${id} unacked`), /I have no broadcast/);
      assert.match(await s.dm(alice).ask(`!status ${id} unacked`), /People: 1 of 2 not/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("a restart between sending and !status keeps the counts and who has seen", async () => {
  const s = await startScenario({ prepare: addNightShift });
  const { alice, bob, carol } = s.world;
  const town = s.world.channels["night-shift"];
  try {
    await showingBotOutput(s, async () => {
      const { id } = await broadcast(s.dm(bob), "Night shift: new rota", `${town.id}, @carol`);
      await s.bot.stop();
      await s.server.viewChannel(carol.user.id, s.dmChannel(carol).id);
      await s.server.viewChannel(carol.user.id, town.id);
      // alice's own post marks the channel read for her; carol has not seen this one, but
      // she has seen the broadcast: the count kept from right after it says so.
      await s.server.createPost(alice.user.id, { channel_id: town.id, message: "Noted" });
      await s.startBot();
      const status = await s.dm(bob).ask(`!status ${id}`);
      assert.match(status, /~night-shift .* · seen by 2 of 3 members/);
      assert.match(lineOf(status, "carol"), / · seen$/);
      await s.bot.stop();
      await s.startBot();
      assert.match(lineOf(await s.dm(bob).ask(`!status ${id}`), "carol"), / · seen$/);
      assert.deepEqual(await seenRows(s, id), [carol.user.id]);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("people recorded as having seen are not asked again; the others are", {
  ignore: emulatorOnly("counts the bot's membership requests in the emulator's request log"),
}, async () => {
  const s = await startScenario({ prepare: addNightShift });
  const { alice, bob, carol } = s.world;
  try {
    const bob_ = s.dm(bob);
    const { id } = await broadcast(bob_, "Read me", "@carol, @alice");
    await s.server.viewChannel(carol.user.id, s.dmChannel(carol).id);
    const asked = (person: typeof carol) => {
      const path = `/api/v4/channels/${s.dmChannel(person).id}/members/${person.user.id}`;
      return s.emu.requests.filter((r) => r.path === path && r.userId === s.world.bot.user.id)
        .length;
    };
    await bob_.ask(`!status ${id}`);
    assert.deepEqual([asked(carol), asked(alice)], [1, 1]);
    await bob_.ask(`!status ${id}`);
    assert.deepEqual([asked(carol), asked(alice)], [1, 2], "carol is known to have seen it");
  } finally {
    await s.stop();
  }
});
