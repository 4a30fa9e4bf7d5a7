import assert from "node:assert/strict";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld, until } from "@postbot/mattermost-emulator/testing";
import { Bot } from "./bot.ts";
import { readBotConfig } from "./config.ts";
import { EnvReader } from "./env_reader.ts";
import { Secret } from "./secret.ts";
import { MattermostSocket } from "./websocket.ts";

Deno.test("an upgrade nobody answers is abandoned and retried", async () => {
  // Accepts TCP connections and never says a word: a proxy stuck during a server restart.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  const reasons: string[] = [];
  const socket = new MattermostSocket({
    serverUrl: `http://127.0.0.1:${port}`,
    token: new Secret("t"),
    connectTimeoutMs: 150,
    backoff: { initialMs: 10, maxMs: 20 },
    onEvent: () => {},
    onDisconnected: (reason) => reasons.push(reason),
  });
  try {
    socket.start();
    await until(() => accepted.length >= 2 || undefined, "a second connection attempt");
    assert.ok(accepted.length >= 2, "it tried again after giving up");
    assert.match(reasons[0] ?? "", /no answer to the WebSocket upgrade within 150 ms/);
    assert.equal(socket.connected, false);
  } finally {
    socket.stop();
    listener.close();
    for (const conn of accepted) conn.close();
    await accepting.catch(() => {});
  }
});

Deno.test("Bot.start gives up with a readable reason when the WebSocket never connects", async () => {
  const emu = await startEmulator();
  try {
    const world = seedWorld(emu);
    const config = readBotConfig(
      new EnvReader((name) =>
        ({ URL: emu.url, TOKEN: world.bot.token, TEAM_NAME: world.team.name })[name]
      ),
    );
    // Every upgrade is refused, as by a proxy that does not pass WebSockets.
    emu.faults.failRequests({ path: "/websocket", status: 400, times: 1_000 });
    const connected = await Bot.connect({ ...config, token: new Secret(world.bot.token) }, {
      reconnectBackoff: { initialMs: 10, maxMs: 50 },
    });
    if (!connected.ok) assert.fail(connected.error.message);
    const started = await connected.value.start(500);
    assert.equal(started.ok, false);
    if (!started.ok) {
      assert.match(started.error.message, /did not connect within \d+ s/);
      assert.match(started.error.message, /proxy/);
      assert.doesNotMatch(started.error.message, new RegExp(world.bot.token));
    }
    await connected.value.stop();
  } finally {
    await emu.stop();
  }
});
