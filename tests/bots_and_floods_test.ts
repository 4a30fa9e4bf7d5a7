/**
 * Other programs and floods in the bot's DMs, end to end: a real postbot process, other
 * accounts talking to it over REST.
 *
 * - Posts of bot accounts (and posts marked `from_bot`/`from_webhook`) get no answer at all,
 *   unless the bot is in `ALLOWED_BOTS`: an auto-responder never starts a loop.
 * - Every sender has a rate limit: a burst is answered, then one notice, then silence for the
 *   window; dropped messages run nothing; other users are not affected.
 * - `cancel`, `no`, `yes`, ... with nothing open are answered as such, never broadcast.
 */

import assert from "node:assert/strict";
import { AutoReplier, postWithProps } from "./support/auto_reply.ts";
import { type Person, startScenario } from "@postbot/harness";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** One sample of postbot's `/metrics`, e.g. `postbot_messages_ignored_total{reason="bot"}`. */
async function metric(port: number, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${sample} `));
  if (line === undefined) throw new Error(`no ${sample} in /metrics:\n${text}`);
  return Number(line.slice(sample.length + 1));
}

const IGNORED_BOT = 'postbot_messages_ignored_total{reason="bot"}';
const IGNORED_RATE = 'postbot_messages_ignored_total{reason="rate_limit"}';
const AWAY = "I'm away until Monday. For urgent matters, call the office.";
const NOTICE = /faster than I answer/;

Deno.test("bots: another bot's DMs get no answer, so its auto-replies never start a loop", async () => {
  const port = freePort();
  let echobot: Person | undefined;
  const s = await startScenario({
    env: { HEALTH_PORT: String(port) },
    prepare: async (server, world) => {
      echobot = await server.createUser({ username: "echobot", is_bot: true });
      await server.addTeamMember(world.team.id, echobot.user.id);
    },
  });
  const echo = new AutoReplier(s, echobot!, AWAY);
  try {
    // A bot that starts a conversation, sends commands, a bare yes, and then a burst.
    for (const text of ["Hello postbot, please relay this", "!help", "!id town-square", "yes"]) {
      await echo.send(text);
    }
    await Promise.all(Array.from({ length: 20 }, (_, i) => echo.send(`burst ${i}`)));
    await s.waitFor(async () => await metric(port, IGNORED_BOT) === 24, {
      message: "postbot did not drop the 24 posts of @echobot",
    });
    assert.deepEqual((await echo.botPosts()).map((p) => p.message), []);
    assert.equal(echo.answered, 0);
    // Logged once for the sender, not once per post.
    const lines = s.bot.output.split("\n").filter((l) => /Ignoring posts from @echobot/.test(l));
    assert.equal(lines.length, 1, s.bot.output);

    // A person's account posting with the marks of an integration is treated the same way...
    const carol = s.dm(s.world.carol);
    await postWithProps(s, s.world.carol, carol.channel.id, "scripted", { from_bot: "true" });
    await postWithProps(s, s.world.carol, carol.channel.id, "hooked", { from_webhook: "true" });
    await s.waitFor(async () => await metric(port, IGNORED_BOT) === 26);
    // ...and only those posts: the person is answered as usual.
    assert.match(await carol.ask("!id town-square"), /Id:/);
    assert.deepEqual(await carol.drain(), []);
  } finally {
    await echo.stop();
    await s.stop();
  }
});

Deno.test("bots: an allowed bot is answered, and its auto-reply loop ends at the rate limit", async () => {
  const port = freePort();
  let echobot: Person | undefined;
  const s = await startScenario({
    env: {
      HEALTH_PORT: String(port),
      ALLOWED_BOTS: "echobot",
      // ALLOWED_USERS set: an allowed bot is allowed without being listed there too.
      ALLOWED_USERS: "alice,bob,carol",
      USER_RATE_LIMIT: "5",
    },
    prepare: async (server, world) => {
      echobot = await server.createUser({ username: "echobot", is_bot: true });
      await server.addTeamMember(world.team.id, echobot.user.id);
    },
  });
  const echo = new AutoReplier(s, echobot!, AWAY);
  try {
    await echo.send("!id town-square");
    await s.waitFor(async () => (await echo.botPosts())[0], { message: "no answer to @echobot" });
    assert.match((await echo.botPosts())[0].message, /Id:/);
    // The auto-responder answers that, postbot answers back... until the limit: 5 answers,
    // one notice (the sixth message is not acted upon), and the answer to the notice is dropped.
    await s.waitFor(async () => await metric(port, IGNORED_RATE) === 2 && await echo.caughtUp(), {
      message: "the loop did not end",
    });
    const posts = (await echo.botPosts()).map((p) => p.message);
    assert.equal(posts.length, 6, posts.join("\n---\n"));
    assert.match(posts[5], NOTICE);
    assert.equal(posts.filter((p) => NOTICE.test(p)).length, 1);
    assert.equal(echo.answered, 6);
  } finally {
    await echo.stop();
    await s.stop();
  }
});

Deno.test("floods: refusals count too, so a person's auto-responder is bounded", async () => {
  const port = freePort();
  const s = await startScenario({
    env: { HEALTH_PORT: String(port), ALLOWED_USERS: "alice", USER_RATE_LIMIT: "3" },
  });
  // bob is in the team but not in ALLOWED_USERS; mallory is not in the team at all.
  const bob = new AutoReplier(s, s.world.bob, AWAY);
  const mallory = new AutoReplier(s, s.world.outsider, AWAY);
  try {
    await Promise.all([bob.send("hello"), mallory.send("hello")]);
    await s.waitFor(
      async () =>
        await metric(port, IGNORED_RATE) === 4 && await bob.caughtUp() && await mallory.caughtUp(),
      { message: "the refusal loops did not end" },
    );
    for (
      const [who, responder, refusal] of [
        ["bob", bob, /not on the list/],
        ["mallory", mallory, /only work for members/],
      ] as const
    ) {
      const posts = (await responder.botPosts()).map((p) => p.message);
      assert.equal(posts.length, 4, `${who}:\n${posts.join("\n---\n")}`);
      for (const p of posts.slice(0, 3)) assert.match(p, refusal);
      assert.match(posts[3], NOTICE);
    }
    // The allowed user is not affected.
    assert.match(await s.dm(s.world.alice).ask("!id town-square"), /Id:/);
  } finally {
    await Promise.all([bob.stop(), mallory.stop()]);
    await s.stop();
  }
});

Deno.test("floods: a burst is answered, then one notice and silence; others are unaffected", async () => {
  const port = freePort();
  const window = 3;
  const s = await startScenario({
    env: {
      HEALTH_PORT: String(port),
      USER_RATE_LIMIT: "4",
      USER_RATE_WINDOW_SECONDS: String(window),
    },
  });
  try {
    const bob = s.dm(s.world.bob);
    // Twelve at once, as a script would send them; and while silenced, a message that would
    // open the wizard.
    await Promise.all(Array.from({ length: 12 }, () => bob.send("!id town-square")));
    await s.waitFor(async () => await metric(port, IGNORED_RATE) === 8, {
      message: "the flood was not dropped",
    });
    await bob.send("Please relay this while I am silenced");
    await s.waitFor(async () => await metric(port, IGNORED_RATE) === 9);
    assert.equal(await metric(port, "postbot_rate_limit_notices_total"), 1);
    const posts = await bob.botPosts();
    const texts = posts.map((p) => p.message);
    assert.equal(texts.length, 5, texts.join("\n---\n"));
    assert.equal(texts.filter((t) => /Id:/.test(t)).length, 4);
    assert.match(texts[4], NOTICE);
    assert.match(texts[4], new RegExp(`${window} seconds`));
    // Dropped messages run nothing: no wizard was opened.
    assert.equal(await metric(port, "postbot_sessions_open"), 0);

    // Another user is answered at once.
    assert.match(await s.dm(s.world.carol).ask("!id town-square"), /Id:/);

    // After the window, bob is answered again.
    const noticeAt = posts[4].create_at;
    await s.waitFor(() => Date.now() > noticeAt + window * 1000, { timeoutMs: 2 * window * 1000 });
    await bob.drain();
    assert.match(await bob.ask("!id town-square"), /Id:/);
  } finally {
    await s.stop();
  }
});

Deno.test("control words with nothing open are answered, never broadcast", async () => {
  const s = await startScenario();
  try {
    const alice = s.dm(s.world.alice);
    const words: [string, RegExp][] = [
      ["cancel", /nothing to cancel/i],
      ["No.", /nothing to cancel/i],
      ["  Cancel!  ", /nothing to cancel/i],
      ["STOP", /nothing to cancel/i],
      ["abort", /nothing to cancel/i],
      ["yes", /nothing to confirm/i],
      ["**Yes**", /nothing to confirm/i],
      ["yes 3", /nothing to confirm/i],
      ["ok", /nothing to confirm/i],
      ["in 2h", /nothing to schedule/i],
      ["undo", /`!undo`/],
      ["Status?", /`!status`/],
    ];
    for (const [text, answer] of words) {
      const reply = await alice.ask(text);
      assert.match(reply, answer, `${JSON.stringify(text)} got:\n${reply}`);
      assert.doesNotMatch(reply, /Where should I send this/, JSON.stringify(text));
    }
    // A real message still starts a broadcast, and inside it the words keep their meaning.
    assert.match(await alice.ask("Lunch is at noon"), /Where should I send this/);
    assert.match(await alice.ask("cancel"), /Cancelled\. Nothing was sent\./);
    assert.match(await alice.ask("no"), /nothing to cancel/i);
    for (const name of Object.keys(s.world.channels)) {
      assert.deepEqual(await s.botPostsIn(s.world.channels[name].id), [], name);
    }
  } finally {
    await s.stop();
  }
});
