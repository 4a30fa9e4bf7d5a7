/**
 * Behaviour seen on a real Mattermost 11.4 server (built and run by `deno task mattermost`,
 * checked in its source) that the emulator reproduces. One test per difference found.
 */

import assert from "node:assert/strict";
import { AppError, startEmulator } from "./mod.ts";

Deno.test("joining a channel writes a system_join_channel post under the joining user's id", async () => {
  const emu = await startEmulator();
  try {
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
  } finally {
    await emu.stop();
  }
});

Deno.test("joining a team joins town-square (system_join_team) and off-topic (system_join_channel)", async () => {
  const emu = await startEmulator();
  try {
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
  } finally {
    await emu.stop();
  }
});

Deno.test("a team holds at most MaxUsersPerTeam active users (default 50, bots count)", async () => {
  const emu = await startEmulator();
  try {
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
  } finally {
    await emu.stop();
  }
  const small = await startEmulator({ maxUsersPerTeam: 2 });
  try {
    const s = small.store;
    const team = s.createTeam({ name: "acme" });
    s.addTeamMember(team.id, s.createUser({ username: "a" }).user.id);
    s.addTeamMember(team.id, s.createUser({ username: "b" }).user.id);
    const c = s.createUser({ username: "c" }).user;
    assert.throws(() => s.addTeamMember(team.id, c.id), AppError);
  } finally {
    await small.stop();
  }
});

Deno.test("a post's file_ids come back sorted by id, not in the order given", async () => {
  const emu = await startEmulator();
  try {
    const s = emu.store;
    const team = s.createTeam({ name: "acme" });
    const alice = s.createUser({ username: "alice" });
    const town = s.createChannel({ team_id: team.id, name: "town-square", type: "O" });
    s.addChannelMember(town.id, alice.user.id);
    const names = ["c.txt", "a.txt", "b.txt", "d.txt", "e.txt"];
    const ids = names.map((n) => s.uploadFile(alice.user.id, town.id, n, new Uint8Array(1)).id);
    const given = [...ids].reverse();
    const r = await fetch(`${emu.url}/api/v4/posts`, {
      method: "POST",
      headers: { Authorization: `Bearer ${alice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ channel_id: town.id, message: "files", file_ids: given }),
    });
    assert.equal(r.status, 201);
    const post = await r.json();
    assert.deepEqual(post.file_ids, [...ids].sort());
    assert.deepEqual(
      post.metadata.files.map((f: { id: string }) => f.id),
      [...ids].sort(),
      "metadata.files in the same order",
    );
  } finally {
    await emu.stop();
  }
});

Deno.test("a message with U+0000 is refused with 500 app.post.save.app_error (PostgreSQL)", async () => {
  const emu = await startEmulator();
  try {
    const s = emu.store;
    const team = s.createTeam({ name: "acme" });
    const alice = s.createUser({ username: "alice" });
    const town = s.createChannel({ team_id: team.id, name: "town-square", type: "O" });
    s.addChannelMember(town.id, alice.user.id);
    const before = s.postsIn(town.id).length;
    const r = await fetch(`${emu.url}/api/v4/posts`, {
      method: "POST",
      headers: { Authorization: `Bearer ${alice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ channel_id: town.id, message: "a\u0000b" }),
    });
    assert.equal(r.status, 500);
    const body = await r.json();
    assert.equal(body.id, "app.post.save.app_error");
    assert.equal(body.message, "Unable to save the Post.");
    assert.equal(s.postsIn(town.id).length, before, "nothing saved");
    // Other control characters are stored as sent.
    const ok = s.createPost(alice.user.id, { channel_id: town.id, message: "bell\u0007" });
    assert.equal(ok.message, "bell\u0007");
  } finally {
    await emu.stop();
  }
});
