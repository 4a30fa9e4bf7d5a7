/**
 * What "seen" rests on, pinned on both backends (the emulator, and the real server under
 * `deno task e2e`): the bot's list of its channels (`GET /users/me/teams/{team}/channels`)
 * holds its DMs too, each with a `total_msg_count` that counts the bot's own post at once; a
 * member's `msg_count` reaches that count when they view the channel or post there
 * themselves, never through the bot's posts.
 */

import assert from "node:assert/strict";
import { startScenario } from "@postbot/harness";
import { rest } from "./support/server_probe.ts";

Deno.test("the bot's channel list holds its DMs with their message counts, up to date", async () => {
  const s = await startScenario({ startBot: false });
  const { bot, alice, bob, team } = s.world;
  try {
    const dm = await s.server.directChannel(bot.user.id, alice.user.id);
    const random = s.world.channels.random;
    const listed = async () =>
      (await rest(s, bot, "GET", `/users/me/teams/${team.id}/channels`)).body as {
        id: string;
        type: string;
        total_msg_count: number;
      }[];
    const before = (await listed()).find((c) => c.id === dm.id);
    assert.equal(before?.type, "D", "the DM is in the team's list");
    const posted = await rest(s, bot, "POST", "/posts", { channel_id: dm.id, message: "Rule 7" });
    assert.equal(posted.status, 201);
    const inRandom = await rest(s, bot, "POST", "/posts", {
      channel_id: random.id,
      message: "Rule 7",
    });
    assert.equal(inRandom.status, 201);
    const after = await listed();
    const dmAfter = after.find((c) => c.id === dm.id)!;
    assert.equal(dmAfter.total_msg_count, before.total_msg_count + 1, "the bot's post counts");
    const one = (await rest(s, bot, "GET", `/channels/${dm.id}`)).body;
    assert.equal(one.total_msg_count, dmAfter.total_msg_count, "the same as the channel's own");
    const randomCount = after.find((c) => c.id === random.id)!.total_msg_count;
    assert.equal(
      (await rest(s, bot, "GET", `/channels/${random.id}`)).body.total_msg_count,
      randomCount,
    );

    const member = async (channelId: string, userId: string) =>
      (await rest(s, bot, "GET", `/channels/${channelId}/members/${userId}`)).body.msg_count;
    assert.ok(await member(dm.id, alice.user.id) < dmAfter.total_msg_count, "not seen yet");
    assert.ok(await member(random.id, bob.user.id) < randomCount);
    // bob's own post marks the channel read for him (and counts one more).
    await s.server.createPost(bob.user.id, { channel_id: random.id, message: "Got it" });
    assert.equal(await member(random.id, bob.user.id), randomCount + 1);
    // The bot's own posts do not move its msg_count: only its views do.
    assert.ok(await member(random.id, bot.user.id) < randomCount);
  } finally {
    await s.stop();
  }
});
