/**
 * One postbot per database: a second process in the same working directory refuses to start
 * with a clear message, and the first one keeps working.
 */

import assert from "node:assert/strict";
import { sqliteOnly, startScenario } from "@postbot/harness";
import { BotProcess } from "@postbot/harness/bot";

Deno.test("a second bot on the same database exits 1 and the first keeps working", {
  ignore: sqliteOnly(
    "the SQLite file lock; on PostgreSQL a second instance is a standby (high_availability_test.ts)",
  ),
}, async () => {
  const s = await startScenario();
  try {
    const alice = s.dm(s.world.alice);
    assert.match(await alice.ask("!help"), /Commands/);

    const second = BotProcess.spawn({ cwd: s.dir, env: s.env });
    const code = await second.exited;
    assert.equal(code, 1, second.output);
    assert.match(second.output, /Another postbot is already running/);
    assert.match(second.output, /broadcast_log\.db/, "names the database");
    assert.doesNotMatch(second.output, /^\s+at /m, "no stack trace");
    assert.doesNotMatch(second.output, /postbot is ready/);
    // It gave up before connecting: the first bot's socket is the only one (only the
    // emulator can count sockets).
    const emu = s.server.emulator;
    if (emu !== undefined) assert.equal(emu.store.connectedSockets(s.world.bot.user.id), 1);

    assert.match(await alice.ask("!help"), /Commands/);
    assert.match(await alice.ask("Lunch is served"), /Where should I send this/);
    assert.match(await alice.ask("all"), /Ready to send to 3 channels/);
    assert.match(await alice.ask("yes"), /Sending broadcast/);
    assert.match(await alice.replyMatching(/Delivered to/), /Delivered to 3 of 3 channels/);
    // Alice's messages are handled in order: a second answer to any of them would come before
    // the answer to this one.
    assert.match(await alice.ask("!help"), /Commands/, "every message was answered once");
    assert.deepEqual(await alice.drain(), []);
  } finally {
    await s.stop();
  }
});

Deno.test("after the first bot stops, a new one starts on the same database", async () => {
  const s = await startScenario();
  try {
    assert.match(await s.dm(s.world.alice).ask("!help"), /Commands/);
    assert.equal(await s.bot.stop(), 0, s.bot.output);
    const next = await s.startBot();
    assert.match(next.output, /postbot is ready/);
    assert.match(await s.dm(s.world.alice).ask("!help"), /Commands/);
  } finally {
    await s.stop();
  }
});
