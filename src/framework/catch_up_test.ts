import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { readConversation, REPLY_TO_PROP, unreadDirectChannels } from "./catch_up.ts";

const BOT = "b".repeat(26);
const USER = "u".repeat(26);

function post(id: string, userId: string, at: number, extra: Partial<Post> = {}): Post {
  return {
    id,
    user_id: userId,
    create_at: at,
    update_at: at,
    delete_at: 0,
    type: "",
    props: {},
    message: id,
    ...extra,
  } as Post;
}

Deno.test("unreadDirectChannels: only DMs the bot has not viewed since their last post", () => {
  const channels = [
    { id: "seen", type: "D", last_post_at: 500, total_msg_count: 4 },
    { id: "new-post", type: "D", last_post_at: 700, total_msg_count: 5 },
    { id: "never-viewed", type: "D", last_post_at: 600, total_msg_count: 2 },
    { id: "system-only", type: "D", last_post_at: 650, total_msg_count: 3 },
    { id: "too-old", type: "D", last_post_at: 50, total_msg_count: 9 },
    { id: "public", type: "O", last_post_at: 900, total_msg_count: 9 },
  ];
  const members = [
    { channel_id: "seen", msg_count: 4, last_viewed_at: 500 },
    { channel_id: "new-post", msg_count: 4, last_viewed_at: 550 },
    { channel_id: "system-only", msg_count: 3, last_viewed_at: 600 },
    { channel_id: "public", msg_count: 0, last_viewed_at: 0 },
  ];
  assert.deepEqual(unreadDirectChannels(channels, members, 100), [
    { channelId: "never-viewed", readFrom: 100 },
    { channelId: "system-only", readFrom: 600 },
    { channelId: "new-post", readFrom: 550 },
  ]);
});

Deno.test("readConversation: a later bot post answers; system posts and deleted posts do not count", () => {
  const reading = readConversation(
    [
      post("old", USER, 10),
      post("p1", USER, 100),
      post("r1", BOT, 110),
      post("p2", USER, 200),
      post("join", BOT, 210, { type: "system_join_team" } as unknown as Partial<Post>),
      post("gone", USER, 220, { delete_at: 230 }),
      post("p3", USER, 300),
    ],
    BOT,
    50,
  );
  assert.deepEqual(reading.answered.map((p) => p.id), ["p1"]);
  assert.deepEqual(reading.missed.map((p) => p.id), ["p2", "p3"]);
});

Deno.test("readConversation: a reply naming an earlier post does not answer a later one", () => {
  // p2 arrived before the bot answered p1, then the bot died: r1 comes after p2 but names p1.
  const reading = readConversation(
    [
      post("p1", USER, 100),
      post("p2", USER, 105),
      post("r1", BOT, 110, { props: { [REPLY_TO_PROP]: "p1" } }),
    ],
    BOT,
    0,
  );
  assert.deepEqual(reading.answered.map((p) => p.id), ["p1"]);
  assert.deepEqual(reading.missed.map((p) => p.id), ["p2"]);
  // A reply to a later post answers the earlier ones too (they are handled in order).
  const inOrder = readConversation(
    [
      post("a", USER, 100),
      post("b", USER, 105),
      post("rb", BOT, 110, { props: { [REPLY_TO_PROP]: "b" } }),
    ],
    BOT,
    0,
  );
  assert.deepEqual(inOrder.answered.map((p) => p.id), ["a", "b"]);
  assert.deepEqual(inOrder.missed, []);
});
