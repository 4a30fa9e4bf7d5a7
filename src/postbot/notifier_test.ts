import assert from "node:assert/strict";
import { RestTransport, Secret } from "@postbot/framework";
import { MAX_POST_RUNES, runeLength } from "@postbot/framework/text";
import { withWorld } from "@postbot/mattermost-emulator/testing";
import { Notifier } from "./notifier.ts";

Deno.test("Notifier", (t) =>
  withWorld(async ({ emu, bot, alice, team, dm }) => {
    const s = emu.store;
    const log = s.createChannel({ team_id: team.id, name: "bot-log", type: "P" });
    s.addChannelMember(log.id, bot.user.id);
    const transport = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(bot.token),
      backoff: { initialMs: 5, maxMs: 20 },
    });
    const notifier = new Notifier(transport, bot.user.id, log.id);

    await t.step("dm opens the DM channel once and posts there", async () => {
      assert.equal((await notifier.dm(alice.user.id, "hello")).ok, true);
      assert.equal((await notifier.dm(alice.user.id, "again")).ok, true);
      assert.deepEqual(s.postsIn(dm.id).map((p) => p.message), ["hello", "again"]);
      assert.equal(
        emu.requests.filter((r) => r.method === "POST" && r.path === "/api/v4/channels/direct")
          .length,
        1,
      );
    });

    await t.step(
      "a long report is split into posts under the size limit, nothing lost",
      async () => {
        const lines = Array.from(
          { length: 800 },
          (_, i) => `- ~channel-${i} (Channel ${i}): the bot is not a member of ~channel-${i}`,
        );
        const text = `**Delivered to 0 of 800 channels**\n${lines.join("\n")}`;
        assert.ok(runeLength(text) > MAX_POST_RUNES);
        assert.equal(await notifier.audit(text), undefined);
        const posts = s.postsIn(log.id).filter((p) => !p.type.startsWith("system_")).map((p) =>
          p.message
        );
        assert.ok(posts.length >= 2, `${posts.length} posts`);
        for (const p of posts) assert.ok(runeLength(p) <= MAX_POST_RUNES);
        assert.equal(posts.join("\n"), text);
      },
    );

    await t.step("failures are returned as problems, never thrown", async () => {
      const outsider = s.createChannel({ team_id: team.id, name: "closed", type: "P" });
      const posted = await notifier.post(outsider.id, "x");
      assert.ok(!posted.ok);
      assert.match(posted.error.message, new RegExp(`Could not post to channel ${outsider.id}`));
      const stranger = s.createUser({ username: "stranger" });
      emu.faults.failRequests({ method: "POST", path: "/channels/direct", status: 403 });
      const sent = await notifier.dm(stranger.user.id, "x");
      assert.ok(!sent.ok);
      assert.match(sent.error.message, /Could not open a DM/);
    });

    await t.step("without an audit channel, audit does nothing", async () => {
      const before = emu.requests.length;
      await new Notifier(transport, bot.user.id, "").audit("x");
      assert.equal(emu.requests.length, before);
    });
  }));
