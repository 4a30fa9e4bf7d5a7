import assert from "node:assert/strict";
import type { MessageContext } from "./context.ts";
import { accessControl, directMessagesOnly, holdLateSideEffects } from "./filters.ts";
import { recordingContext } from "./testing.ts";
import { parseUserRef, type UserRef } from "./user_ref.ts";

function refs(...entries: string[]): UserRef[] {
  return entries.map((e) => {
    const r = parseUserRef(e);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  });
}

const BOT = { userId: "botid", username: "postbot", teamId: "t1", teamName: "staff" };

function context(userId: string, username: string, channelType = "D") {
  return recordingContext({
    post: { user_id: userId, message: "hi" },
    channelType,
    senderName: username,
    bot: BOT,
  });
}

async function passes(
  middleware: ReturnType<typeof directMessagesOnly>,
  ctx: MessageContext,
): Promise<boolean> {
  let passed = false;
  await middleware(ctx, () => {
    passed = true;
    return Promise.resolve();
  });
  return passed;
}

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

const U2 = "u2u2u2u2u2u2u2u2u2u2u2u2u2";

Deno.test("accessControl: ALLOWED_USERS by username (any case, optional @) or id", async () => {
  const policy = {
    allowed: refs("@Alice", U2),
    admins: refs("alice"),
    isTeamMember: () => Promise.resolve(true),
  };
  const alice = context("u1id", "alice");
  assert.equal(await passes(accessControl(policy), alice.ctx), true);
  assert.equal(alice.ctx.isAdmin, true);
  const byId = context(U2, "bob");
  assert.equal(await passes(accessControl(policy), byId.ctx), true);
  assert.equal(byId.ctx.isAdmin, false);
  const carol = context("u3id", "carol");
  assert.equal(await passes(accessControl(policy), carol.ctx), false);
  assert.equal(carol.replies.length, 1);
  assert.match(carol.replies[0], /not on the list.*ALLOWED_USERS/);
});

Deno.test("accessControl: a user name is not matched as a prefix or substring", async () => {
  const policy = { allowed: refs("ali"), admins: [], isTeamMember: () => Promise.resolve(true) };
  assert.equal(await passes(accessControl(policy), context("u1", "alice").ctx), false);
});

Deno.test("accessControl: a username never matches an id, nor an id a username", async () => {
  const adminId = "a1a1a1a1a1a1a1a1a1a1a1a1a1";
  const policy = {
    allowed: [],
    admins: refs(adminId, "@bobby"),
    isTeamMember: () => Promise.resolve(true),
  };
  // A user whose *username* is the admin's id is not the admin.
  const impostor = context("x9x9x9x9x9x9x9x9x9x9x9x9x9", adminId);
  assert.equal(await passes(accessControl(policy), impostor.ctx), true);
  assert.equal(impostor.ctx.isAdmin, false);
  // A user whose *id* equals a listed username is not that user either.
  const odd = context("bobby", "someone");
  assert.equal(await passes(accessControl(policy), odd.ctx), true);
  assert.equal(odd.ctx.isAdmin, false);
  const real = context(adminId, "root");
  assert.equal(await passes(accessControl(policy), real.ctx), true);
  assert.equal(real.ctx.isAdmin, true);
});

Deno.test("holdLateSideEffects: a caught-up command with side effects older than the limit is explained", async () => {
  const late = (text: string, ageMs: number, caughtUp: boolean) =>
    recordingContext({
      post: { user_id: "u1", message: text, create_at: Date.now() - ageMs },
      caughtUp,
      bot: BOT,
    });
  const guard = holdLateSideEffects({
    maxAgeMs: 180_000,
    hasSideEffects: (ctx) => ctx.text.startsWith("!run"),
  });
  const old = late("!run backup `now`", 7 * 60_000, true);
  assert.equal(await passes(guard, old.ctx), false);
  assert.equal(old.replies.length, 1);
  assert.match(
    old.replies[0],
    /`!run backup 'now'` reached me only now: you sent it 7 minutes ago/,
  );
  assert.match(old.replies[0], /please send it again/);
  for (
    const [text, age, caughtUp] of [
      ["!run backup", 60_000, true], // recent enough
      ["!help", 7 * 60_000, true], // harmless
      ["!run backup", 7 * 60_000, false], // live (a slow event, not a catch-up)
    ] as const
  ) {
    const { ctx, replies } = late(text, age, caughtUp);
    assert.equal(await passes(guard, ctx), true, text);
    assert.deepEqual(replies, []);
  }
});
