import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { getLogger } from "@logtape/logtape";
import { MessageContext } from "./context.ts";
import { accessControl, directMessagesOnly, ignoreSelf } from "./filters.ts";
import type { Client4, RestTransport } from "./rest.ts";

const BOT = { userId: "botid", username: "postbot", teamId: "t1", teamName: "staff" };

function context(userId: string, username: string, channelType = "D") {
  const replies: string[] = [];
  const client = {
    createPost: (post: Post) => {
      replies.push(post.message);
      return Promise.resolve(post);
    },
  } as unknown as Client4;
  const ctx = new MessageContext({
    message: {
      post: { id: "p", user_id: userId, message: "hi" } as Post,
      channelId: "c",
      channelType,
      senderName: username,
    },
    bot: BOT,
    client,
    transport: {} as RestTransport,
    log: getLogger(["test"]),
  });
  return { ctx, replies };
}

async function passes(
  middleware: ReturnType<typeof ignoreSelf>,
  ctx: MessageContext,
): Promise<boolean> {
  let passed = false;
  await middleware(ctx, () => {
    passed = true;
    return Promise.resolve();
  });
  return passed;
}

Deno.test("ignoreSelf drops the bot's own posts", async () => {
  assert.equal(await passes(ignoreSelf(), context("botid", "postbot").ctx), false);
  assert.equal(await passes(ignoreSelf(), context("u1", "alice").ctx), true);
});

Deno.test("directMessagesOnly drops channel and group messages", async () => {
  for (const type of ["O", "P", "G", ""]) {
    assert.equal(await passes(directMessagesOnly(), context("u1", "alice", type).ctx), false, type);
  }
  assert.equal(await passes(directMessagesOnly(), context("u1", "alice", "D").ctx), true);
});

Deno.test("accessControl: non-members are refused with the team's name", async () => {
  const policy = { allowed: [], admins: [], isTeamMember: () => Promise.resolve(false) };
  const { ctx, replies } = context("u9", "mallory");
  assert.equal(await passes(accessControl(policy), ctx), false);
  assert.equal(replies.length, 1);
  assert.match(replies[0], /only work for members of the team \*\*staff\*\*/);
});

Deno.test("accessControl: empty lists make every member an admin", async () => {
  const policy = { allowed: [], admins: [], isTeamMember: () => Promise.resolve(true) };
  const { ctx, replies } = context("u1", "alice");
  assert.equal(await passes(accessControl(policy), ctx), true);
  assert.equal(ctx.isAdmin, true);
  assert.deepEqual(replies, []);
});

Deno.test("accessControl: ALLOWED_USERS by username (any case, optional @) or id", async () => {
  const policy = {
    allowed: ["@Alice", "u2id"],
    admins: ["alice"],
    isTeamMember: () => Promise.resolve(true),
  };
  const alice = context("u1id", "alice");
  assert.equal(await passes(accessControl(policy), alice.ctx), true);
  assert.equal(alice.ctx.isAdmin, true);
  const byId = context("u2id", "bob");
  assert.equal(await passes(accessControl(policy), byId.ctx), true);
  assert.equal(byId.ctx.isAdmin, false);
  const carol = context("u3id", "carol");
  assert.equal(await passes(accessControl(policy), carol.ctx), false);
  assert.equal(carol.replies.length, 1);
  assert.match(carol.replies[0], /not on the list.*ALLOWED_USERS/);
});

Deno.test("accessControl: a user name is not matched as a prefix or substring", async () => {
  const policy = { allowed: ["al"], admins: [], isTeamMember: () => Promise.resolve(true) };
  assert.equal(await passes(accessControl(policy), context("u1", "alice").ctx), false);
});
