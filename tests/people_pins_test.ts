/**
 * Who is there and who has read what, as Mattermost 11.4 answers a bot, pinned on both
 * backends (the emulator, and the real server under `deno task e2e`): channel members paged
 * in no promised order, with other people's last_viewed_at hidden (-1) -- "seen" shows in msg_count --
 * people lists by username, and direct channels (deactivated people, RestrictDirectMessage).
 */

import assert from "node:assert/strict";
import { type Person, type Scenario, startScenario } from "@postbot/harness";
import { rest } from "./support/server_probe.ts";

/** Every page of a paged GET (per_page `size`), concatenated. */
async function allPages(s: Scenario, who: Person, path: string, size: number) {
  const out = [];
  for (let page = 0; page < 100; page++) {
    const r = await rest(s, who, "GET", `${path}&page=${page}&per_page=${size}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    out.push(...r.body);
    if (r.body.length < size) return out;
  }
  throw new Error("too many pages");
}

Deno.test("channel members page once each; others' last_viewed_at reads -1, msg_count shows who read", async () => {
  const s = await startScenario({ startBot: false });
  const { bot, alice } = s.world;
  try {
    // ~random: the world resets its members (bot, alice, bob) on both backends; the real
    // server's ~town-square holds every account ever added to the team.
    const town = s.world.channels["random"];
    const path = `/channels/${town.id}/members?x=1`;
    const whole = await allPages(s, bot, path, 200);
    const paged = await allPages(s, bot, path, 2);
    const ids = whole.map((m) => m.user_id);
    // No ORDER BY: the order is the database's, and on the real server a small page may come
    // from another plan than a big one, so pages of 2 can repeat or skip a member (seen
    // here). Readers page by 200 and count each user once; every paged member is a member.
    assert.equal(new Set(ids).size, ids.length, "no member twice in one page of 200");
    assert.ok(paged.length <= ids.length, "no more members paged than there are");
    for (const m of paged) assert.ok(ids.includes(m.user_id), `${m.user_id} is a member`);
    for (const person of [bot, alice, s.world.bob]) {
      assert.ok(ids.includes(person.user.id), person.user.username);
    }
    for (const m of whole) {
      const hidden = m.user_id !== bot.user.id;
      assert.equal(m.last_viewed_at === -1, hidden, `${m.user_id} last_viewed_at`);
      assert.equal(m.last_update_at === -1, hidden, `${m.user_id} last_update_at`);
    }
    const capped = await rest(s, bot, "GET", `/channels/${town.id}/members?per_page=500`);
    assert.ok(capped.body.length <= 200);

    const dm = await s.server.directChannel(bot.user.id, alice.user.id);
    const sent = await rest(s, bot, "POST", "/posts", { channel_id: dm.id, message: "Read me" });
    const total = (await rest(s, bot, "GET", `/channels/${dm.id}`)).body.total_msg_count;
    const before = (await rest(s, bot, "GET", `/channels/${dm.id}/members/${alice.user.id}`)).body;
    assert.equal(before.last_viewed_at, -1);
    assert.ok(before.msg_count < total, "alice has not read the bot's post");
    await s.server.viewChannel(alice.user.id, dm.id);
    const after = (await rest(s, bot, "GET", `/channels/${dm.id}/members/${alice.user.id}`)).body;
    assert.deepEqual([after.msg_count, after.last_viewed_at], [total, -1]);
    const own = (await rest(s, alice, "GET", `/channels/${dm.id}/members/me`)).body;
    assert.ok(own.last_viewed_at >= sent.body.create_at, "alice sees her own");
  } finally {
    await s.stop();
  }
});

Deno.test("people of a team or channel by username, bots in, deactivated ones only when asked", async () => {
  const s = await startScenario({ startBot: false });
  const { bot, carol, outsider, team } = s.world;
  try {
    const active = await allPages(s, bot, `/users?in_team=${team.id}&active=true`, 200);
    const names = active.map((u) => u.username);
    assert.deepEqual(names, [...names].sort(), "by username");
    for (const name of ["alice", "bob", "carol", "postbot"]) assert.ok(names.includes(name));
    assert.equal(names.includes("mallory"), false, "not in the team");
    assert.equal(active.find((u) => u.username === "postbot").is_bot, true);
    assert.ok(active.every((u) => u.delete_at === 0));
    assert.deepEqual(
      (await allPages(s, bot, `/users?in_team=${team.id}&active=true`, 2)).map((u) => u.username),
      names,
      "pages of 2 give the same people",
    );
    const me = active.find((u) => u.id === bot.user.id);
    assert.equal("notify_props" in me, false, "one's own entry is sanitized too");

    await s.server.setUserActive(carol.user.id, false);
    try {
      const now = await allPages(s, bot, `/users?in_team=${team.id}&active=true`, 200);
      assert.equal(now.some((u) => u.id === carol.user.id), false);
      const all = await allPages(s, bot, `/users?in_team=${team.id}`, 200);
      assert.ok(all.find((u) => u.id === carol.user.id).delete_at > 0);
      const inChannel = await allPages(
        s,
        bot,
        `/users?in_channel=${s.world.channels["town-square"].id}&active=true`,
        200,
      );
      assert.equal(inChannel.some((u) => u.id === carol.user.id), false);
    } finally {
      await s.server.setUserActive(carol.user.id, true);
    }
    const refused = await rest(s, outsider, "GET", `/users?in_team=${team.id}`);
    assert.deepEqual([refused.status, refused.body.id], [403, "api.context.permissions.app_error"]);
    const closed = await rest(
      s,
      outsider,
      "GET",
      `/users?in_channel=${s.world.channels["managers"].id}`,
    );
    assert.equal(closed.status, 403);
    // getUsers writes the list of inactive people, then the error after it: a body that is
    // not JSON, under a 400 or a 200 (gzip decides whether the list went out first).
    const both = await rest(s, bot, "GET", `/users?in_team=${team.id}&active=true&inactive=true`);
    assert.ok([200, 400].includes(both.status));
    assert.equal(typeof both.body, "string");
    assert.match(both.body, /^\[.*\]\{"id":"api\.context\.invalid_url_param\.app_error"/);
    const byIds = await rest(s, bot, "POST", "/users/ids", [carol.user.id, "x".repeat(26)]);
    assert.deepEqual(byIds.body.map((u: { username: string }) => u.username), ["carol"]);
  } finally {
    await s.stop();
  }
});

Deno.test("a DM is created once, with a deactivated person too; only its members may ask", async () => {
  const s = await startScenario({ startBot: false });
  const { bot, alice, bob, carol } = s.world;
  try {
    const first = await rest(s, bot, "POST", "/channels/direct", [bot.user.id, alice.user.id]);
    const again = await rest(s, bot, "POST", "/channels/direct", [alice.user.id, bot.user.id]);
    assert.deepEqual([first.status, again.status], [201, 201]);
    assert.equal(again.body.id, first.body.id);
    const self = await rest(s, bot, "POST", "/channels/direct", [bot.user.id]);
    assert.deepEqual([self.status, self.body.name], [201, `${bot.user.id}__${bot.user.id}`]);
    const others = await rest(s, bot, "POST", "/channels/direct", [alice.user.id, bob.user.id]);
    assert.equal(others.status, 403);
    const three = await rest(s, bot, "POST", "/channels/direct", [
      bot.user.id,
      alice.user.id,
      bob.user.id,
    ]);
    assert.deepEqual([three.status, three.body.id], [
      400,
      "api.context.invalid_body_param.app_error",
    ]);
    const notIds = await rest(s, bot, "POST", "/channels/direct", { a: 1 });
    assert.deepEqual([notIds.status, notIds.body.id], [400, "api.payload.parse.error"]);
    const ghost = await rest(s, bot, "POST", "/channels/direct", [bot.user.id, "x".repeat(26)]);
    assert.deepEqual(
      [ghost.status, ghost.body.id],
      [400, "api.channel.create_direct_channel.invalid_user.app_error"],
    );
    // A fresh bot has no DM with carol yet; carol deactivated is no obstacle.
    const helper = await s.server.createUser({ username: "pinbot", is_bot: true });
    await s.server.setUserActive(carol.user.id, false);
    try {
      const dm = await rest(s, helper, "POST", "/channels/direct", [helper.user.id, carol.user.id]);
      assert.equal(dm.status, 201, JSON.stringify(dm.body));
      const post = await rest(s, helper, "POST", "/posts", {
        channel_id: dm.body.id,
        message: "hi",
      });
      assert.equal(post.status, 201, "posting to a deactivated person works");
    } finally {
      await s.server.setUserActive(carol.user.id, true);
    }
  } finally {
    await s.stop();
  }
});

Deno.test("RestrictDirectMessage=team: no new DM without a shared team, no posts in one", async () => {
  const s = await startScenario({ startBot: false });
  const { bot, alice, outsider } = s.world;
  try {
    // Made while anyone may: the bot's team is not mallory's.
    const existing = await s.server.directChannel(bot.user.id, outsider.user.id);
    const shared = await s.server.directChannel(bot.user.id, alice.user.id);
    const root = await rest(s, alice, "POST", "/posts", { channel_id: shared.id, message: "x" });
    const loner = await s.server.createUser({ username: "pinbot", is_bot: true });
    await s.server.setRestrictDirectMessage("team");
    try {
      const fresh = await rest(s, loner, "POST", "/channels/direct", [
        loner.user.id,
        alice.user.id,
      ]);
      assert.deepEqual(
        [fresh.status, fresh.body.id],
        [403, "api.channel.create_channel.direct_channel.team_restricted_error"],
      );
      const old = await rest(s, bot, "POST", "/channels/direct", [bot.user.id, outsider.user.id]);
      assert.deepEqual([old.status, old.body.id], [201, existing.id], "an existing DM is returned");
      const post = await rest(s, bot, "POST", "/posts", { channel_id: existing.id, message: "hi" });
      assert.deepEqual(
        [post.status, post.body.id],
        [400, "api.post.create_post.can_not_post_in_restricted_dm.error"],
      );
      const ok = await rest(s, bot, "POST", "/posts", { channel_id: shared.id, message: "fine" });
      assert.equal(ok.status, 201, "a DM within a team is not restricted");
      const react = await rest(s, bot, "POST", "/reactions", {
        user_id: bot.user.id,
        post_id: root.body.id,
        emoji_name: "smile",
      });
      assert.equal(react.status, 200);
    } finally {
      await s.server.setRestrictDirectMessage("any");
    }
    const later = await rest(s, bot, "POST", "/posts", { channel_id: existing.id, message: "hi" });
    assert.equal(later.status, 201);
  } finally {
    await s.stop();
  }
});
