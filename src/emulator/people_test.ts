/**
 * GET /users, channel members and POST /channels/direct: the cases the pins on both backends
 * (tests/people_pins_test.ts) do not reach.
 */

import assert from "node:assert/strict";
import { withWorld, type World } from "./testing.ts";

async function get(w: World, token: string, path: string) {
  const r = await fetch(`${w.emu.url}/api/v4${path}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const text = await r.text();
  return {
    status: r.status,
    text,
    body: (() => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })(),
  };
}

Deno.test("members: someone else's last_viewed_at reads -1 to a system admin too", async () => {
  await withWorld(async (w) => {
    const admin = w.emu.store.createUser({ username: "root", roles: "system_user system_admin" });
    w.emu.store.viewChannels(w.alice.user.id, [w.town.id]);
    const list = await get(w, admin.token, `/channels/${w.town.id}/members`);
    assert.ok(list.body.every((m: { last_viewed_at: number }) => m.last_viewed_at === -1));
    const own = await get(w, w.alice.token, `/users/me/teams/${w.team.id}/channels/members`);
    assert.ok(own.body.every((m: { last_viewed_at: number }) => m.last_viewed_at >= 0));
    const order = list.body.map((m: { user_id: string }) => m.user_id);
    assert.deepEqual(order, [w.bot.user.id, w.alice.user.id, w.bob.user.id], "joining order");
  });
});

Deno.test("GET /users: sorts and filters it refuses, pages, people not in a team", async () => {
  await withWorld(async (w) => {
    const t = w.team.id;
    for (
      const [query, param] of [
        ["sort=nonsense", "sort"],
        ["sort=status", "sort"],
        [`in_team=${t}&sort=display_name`, "sort"],
        [`not_in_channel=${w.town.id}`, "team_id"],
      ]
    ) {
      const r = await get(w, w.bot.token, `/users?${query}`);
      assert.deepEqual([r.status, r.body.message], [
        400,
        `Invalid or missing ${param} parameter in request URL.`,
      ], query);
    }
    const sorted = await get(w, w.bot.token, `/users?in_team=${t}&sort=create_at`);
    assert.equal(sorted.status, 200);
    const page = await get(w, w.bot.token, `/users?in_team=${t}&page=1&per_page=2`);
    assert.deepEqual(page.body.map((u: { username: string }) => u.username), ["postbot"]);
    const carol = w.emu.store.createUser({ username: "carol" });
    const outside = await get(w, w.bot.token, `/users?not_in_team=${t}`);
    assert.deepEqual(outside.body.map((u: { id: string }) => u.id), [carol.user.id]);
    const notIn = await get(w, w.bot.token, `/users?in_team=${t}&not_in_channel=${w.dm.id}`);
    assert.deepEqual(notIn.body.map((u: { username: string }) => u.username), ["bob"]);
    const both = await get(w, w.bot.token, `/users?in_team=${t}&active=1&inactive=true`);
    assert.equal(both.status, 200, "uncompressed: the list went out first");
    assert.match(both.text, /^\[\]\{"id":"api\.context\.invalid_url_param\.app_error"/);
  });
});

Deno.test("GET /users with both active and inactive: gzip holds a short list back, so 400", async () => {
  await withWorld(async (w) => {
    const r = await fetch(`${w.emu.url}/api/v4/users?active=true&inactive=true`, {
      headers: { Authorization: `Bearer ${w.bot.token}`, "Accept-Encoding": "gzip" },
    });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /^\[\]\{"id"/);
  }, { webserverMode: "gzip" });
});
