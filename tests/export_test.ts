/**
 * `!export` through the bot process on either backend: the CSV file the bot uploads to the
 * asker's DM, read back from the server and parsed strictly (RFC 4180, UTF-8 with a byte
 * order mark): one row per recipient, one per member of the channels; hostile names (quotes,
 * commas, newlines, `=HYPERLINK(...)`) survive as text and run as nothing; a private channel
 * the asker is not in is left out, an administrator gets it.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import {
  type Backend,
  type DmUser,
  emulatorOnly,
  type Scenario,
  type ScenarioWorld,
  startScenario,
} from "@postbot/harness";
import { botPostsIn, broadcast, showingBotOutput } from "./support/broadcasts.ts";
import { csvObjects, parseCsv } from "./support/csv.ts";

/** A display name a spreadsheet would run, with a quote, a comma and a line break. */
const HOSTILE = '=HYPERLINK("http://evil.example","go"), "q"\nline 2';

const RECIPIENT_HEADER = [
  "kind",
  "channel",
  "username",
  "display_name",
  "status",
  "delivered_at",
  "permalink",
  "seen",
  "seen_at",
  "acknowledged",
  "acknowledged_at",
  "reminded_at",
  "error",
];

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Two public channels with the bot, alice, bob and carol (people known on a real server too,
 * whose Town Square holds every person of the team), one with a hostile display name; and bob
 * in ~managers.
 */
async function addHostileChannel(server: Backend, world: ScenarioWorld): Promise<void> {
  const members = [world.bot, world.alice, world.bob, world.carol].map((p) => p.user.id);
  world.channels["hostile-names"] = await server.createChannel(
    { team_id: world.team.id, name: "hostile-names", display_name: HOSTILE, type: "O" },
    members,
  );
  world.channels["night-shift"] = await server.createChannel(
    { team_id: world.team.id, name: "night-shift", display_name: "Night Shift", type: "O" },
    members,
  );
  await server.addChannelMember(world.channels.managers.id, world.bob.user.id);
}

/** Sends an `!export` command; the answer, the post carrying the file, and the file's text. */
async function exportOf(
  s: Scenario,
  dm: DmUser,
  command: string,
): Promise<{ answer: string; post: Post; text: string }> {
  await dm.send(command);
  const answer = await dm.replyMatching(/Export of broadcast|could not make the export/);
  const post = (await dm.botPosts()).findLast((p) => p.message === answer);
  assert.ok(post, "the answer's post");
  assert.equal(post.channel_id, dm.channel.id, "posted in the asker's DM");
  assert.equal(post.file_ids?.length, 1, `one file with: ${answer}`);
  const info = await s.server.getFile(post.file_ids![0]);
  assert.equal(info?.user_id, s.world.bot.user.id, "uploaded by the bot");
  assert.equal(info?.channel_id, dm.channel.id, "uploaded to the asker's DM");
  const bytes = await s.server.fileBytes(post.file_ids![0]);
  assert.ok(bytes !== undefined);
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  return { answer, post, text };
}

Deno.test("!export: a row per recipient and per member; hostile names stay text", async () => {
  const s = await startScenario({ prepare: addHostileChannel });
  const { bob, carol } = s.world;
  const town = s.world.channels["night-shift"];
  const hostile = s.world.channels["hostile-names"];
  try {
    await showingBotOutput(s, async () => {
      const bob_ = s.dm(bob);
      const answer = `${town.id}, ${hostile.id}, @carol, @alice`;
      const { id } = await broadcast(bob_, "Export me", answer);
      await s.server.viewChannel(carol.user.id, town.id);
      await s.server.viewChannel(carol.user.id, s.dmChannel(carol).id);

      const all = await exportOf(s, bob_, `!export ${id}`);
      assert.match(all.answer, new RegExp(`Export of broadcast \`${id}\`: 4 recipient rows`));
      assert.equal(parseCsv(all.text)[0].join(","), RECIPIENT_HEADER.join(","));
      assert.ok(all.text.endsWith("\r\n"));
      const rows = csvObjects(all.text);
      const row = (key: string) => rows.find((r) => r.channel === key || r.username === key)!;
      const townPost = (await botPostsIn(s, town.id, id))[0];
      assert.deepEqual(
        { ...row("night-shift"), delivered_at: "" },
        {
          kind: "channel",
          channel: "night-shift",
          username: "",
          display_name: "Night Shift",
          status: "delivered",
          delivered_at: "",
          permalink: `${s.url}/staff/pl/${townPost.id}`,
          seen: "1 of 3",
          seen_at: "",
          acknowledged: "0 of 3",
          acknowledged_at: "",
          reminded_at: "",
          error: "",
        },
      );
      assert.match(row("night-shift").delivered_at, ISO);
      assert.equal(row("hostile-names").display_name, `'${HOSTILE}`, "text, not a formula");
      assert.equal(row("hostile-names").seen, "0 of 3");
      assert.equal(row("carol").kind, "person");
      assert.equal(row("carol").seen, "yes");
      assert.match(row("carol").seen_at, ISO);
      assert.deepEqual([row("alice").seen, row("alice").seen_at], ["no", ""]);
      assert.equal(row("alice").acknowledged, "no");
      for (const r of rows) {
        for (const cell of Object.values(r)) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, cell);
      }

      const members = await exportOf(s, bob_, `!export ${id} members`);
      assert.match(members.answer, /6 member rows/);
      const memberRows = csvObjects(members.text).map((r) =>
        `${r.channel} ${r.username} ${r.seen} ${r.acknowledged_at}`
      );
      assert.deepEqual(memberRows, [
        "night-shift alice no ",
        "night-shift bob no ",
        "night-shift carol yes ",
        "hostile-names alice no ",
        "hostile-names bob no ",
        "hostile-names carol no ",
      ]);
      assert.match(
        await bob_.ask("!export zzzzzzzz"),
        /I have no broadcast `zzzzzzzz` of yours/,
      );
      assert.match(await s.dm(carol).ask(`!export ${id}`), /I have no broadcast .* of yours/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("!export and unseen leave out a private channel the asker left; an admin gets it", async () => {
  const s = await startScenario({ prepare: addHostileChannel });
  const { alice, bob } = s.world;
  const managers = s.world.channels.managers;
  const night = s.world.channels["night-shift"];
  try {
    await showingBotOutput(s, async () => {
      const bob_ = s.dm(bob);
      const { id } = await broadcast(bob_, "Board notes", `${night.id}, ${managers.id}`);
      await s.server.removeChannelMember(managers.id, bob.user.id);

      const all = await exportOf(s, bob_, `!export ${id}`);
      assert.match(
        all.answer,
        /1 recipient row .*Left out: 1 private channel you are not a member/,
      );
      assert.deepEqual(csvObjects(all.text).map((r) => r.channel), ["night-shift"]);
      assert.doesNotMatch(all.text, new RegExp(`managers|${managers.id}`, "i"));
      const members = await exportOf(s, bob_, `!export ${id} members`);
      assert.deepEqual([...new Set(csvObjects(members.text).map((r) => r.channel))], [
        "night-shift",
      ]);
      const unseen = await bob_.ask(`!status ${id} unseen`);
      assert.doesNotMatch(unseen, /managers/i);
      assert.match(unseen, /Left out: 1 private channel you are not a member of/);

      const admin = await exportOf(s, s.dm(alice), `!export ${id}`);
      assert.deepEqual(csvObjects(admin.text).map((r) => r.channel), ["night-shift", "managers"]);
      assert.equal(csvObjects(admin.text)[1].seen, "0 of 1", "alice is its one person");
    });
  } finally {
    await s.stop();
  }
});

Deno.test("!export: people's hostile full names are quoted and defused", {
  ignore: emulatorOnly("names people through the emulator's store (no profile edits here)"),
}, async () => {
  const nasty = { first_name: "=cmd|' /C calc'!A0", last_name: 'Tables, "Bobby"\r\nJr' };
  const s = await startScenario({
    seed: (emu, world) => {
      const { user } = emu.store.createUser({ username: "dave", ...nasty });
      emu.store.addTeamMember(world.team.id, user.id);
      emu.store.addChannelMember(world.channels["town-square"].id, user.id);
    },
  });
  try {
    const bob_ = s.dm(s.world.bob);
    const { id } = await broadcast(bob_, "Hello all", "town-square, @dave");
    const full = `${nasty.first_name} ${nasty.last_name}`;
    const all = csvObjects((await exportOf(s, bob_, `!export ${id}`)).text);
    assert.equal(all.find((r) => r.username === "dave")?.display_name, `'${full}`);
    const members = csvObjects((await exportOf(s, bob_, `!export ${id} members`)).text);
    assert.equal(members.find((r) => r.username === "dave")?.display_name, `'${full}`);
    assert.equal(members.length, 4, "alice, bob, carol and dave");
  } finally {
    await s.stop();
  }
});
