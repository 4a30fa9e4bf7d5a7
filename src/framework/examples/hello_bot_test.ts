/**
 * The README's hello-world bot is real: the file runs, signs in to the Mattermost emulator and
 * answers `!hello` in a DM; the README shows exactly this file's code.
 */

import assert from "node:assert/strict";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld } from "@postbot/mattermost-emulator/testing";

const HELLO = new URL("./hello_bot.ts", import.meta.url);
const CONFIG = new URL("../../../deno.json", import.meta.url);
const README = new URL("../README.md", import.meta.url);
const VARIABLES = "URL,TOKEN,TEAM_NAME,ALLOWED_USERS,ADMIN_USERS,ALLOWED_BOTS,USER_RATE_LIMIT," +
  "USER_RATE_WINDOW_SECONDS,SESSION_TTL_SECONDS,SESSION_CLEANUP_INTERVAL_SECONDS,LOG_LEVEL," +
  "CONSOLE_LOG_LEVEL,CONSOLE_LOGGING_LEVEL,LOG_FILE";

Deno.test("the hello-world bot answers !hello in a DM, and anything else with a hint", async () => {
  const emu = await startEmulator();
  const dir = await Deno.makeTempDir({ prefix: "hellobot-" });
  const world = seedWorld(emu, { botUsername: "hellobot" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--config",
      CONFIG.pathname,
      "--allow-net=127.0.0.1",
      "--allow-read=.env,logs",
      "--allow-write=logs",
      `--allow-env=${VARIABLES}`,
      HELLO.pathname,
    ],
    cwd: dir,
    clearEnv: true,
    env: { URL: emu.url, TOKEN: world.bot.token, TEAM_NAME: world.team.name, NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const botId = world.bot.user.id;
    const answer = (after: number) =>
      emu.waitFor(
        () =>
          emu.store.postsIn(world.dm.id).find((p) => p.user_id === botId && p.create_at >= after),
        { timeoutMs: 60_000, message: "the bot's answer in the DM" },
      );
    const hello = emu.store.createPost(world.alice.user.id, {
      channel_id: world.dm.id,
      message: "!hello",
    });
    assert.equal((await answer(hello.create_at)).message, "Hello, @alice!");
    await emu.waitFor(() => emu.store.postsIn(world.dm.id).length === 2);
    const other = emu.store.createPost(world.alice.user.id, {
      channel_id: world.dm.id,
      message: "good morning",
    });
    const hint = await emu.waitFor(
      () => emu.store.postsIn(world.dm.id).slice(2).find((p) => p.user_id === botId),
      { timeoutMs: 60_000, message: "the hint" },
    );
    assert.ok(hint.create_at >= other.create_at);
    assert.equal(hint.message, "Send `!hello` and I will say hello.");
    const log = await Deno.readTextFile(`${dir}/logs/bot.log`);
    assert.match(log, /\[INF\] hellobot·bot: Signed in as @hellobot/);
    assert.doesNotMatch(log, new RegExp(world.bot.token));
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    const output = await drain(stderr);
    await emu.stop();
    await Deno.remove(dir, { recursive: true });
    assert.equal(status.code, 0, `hello_bot.ts exited with ${status.code}:\n${output}`);
  }
});

Deno.test("the package README shows the hello-world bot exactly as it is in the file", async () => {
  const code = await Deno.readTextFile(HELLO);
  const body = code.slice(code.indexOf("import {"));
  const readme = await Deno.readTextFile(README);
  assert.ok(readme.includes("```ts\n" + body + "```"), "README.md holds hello_bot.ts's code");
});

async function drain(reader: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    text += chunk.value;
  }
  return text;
}
