import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { getLogger } from "@logtape/logtape";
import { MessageContext, parsePosted } from "./context.ts";
import type { MattermostClient } from "./client.ts";
import type { RestTransport } from "./rest.ts";
import { Secret } from "./secret.ts";
import { REPLY_TO_PROP } from "./catch_up.ts";

Deno.test("parsePosted: the post arrives as a JSON string with envelope fields", () => {
  const post = { id: "p1", user_id: "u1", channel_id: "c1", message: "hi", create_at: 5 };
  const message = parsePosted({
    post: JSON.stringify(post),
    channel_type: "D",
    sender_name: "@alice",
  });
  assert.equal(message?.post.id, "p1");
  assert.equal(message?.post.message, "hi");
  assert.equal(message?.channelId, "c1");
  assert.equal(message?.channelType, "D");
  assert.equal(message?.senderName, "alice");
});

Deno.test("parsePosted: malformed events yield undefined, odd fields are defaulted", () => {
  assert.equal(parsePosted({ post: { id: "p1" } }), undefined);
  assert.equal(parsePosted({ post: "{not json" }), undefined);
  assert.equal(parsePosted({ post: "null" }), undefined);
  assert.equal(parsePosted({ post: JSON.stringify({ id: 1, user_id: "u" }) }), undefined);
  const odd = parsePosted({ post: JSON.stringify({ id: "p", user_id: "u", message: 42 }) }, "c9");
  assert.equal(odd?.post.message, "");
  assert.equal(odd?.channelId, "c9");
  assert.equal(odd?.channelType, "");
  assert.equal(odd?.senderName, "");
});

Deno.test("MessageContext.reply applies redact to every post (the token never echoes back)", async () => {
  const token = new Secret("k9x7qz3mfb8e1n5p0w2r4t6y8u");
  const posted: Post[] = [];
  const ctx = new MessageContext({
    message: {
      post: { id: "p", user_id: "u", message: token.reveal() } as Post,
      channelId: "dm",
      channelType: "D",
      senderName: "alice",
    },
    bot: { userId: "b", username: "postbot", teamId: "t", teamName: "staff" },
    client: {
      createPost: (p: Post) => {
        posted.push(p);
        return Promise.resolve(p);
      },
    } as unknown as MattermostClient,
    transport: {} as RestTransport,
    log: getLogger(["test"]),
    redact: (text) => token.scrub(text),
  });
  await ctx.reply(`I can't find \`${ctx.text}\``);
  assert.equal(posted.length, 1);
  assert.equal(posted[0].channel_id, "dm");
  assert.equal(posted[0].message, "I can't find `[redacted]`");
});

Deno.test("MessageContext.replyWithFiles: one post with the files, redacted, tracked", async () => {
  const token = new Secret("k9x7qz3mfb8e1n5p0w2r4t6y8u");
  const posted: Post[] = [];
  const tracked: Post[] = [];
  const ctx = new MessageContext({
    message: {
      post: { id: "p", user_id: "u", message: "!export" } as Post,
      channelId: "dm",
      channelType: "D",
      senderName: "alice",
    },
    bot: { userId: "b", username: "postbot", teamId: "t", teamName: "staff" },
    client: {
      createPost: (p: Post) => {
        posted.push(p);
        return Promise.resolve({ ...p, id: "new", create_at: 7 });
      },
    } as unknown as MattermostClient,
    transport: {} as RestTransport,
    log: getLogger(["test"]),
    redact: (text) => token.scrub(text),
    onPosted: (p) => tracked.push(p),
  });
  const post = await ctx.replyWithFiles(`Here ${token.reveal()}`, ["f1", "f2"]);
  assert.equal(posted.length, 1);
  assert.deepEqual(posted[0].file_ids, ["f1", "f2"]);
  assert.equal(posted[0].message, "Here [redacted]");
  assert.equal(posted[0].props?.[REPLY_TO_PROP], "p");
  assert.deepEqual(tracked.map((p) => p.id), ["new"]);
  assert.equal(post.id, "new");
});
