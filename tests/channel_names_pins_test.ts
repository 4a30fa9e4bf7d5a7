/**
 * Looking a channel up by name, pinned on both backends (the emulator, and the real server
 * under `deno task e2e`): a name the server would never give a channel is refused as a bad
 * URL parameter (400), not "no such channel" (404) -- and the bot, asked for such a name in a
 * targets answer, says it knows no such channel.
 */

import assert from "node:assert/strict";
import { startScenario } from "@postbot/harness";
import { rest } from "./support/server_probe.ts";

Deno.test("a channel name the server could not have made is a 400; a free one a 404", async () => {
  const s = await startScenario({ startBot: false });
  try {
    const byName = (name: string) =>
      rest(s, s.world.bot, "GET", `/teams/${s.world.team.id}/channels/name/${name}`);
    for (const name of ["_foo", "-", "__", "-x"]) {
      const r = await byName(name);
      assert.deepEqual(
        [r.status, r.body.id],
        [400, "api.context.invalid_url_param.app_error"],
        name,
      );
    }
    for (const name of ["foo_", "x__y", "zz-not-there", "a", "a".repeat(65)]) {
      const r = await byName(name);
      assert.deepEqual(
        [r.status, r.body.id],
        [404, "app.channel.get_by_name.missing.app_error"],
        name,
      );
    }
    const odd = await byName("foo.bar");
    assert.deepEqual([odd.status, odd.body.id], [404, "api.context.404.app_error"], "no route");
    for (const name of ["town-square", "Town-Square"]) {
      const r = await byName(name);
      assert.deepEqual([r.status, r.body.name], [200, "town-square"], name);
    }
  } finally {
    await s.stop();
  }
});

Deno.test("a targets answer naming such a channel is told it is unknown, not a failure", async () => {
  const s = await startScenario({});
  try {
    const alice = s.dm(s.world.alice);
    await alice.send("Draft about odd names");
    await alice.replyMatching(/Where should I send this/);
    for (const answer of ["_foo", "-", "~__", "all, -x"]) {
      const reply = await alice.ask(answer);
      assert.doesNotMatch(reply, /went wrong/, answer);
      assert.match(reply, /don't know|not know|unknown|no channel/i, `${answer}: ${reply}`);
    }
  } finally {
    await s.stop();
  }
});
