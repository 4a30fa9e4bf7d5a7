import assert from "node:assert/strict";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld } from "@postbot/mattermost-emulator/testing";
import { MattermostError } from "./mattermost_error.ts";
import { postMessage, sendTo } from "./post_message.ts";
import { RestTransport } from "./rest.ts";
import { Secret } from "./secret.ts";
import { MAX_POST_RUNES } from "./text.ts";

async function withWorld(fn: (t: RestTransport, w: ReturnType<typeof seedWorld>) => Promise<void>) {
  const emu = await startEmulator();
  try {
    const world = seedWorld(emu);
    const transport = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(world.bot.token),
      backoff: { initialMs: 5, maxMs: 20 },
    });
    await fn(transport, world);
  } finally {
    await emu.stop();
  }
}

Deno.test("postMessage sends a notice again after a 502, so it is not lost", async () => {
  await withWorld(async (transport, w) => {
    w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 502, times: 1 });
    await postMessage(sendTo(transport, w.dm.id), "Your broadcast was not sent.");
    const posts = w.emu.store.postsIn(w.dm.id).filter((p) => p.user_id === w.bot.user.id);
    assert.deepEqual(posts.map((p) => p.message), ["Your broadcast was not sent."]);
  });
});

Deno.test("postMessage splits long text and does not retry a 403", async () => {
  await withWorld(async (transport, w) => {
    const long = `${"a".repeat(MAX_POST_RUNES)}\n${"b".repeat(10)}`;
    await postMessage(sendTo(transport, w.dm.id), long);
    assert.equal(w.emu.store.postsIn(w.dm.id).length, 2);
    const before = w.emu.requests.length;
    await assert.rejects(
      postMessage(sendTo(transport, w.secret.id), "not a member"),
      (e) => e instanceof MattermostError && e.status === 403,
    );
    const attempts = w.emu.requests.slice(before).filter((r) => r.path === "/api/v4/posts");
    assert.equal(attempts.length, 1, "a refusal is final");
  });
});
