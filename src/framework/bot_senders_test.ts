import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { BotAccounts, ignoreBots, markedAutomated } from "./bot_senders.ts";
import { recordingContext } from "./testing.ts";
import { parseUserRef, type UserRef } from "./user_ref.ts";

function refs(...entries: string[]): UserRef[] {
  return entries.map((e) => {
    const r = parseUserRef(e);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  });
}

const BOT_ID = "b".repeat(26);

/** Runs one post through the middleware: whether it passed, and the replies. */
async function run(
  middleware: ReturnType<typeof ignoreBots>,
  post: Partial<Post>,
  senderName = "alice",
): Promise<{ passed: boolean; replies: string[] }> {
  const { ctx, replies } = recordingContext({
    post: { user_id: "u1", message: "hi", ...post },
    senderName,
  });
  let passed = false;
  await middleware(ctx, () => {
    passed = true;
    return Promise.resolve();
  });
  return { passed, replies };
}

const bots = new Set([BOT_ID]);
const policy = (allowed: UserRef[] = []) => ({
  allowed,
  isBot: (id: string) => Promise.resolve(bots.has(id)),
  logWindowMs: 60_000,
});

Deno.test("markedAutomated: from_bot and from_webhook exactly as the server writes them", () => {
  assert.equal(markedAutomated({ props: { from_bot: "true" } } as unknown as Post), "bot post");
  assert.equal(
    markedAutomated({ props: { from_webhook: "true" } } as unknown as Post),
    "webhook post",
  );
  assert.equal(markedAutomated({ props: {} } as unknown as Post), undefined);
  assert.equal(markedAutomated({} as Post), undefined);
  // The server only ever writes the string "true".
  assert.equal(markedAutomated({ props: { from_bot: true } } as unknown as Post), undefined);
});

Deno.test("ignoreBots: a bot account, a marked post and a system post get nothing", async () => {
  const counters = { ignored: 0 };
  const m = ignoreBots(policy(), counters);
  assert.deepEqual(await run(m, { user_id: BOT_ID }, "echobot"), { passed: false, replies: [] });
  assert.deepEqual(await run(m, { props: { from_bot: "true" } }), { passed: false, replies: [] });
  assert.deepEqual(await run(m, { props: { from_webhook: "true" } }), {
    passed: false,
    replies: [],
  });
  assert.deepEqual(await run(m, { type: "system_header_change" } as Partial<Post>), {
    passed: false,
    replies: [],
  });
  assert.equal(counters.ignored, 3, "system posts are not counted as bots");
  assert.deepEqual(await run(m, {}), { passed: true, replies: [] });
});

Deno.test("ignoreBots: ALLOWED_BOTS by username or id lets a bot through", async () => {
  for (const allowed of [refs("@EchoBot"), refs(BOT_ID)]) {
    const m = ignoreBots(policy(allowed));
    const result = await run(m, { user_id: BOT_ID, props: { from_bot: "true" } }, "echobot");
    assert.equal(result.passed, true, JSON.stringify(allowed));
  }
  // A username entry never matches an id, nor an id entry another bot.
  const m = ignoreBots(policy(refs("otherbot")));
  assert.equal((await run(m, { user_id: BOT_ID }, "echobot")).passed, false);
});

Deno.test("ignoreBots: a failed lookup answers the sender as a person", async () => {
  const m = ignoreBots({ ...policy(), isBot: () => Promise.reject(new Error("502")) });
  assert.equal((await run(m, {})).passed, true);
  // ...but what the post itself says still counts.
  assert.equal((await run(m, { props: { from_bot: "true" } })).passed, false);
});

Deno.test("BotAccounts: asks once per user within the TTL, again after it; failures not kept", async () => {
  let now = 0;
  const asked: string[] = [];
  let fail = false;
  const accounts = new BotAccounts(
    (id) => {
      asked.push(id);
      return fail ? Promise.reject(new Error("down")) : Promise.resolve({ is_bot: id === BOT_ID });
    },
    1_000,
    () => now,
  );
  assert.equal(await accounts.isBot(BOT_ID), true);
  assert.equal(await accounts.isBot(BOT_ID), true);
  assert.equal(await accounts.isBot("u1"), false);
  assert.deepEqual(asked, [BOT_ID, "u1"]);
  now = 1_000;
  fail = true;
  await assert.rejects(accounts.isBot("u1"));
  fail = false;
  assert.equal(await accounts.isBot("u1"), false);
  assert.deepEqual(asked, [BOT_ID, "u1", "u1", "u1"]);
});
