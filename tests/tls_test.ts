/**
 * postbot over https/wss with a private CA: it connects when given the CA through Deno's own
 * mechanism (DENO_CERT), and refuses with a message that names the fix when not.
 */

import assert from "node:assert/strict";
import { emulatorOnly, startScenario } from "@postbot/harness";
import { repoPath } from "@postbot/harness/bot";

const ca = Deno.readTextFileSync(repoPath("tests/fixtures/tls/ca.pem"));
const tls = {
  cert: Deno.readTextFileSync(repoPath("tests/fixtures/tls/server.pem")),
  key: Deno.readTextFileSync(repoPath("tests/fixtures/tls/server.key")),
};

Deno.test("bot connects to an https emulator when DENO_CERT names the CA", {
  ignore: emulatorOnly("the emulator serves TLS with a test CA"),
}, async () => {
  const s = await startScenario({
    emulator: { tls },
    caCert: ca,
    env: { DENO_CERT: repoPath("tests/fixtures/tls/ca.pem") },
  });
  try {
    assert.match(s.emu.url, /^https:\/\//);
    const reply = await s.dm(s.world.alice).ask("!help");
    assert.match(reply, /Commands/);
    assert.equal(s.emu.store.connectedSockets(s.world.bot.user.id), 1);
  } finally {
    await s.stop();
  }
});

Deno.test("bot refuses an unknown CA with a clear message and exit status 1", {
  ignore: emulatorOnly("the emulator serves TLS with a test CA"),
}, async () => {
  const s = await startScenario({ emulator: { tls }, startBot: false });
  try {
    const bot = s.spawnBot();
    const code = await bot.exited;
    assert.equal(code, 1);
    assert.match(bot.output, /Cannot reach the Mattermost server/);
    assert.match(bot.output, /certificate/i);
    assert.match(bot.output, /DENO_CERT/);
    assert.doesNotMatch(bot.output, /^\s+at /m, "no stack trace");
  } finally {
    await s.stop();
  }
});
