/**
 * Behaviour seen on a real Mattermost 11.4 server (built and run by `deno task mattermost`,
 * checked in its source) that the emulator reproduces. One test per difference found.
 */

import assert from "node:assert/strict";
import { AppError, type Emulator, startEmulator } from "./mod.ts";

/** A team "acme" whose town-square has alice in it. */
function aliceInTownSquare(emu: Emulator) {
  const team = emu.store.createTeam({ name: "acme" });
  const alice = emu.store.createUser({ username: "alice" });
  const town = emu.store.createChannel({ team_id: team.id, name: "town-square", type: "O" });
  emu.store.addChannelMember(town.id, alice.user.id);
  return { alice, town };
}

/** POST /api/v4/posts as the token's user, over HTTP. */
function postAs(emu: Emulator, token: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${emu.url}/api/v4/posts`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

Deno.test("joining a channel writes a system_join_channel post under the joining user's id", async () => {
  await using emu = await startEmulator();
  const s = emu.store;
  const team = s.createTeam({ name: "acme" });
  const alice = s.createUser({ username: "alice" }).user;
  const bot = s.createUser({ username: "postbot", is_bot: true }).user;
  const news = s.createChannel({ team_id: team.id, name: "news", type: "O" });
  s.addChannelMember(news.id, alice.id);
  s.addChannelMember(news.id, bot.id);
  s.addChannelMember(news.id, bot.id); // already a member: no second post
  const posts = s.postsIn(news.id);
  assert.deepEqual(
    posts.map((p) => [p.user_id, p.type, p.message, p.props]),
    [
      [alice.id, "system_join_channel", "alice joined the channel.", { username: "alice" }],
      [bot.id, "system_join_channel", "postbot joined the channel.", {
        username: "postbot",
        from_bot: "true",
      }],
    ],
  );
});

Deno.test("joining a team joins town-square (system_join_team) and off-topic (system_join_channel)", async () => {
  await using emu = await startEmulator();
  const s = emu.store;
  const team = s.createTeam({ name: "acme" });
  const town = s.createChannel({ team_id: team.id, name: "town-square", type: "O" });
  const offTopic = s.createChannel({ team_id: team.id, name: "off-topic", type: "O" });
  const bot = s.createUser({ username: "postbot", is_bot: true }).user;
  s.addTeamMember(team.id, bot.id);
  const [joinTeam] = s.postsIn(town.id);
  assert.equal(joinTeam.type, "system_join_team");
  assert.equal(joinTeam.user_id, bot.id);
  assert.equal(joinTeam.message, "postbot joined the team.");
  assert.equal(joinTeam.props.from_bot, "true");
  assert.deepEqual(s.postsIn(offTopic.id).map((p) => p.type), ["system_join_channel"]);
});

Deno.test("a team holds at most MaxUsersPerTeam active users (default 50, bots count)", async () => {
  await using emu = await startEmulator();
  const s = emu.store;
  const team = s.createTeam({ name: "acme" });
  s.addTeamMember(team.id, s.createUser({ username: "postbot", is_bot: true }).user.id);
  for (let i = 1; i < 50; i++) {
    s.addTeamMember(team.id, s.createUser({ username: `u${i}` }).user.id);
  }
  const last = s.createUser({ username: "one-too-many" }).user;
  assert.throws(
    () => s.addTeamMember(team.id, last.id),
    (e) =>
      e instanceof AppError && e.statusCode === 400 &&
      e.id === "app.team.join_user_to_team.save_member.max_accounts.app_error",
  );
  await using small = await startEmulator({ maxUsersPerTeam: 2 });
  const tiny = small.store;
  const acme = tiny.createTeam({ name: "acme" });
  tiny.addTeamMember(acme.id, tiny.createUser({ username: "a" }).user.id);
  tiny.addTeamMember(acme.id, tiny.createUser({ username: "b" }).user.id);
  const c = tiny.createUser({ username: "c" }).user;
  assert.throws(() => tiny.addTeamMember(acme.id, c.id), AppError);
});

Deno.test("a post's file_ids come back sorted by id, not in the order given", async () => {
  await using emu = await startEmulator();
  const s = emu.store;
  const { alice, town } = aliceInTownSquare(emu);
  const names = ["c.txt", "a.txt", "b.txt", "d.txt", "e.txt"];
  const ids = names.map((n) => s.uploadFile(alice.user.id, town.id, n, new Uint8Array(1)).id);
  const given = [...ids].reverse();
  const r = await postAs(emu, alice.token, {
    channel_id: town.id,
    message: "files",
    file_ids: given,
  });
  assert.equal(r.status, 201);
  const post = await r.json();
  assert.deepEqual(post.file_ids, [...ids].sort());
  assert.deepEqual(
    post.metadata.files.map((f: { id: string }) => f.id),
    [...ids].sort(),
    "metadata.files in the same order",
  );
});

Deno.test("a message with U+0000 is refused with 500 app.post.save.app_error (PostgreSQL)", async () => {
  await using emu = await startEmulator();
  const s = emu.store;
  const { alice, town } = aliceInTownSquare(emu);
  const before = s.postsIn(town.id).length;
  const r = await postAs(emu, alice.token, { channel_id: town.id, message: "a\u0000b" });
  assert.equal(r.status, 500);
  const body = await r.json();
  assert.equal(body.id, "app.post.save.app_error");
  assert.equal(body.message, "Unable to save the Post.");
  assert.equal(s.postsIn(town.id).length, before, "nothing saved");
  // Other control characters are stored as sent.
  const ok = s.createPost(alice.user.id, { channel_id: town.id, message: "bell\u0007" });
  assert.equal(ok.message, "bell\u0007");
});
