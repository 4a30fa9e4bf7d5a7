/**
 * Post priority on Mattermost 11.4 Team Edition, pinned on both backends (the emulator, and
 * the real server under `deno task e2e`): a label on a root post is kept and shown, a reply
 * may not have one, acknowledgements and persistent notifications are licensed (501).
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "@postbot/harness";
import { EventSocket, rest } from "./support/server_probe.ts";

/** POST /posts as the bot in its DM with alice, with `metadata`. */
async function botPost(s: Scenario, body: Record<string, unknown>) {
  const dm = await s.server.directChannel(s.world.bot.user.id, s.world.alice.user.id);
  return await rest(s, s.world.bot, "POST", "/posts", {
    channel_id: dm.id,
    message: "Announcement",
    ...body,
  });
}

Deno.test("a root post's priority label is kept: echoed on create, read back with its row ids", async () => {
  const s = await startScenario({ startBot: false });
  const socket = await EventSocket.open(s, s.world.alice);
  try {
    const created = await botPost(s, { metadata: { priority: { priority: "important" } } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const echoed = { priority: "important", requested_ack: null, persistent_notifications: null };
    assert.deepEqual(created.body.metadata.priority, echoed);
    const posted = await socket.next((f) => f.event === "posted");
    assert.deepEqual(JSON.parse(posted.data.post).metadata.priority, echoed);
    const stored = { ...echoed, PostId: created.body.id, ChannelId: created.body.channel_id };
    const id = created.body.id;
    const read = await rest(s, s.world.alice, "GET", `/posts/${id}`);
    assert.deepEqual(read.body.metadata.priority, stored);
    const list = await rest(s, s.world.alice, "GET", `/channels/${created.body.channel_id}/posts`);
    assert.deepEqual(list.body.posts[id].metadata.priority, stored);
    const byIds = await rest(s, s.world.alice, "POST", "/posts/ids", [id]);
    assert.deepEqual(byIds.body[0].metadata.priority, stored);

    const urgent = await botPost(s, {
      metadata: {
        priority: { priority: "urgent", requested_ack: false, persistent_notifications: false },
      },
    });
    assert.deepEqual(urgent.body.metadata.priority, {
      priority: "urgent",
      requested_ack: false,
      persistent_notifications: false,
    });
    const anyLabel = await botPost(s, { metadata: { priority: { priority: "bogus" } } });
    assert.equal(anyLabel.status, 201, "the label is not checked");
    const plain = await botPost(s, {});
    assert.equal("priority" in plain.body.metadata, false);
  } finally {
    await socket.close();
    await s.stop();
  }
});

Deno.test("priority refused: on a reply, asking for acks or persistent notifications, without a label", async () => {
  const s = await startScenario({ startBot: false });
  try {
    const root = await botPost(s, {});
    for (const priority of [{ priority: "important" }, { priority: "" }]) {
      const reply = await botPost(s, { root_id: root.body.id, metadata: { priority } });
      assert.deepEqual(
        [reply.status, reply.body.id],
        [400, "api.post.post_priority.priority_post_only_allowed_for_root_post.request_error"],
      );
    }
    const bare = await botPost(s, { root_id: root.body.id, metadata: {} });
    assert.equal(bare.status, 201, "a reply with metadata but no priority is fine");
    for (
      const priority of [
        { priority: "important", requested_ack: true },
        { priority: "urgent", persistent_notifications: true },
        { priority: "important", persistent_notifications: true },
      ]
    ) {
      const licensed = await botPost(s, { metadata: { priority } });
      assert.deepEqual(
        [licensed.status, licensed.body.id],
        [501, "license_error.feature_unavailable"],
        JSON.stringify(priority),
      );
    }
    const unlabelled = await botPost(s, { metadata: { priority: { requested_ack: false } } });
    assert.deepEqual([unlabelled.status, unlabelled.body.id], [500, "app.post.save.app_error"]);
    const wrongType = await botPost(s, { metadata: { priority: "urgent" } });
    assert.deepEqual(
      [wrongType.status, wrongType.body.id],
      [400, "api.context.invalid_body_param.app_error"],
    );
  } finally {
    await s.stop();
  }
});
