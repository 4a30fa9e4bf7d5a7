/**
 * A broadcast being prepared survives a restart of the bot: the wizard's question is still
 * pending afterwards (sessions are kept in SQLite), whether the bot was stopped cleanly
 * (SIGTERM) or killed (SIGKILL), and the broadcast then goes out once.
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "@postbot/harness";
import { storeRun } from "./support/store.ts";

const OFFICES = ["office-berlin", "office-paris", "office-rome"];

/** The bot's posts in a channel that carry `text`. */
async function copiesIn(s: Scenario, channel: string, text: string): Promise<number> {
  return (await s.botPostsIn(s.world.channels[channel].id))
    .filter((p) => p.message.includes(text)).length;
}

/** Stops the bot with `signal` and starts it again in the same working directory. */
async function restart(s: Scenario, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const code = await s.bot.stop(signal);
  if (signal === "SIGTERM") assert.equal(code, 0, s.bot.output);
  await s.startBot();
}

for (const signal of ["SIGTERM", "SIGKILL"] as const) {
  Deno.test(`${signal}: a wizard waiting for targets continues after the restart`, async () => {
    const s = await startScenario();
    try {
      const alice = s.dm(s.world.alice);
      const text = `Canteen closed on Friday (${signal}, targets)`;
      const file = { name: "menu.txt", bytes: new TextEncoder().encode(`menu ${signal}`) };
      assert.match(await alice.ask(text, [file]), /Where should I send this \(with 1 file\)/);

      await restart(s, signal);

      assert.match(await alice.ask("all"), /Ready to send to 3 channels/);
      assert.match(await alice.ask("yes"), /Sending broadcast/);
      assert.match(await alice.replyMatching(/Delivered to/), /Delivered to 3 of 3 channels/);
      for (const channel of OFFICES) {
        assert.equal(await copiesIn(s, channel, text), 1, channel);
        const post = (await s.postsIn(s.world.channels[channel].id)).at(-1)!;
        assert.equal(post.file_ids?.length, 1);
        assert.deepEqual(await s.server.fileBytes(post.file_ids![0]), file.bytes);
      }
    } finally {
      await s.stop();
    }
  });

  Deno.test(`${signal}: a wizard waiting for "yes" continues after the restart`, async () => {
    const s = await startScenario();
    try {
      const alice = s.dm(s.world.alice);
      const text = `Fire drill at 11:00 (${signal}, confirm)`;
      assert.match(await alice.ask(text), /Where should I send this\?/);
      assert.match(await alice.ask("all"), /Ready to send to 3 channels/);

      await restart(s, signal);

      assert.match(await alice.ask("yes"), /Sending broadcast/);
      assert.match(await alice.replyMatching(/Delivered to/), /Delivered to 3 of 3 channels/);
      for (const channel of OFFICES) assert.equal(await copiesIn(s, channel, text), 1, channel);
      // The answers before the restart were not handled a second time: alice's messages are
      // handled in order, so a second answer would come before the answer to this one.
      assert.match(await alice.ask("!help"), /Commands/);
      assert.deepEqual(await alice.drain(), []);
      assert.equal(
        (await alice.botPosts()).filter((p) => /Ready to send/.test(p.message)).length,
        1,
      );
    } finally {
      await s.stop();
    }
  });
}

Deno.test("a step stored by an older version is answered clearly after the restart, not acted on", async () => {
  const s = await startScenario();
  try {
    const alice = s.dm(s.world.alice);
    const text = "Old-shape broadcast that must not go out";
    assert.match(await alice.ask(text), /Where should I send this\?/);
    assert.match(await alice.ask("all"), /Ready to send to 3 channels/);
    assert.equal(await s.bot.stop("SIGTERM"), 0, s.bot.output);

    // What an older postbot might have stored: a kind this version does not know.
    const changed = await storeRun(
      s,
      "UPDATE sessions SET state_json = ? WHERE user_id = ?",
      JSON.stringify({ kind: "awaiting_yes", text, channels: ["all"] }),
      s.world.alice.user.id,
    );
    assert.equal(changed, 1, "alice's session was stored");
    await s.startBot();

    assert.match(await alice.ask("yes"), /could not pick up where we left off.*Nothing was sent/s);
    for (const channel of OFFICES) assert.equal(await copiesIn(s, channel, text), 0, channel);
    // The unreadable step is gone: the next message starts a new broadcast.
    assert.match(await alice.ask("A fresh start"), /Where should I send this\?/);
  } finally {
    await s.stop();
  }
});
