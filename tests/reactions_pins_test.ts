/**
 * Reactions as Mattermost 11.4 handles them, pinned on both backends (the emulator, and the
 * real server under `deno task e2e`): saving is an upsert that announces `reaction_added`
 * every time, removing announces `reaction_removed` even for a reaction that never was, the
 * post's metadata carries the live ones, and an empty list reads `null`.
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "@postbot/harness";
import { EventSocket, rest } from "./support/server_probe.ts";

/** A post of alice's in town-square (bot, alice, bob and carol are members). */
async function alicePost(s: Scenario, message: string) {
  const town = s.world.channels["town-square"];
  const r = await rest(s, s.world.alice, "POST", "/posts", { channel_id: town.id, message });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

/** The reaction fields a client reads, without the clock. */
function shape(r: Record<string, unknown>) {
  const { create_at: _c, update_at: _u, ...rest } = r;
  return rest;
}

Deno.test("a reaction is saved, announced to the channel's members and shown in the post", async () => {
  const s = await startScenario({ startBot: false });
  const { alice, bob, bot } = s.world;
  const sockets = await Promise.all([bot, alice].map((p) => EventSocket.open(s, p)));
  try {
    const post = await alicePost(s, "react to me");
    const added = await rest(s, bob, "POST", "/reactions", {
      user_id: bob.user.id,
      post_id: post.id,
      emoji_name: "+1",
    });
    assert.equal(added.status, 200);
    assert.deepEqual(shape(added.body), {
      user_id: bob.user.id,
      post_id: post.id,
      emoji_name: "+1",
      delete_at: 0,
      remote_id: "",
      channel_id: post.channel_id,
    });
    for (const socket of sockets) {
      const event = await socket.next((f) => f.event === "reaction_added");
      assert.equal(typeof event.data.reaction, "string", "data.reaction is a JSON string");
      assert.deepEqual(JSON.parse(event.data.reaction), added.body);
      assert.equal(event.broadcast.channel_id, post.channel_id);
    }
    const read = await rest(s, alice, "GET", `/posts/${post.id}`);
    assert.equal(read.body.has_reactions, true);
    assert.deepEqual(read.body.metadata.reactions.map(shape), [shape(added.body)]);
    const list = await rest(s, alice, "GET", `/channels/${post.channel_id}/posts?per_page=5`);
    assert.equal(list.body.posts[post.id].metadata.reactions.length, 1);
    const byIds = await rest(s, alice, "POST", "/posts/ids", [post.id]);
    assert.equal(byIds.body[0].metadata.reactions[0].emoji_name, "+1");
  } finally {
    for (const socket of sockets) await socket.close();
    await s.stop();
  }
});

Deno.test("the same reaction twice is one reaction announced twice; removing announces even a missing one", async () => {
  const s = await startScenario({ startBot: false });
  const { alice, bob } = s.world;
  const socket = await EventSocket.open(s, alice);
  try {
    const post = await alicePost(s, "twice");
    const body = { user_id: bob.user.id, post_id: post.id, emoji_name: "eyes" };
    const first = await rest(s, bob, "POST", "/reactions", body);
    const second = await rest(s, bob, "POST", "/reactions", body);
    assert.deepEqual([first.status, second.status], [200, 200]);
    const again = await socket.nth("reaction_added", 2);
    assert.equal(JSON.parse(again.data.reaction).create_at, second.body.create_at);
    const listed = await rest(s, alice, "GET", `/posts/${post.id}/reactions`);
    assert.equal(listed.body.length, 1, "one reaction");
    assert.equal(listed.body[0].create_at, first.body.create_at, "the first create_at stays");

    const missing = await rest(
      s,
      bob,
      "DELETE",
      `/users/${bob.user.id}/posts/${post.id}/reactions/smile`,
    );
    assert.equal(missing.status, 200);
    assert.deepEqual(missing.body, { status: "OK" });
    const removedEvent = await socket.next((f) => f.event === "reaction_removed");
    const removed = JSON.parse(removedEvent.data.reaction);
    assert.deepEqual(
      [removed.emoji_name, removed.create_at, removed.channel_id, removed.delete_at],
      ["smile", 0, "", 0],
      "the reaction as built from the URL",
    );
    const gone = await rest(
      s,
      bob,
      "DELETE",
      `/users/${bob.user.id}/posts/${post.id}/reactions/eyes`,
    );
    assert.equal(gone.status, 200);
    const after = await rest(s, alice, "GET", `/posts/${post.id}/reactions`);
    assert.equal(after.status, 200);
    assert.equal(after.body, null, "no reactions read as null, not []");
    const read = await rest(s, alice, "GET", `/posts/${post.id}`);
    assert.equal("has_reactions" in read.body, false);
    assert.deepEqual(read.body.metadata, {});
    assert.ok(read.body.update_at > post.update_at, "reactions move the post's update_at");
  } finally {
    await socket.close();
    await s.stop();
  }
});

Deno.test("reactions refused: unknown emoji, someone else's name, a non-member, a reader outside", async () => {
  const s = await startScenario({ startBot: false });
  const { alice, bob, bot, outsider } = s.world;
  try {
    const post = await alicePost(s, "refusals");
    const save = (who: typeof alice, userId: string, emoji: string) =>
      rest(s, who, "POST", "/reactions", { user_id: userId, post_id: post.id, emoji_name: emoji });
    const unknown = await save(bob, bob.user.id, "no_such_emoji_here");
    assert.deepEqual([unknown.status, unknown.body.id], [404, "app.emoji.get_by_name.no_result"]);
    const forOther = await save(bob, alice.user.id, "smile");
    assert.deepEqual(
      [forOther.status, forOther.body.id],
      [403, "api.reaction.save_reaction.user_id.app_error"],
    );
    const outside = await save(outsider, outsider.user.id, "smile");
    assert.deepEqual([outside.status, outside.body.id], [403, "api.context.permissions.app_error"]);
    const invalid = await save(bob, bob.user.id, "");
    assert.deepEqual(
      [invalid.status, invalid.body.id],
      [400, "api.reaction.save_reaction.invalid.app_error"],
    );
    const notJson = await rest(s, bob, "POST", "/reactions", "{");
    assert.deepEqual(
      [notJson.status, notJson.body.id],
      [400, "api.context.invalid_body_param.app_error"],
    );
    // A public channel's posts are readable by the team, but its reactions need membership.
    const news = s.world.channels["no-bot"];
    const theirs = await rest(s, alice, "POST", "/posts", { channel_id: news.id, message: "x" });
    const reading = await rest(s, bot, "GET", `/posts/${theirs.body.id}/reactions`);
    assert.equal(reading.status, 403);
    const others = await rest(
      s,
      bob,
      "DELETE",
      `/users/${alice.user.id}/posts/${post.id}/reactions/smile`,
    );
    assert.equal(others.status, 403, "only admins remove someone else's reaction");
  } finally {
    await s.stop();
  }
});

Deno.test("a socket that looks at another channel and other threads hears no reactions there", async () => {
  const s = await startScenario({ startBot: false });
  const { alice, bob } = s.world;
  const elsewhere = s.world.channels["random"].id;
  const socket = await EventSocket.open(s, alice);
  try {
    const post = await alicePost(s, "scoped");
    // The channel alone is not enough (both thread views are unset): still heard.
    await socket.send(1, "presence", { channel_id: elsewhere });
    await rest(s, bob, "POST", "/reactions", {
      user_id: bob.user.id,
      post_id: post.id,
      emoji_name: "smile",
    });
    await socket.next((f) => f.event === "reaction_added");
    await socket.send(2, "presence", { thread_channel_id: elsewhere, is_thread_view: true });
    await socket.send(3, "presence", { thread_channel_id: elsewhere });
    await rest(s, bob, "POST", "/reactions", {
      user_id: bob.user.id,
      post_id: post.id,
      emoji_name: "tada",
    });
    const marker = await alicePost(s, "after the reaction");
    await socket.next((f) => f.event === "posted" && JSON.parse(f.data.post).id === marker.id);
    assert.equal(socket.events("reaction_added").length, 1, "the second reaction was not sent");
    await socket.send(4, "presence", { thread_channel_id: post.channel_id });
    await rest(s, bob, "DELETE", `/users/${bob.user.id}/posts/${post.id}/reactions/tada`);
    await socket.next((f) => f.event === "reaction_removed");
  } finally {
    await socket.close();
    await s.stop();
  }
});
