import assert from "node:assert/strict";
import type { World } from "@postbot/mattermost-emulator/testing";
import { isChannelMember, MattermostClient } from "./client.ts";
import type { RestTransport } from "./rest.ts";
import { failure, withTransport } from "./test_support.ts";

/** Runs `fn` with the bot's client on a seeded emulator; records every status and route. */
function withClient(
  fn: (
    client: MattermostClient,
    w: World,
    statuses: string[],
    transport: RestTransport,
  ) => Promise<void>,
): Promise<void> {
  return withTransport((transport, w, statuses) =>
    fn(new MattermostClient(transport), w, statuses, transport)
  );
}

Deno.test("MattermostClient: typed calls go through the transport and fail as MattermostError", async () => {
  await withClient(async (client, w, statuses) => {
    const me = await client.getMe();
    assert.equal(me.username, "postbot");
    const e = await failure(client.getUser("abcdefghijklmnopqrstuvwxyz"));
    assert.equal(e.status, 404);
    w.emu.faults.failRequests({ method: "GET", path: "/users/me", status: 503 });
    assert.equal((await client.getMe()).id, w.bot.user.id);
    assert.ok(statuses.some((s) => s.startsWith("503 GET /api/v4/users/me")));
  });
});

Deno.test("MattermostClient: users, team and membership as the server has them", async () => {
  await withClient(async (client, w) => {
    assert.equal((await client.getUser(w.alice.user.id)).username, "alice");
    const team = await client.getTeamByName("acme");
    assert.equal(team.id, w.team.id);
    assert.equal((await failure(client.getTeamByName("nope"))).status, 404);
    const member = await client.getTeamMember(w.team.id, w.alice.user.id);
    assert.equal(member.user_id, w.alice.user.id);
    assert.equal(member.team_id, w.team.id);
    const outsider = w.emu.store.createUser({ username: "mallory" });
    const missing = await failure(client.getTeamMember(w.team.id, outsider.user.id));
    assert.ok(missing.status === 404 || missing.status === 403, `status ${missing.status}`);
  });
});

Deno.test("MattermostClient: posts as the bot, never retried blindly", async () => {
  await withClient(async (client, w) => {
    const post = await client.createPost({ channel_id: w.dm.id, message: "hello" });
    assert.equal(post.user_id, w.bot.user.id);
    assert.equal(w.emu.store.postsIn(w.dm.id).at(-1)?.message, "hello");
    // A post is never retried blindly: its answer may have been lost after it took effect.
    w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 503 });
    assert.equal(
      (await failure(client.createPost({ channel_id: w.dm.id, message: "x" }))).status,
      503,
    );
  });
});

Deno.test("isChannelMember: members yes; non-members and hidden channels no; other failures thrown", async () => {
  await withClient(async (_client, w, _statuses, transport) => {
    assert.equal(await isChannelMember(transport, w.town.id, w.alice.user.id), true);
    assert.equal(await isChannelMember(transport, w.town.id, w.bob.user.id), true);
    // The bot is not in news (404 for a public channel it could join)...
    assert.equal(await isChannelMember(transport, w.news.id, w.bob.user.id), false);
    // ...and cannot see the private channel at all (403).
    assert.equal(await isChannelMember(transport, w.secret.id, w.alice.user.id), false);
    w.emu.faults.failRequests({
      method: "GET",
      path: `/channels/${w.town.id}/members/${w.alice.user.id}`,
      status: 500,
      times: 10,
    });
    const e = await failure(isChannelMember(transport, w.town.id, w.alice.user.id));
    assert.equal(e.status, 500);
  });
});
