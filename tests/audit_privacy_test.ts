/**
 * The audit channel's readers are not the members of every channel: a broadcast that went to
 * private channels shows there with its id, who, when and counts, never with its text, its
 * file names, or a private channel's name or id -- on every path that writes an audit line:
 * send, retry, edit, undo, scheduled, edit of a scheduled one, cancel, scheduled and sent,
 * scheduled and failed, aborted.
 */

import assert from "node:assert/strict";
import type { Channel } from "@mattermost/types/channels";
import { type DmUser, emulatorOnly, startScenario } from "@postbot/harness";
import { botPostsIn, broadcastIdIn, showingBotOutput, testFiles } from "./support/broadcasts.ts";

const CHANNELS_TOML = `# audit privacy test
whitelist = ["town-square", "announcements"]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]

[private_groups]
Hush = ["{{x-vault}}", "{{x-den}}"]
`;

/** What no audit line may contain: the private channels' names and ids, the texts, files. */
const SECRET_WORDS = /x-vault|x-den|x-tomb|hidden words|plan-of-record/i;

async function toPreview(dm: DmUser, message: string, answer: string, files = testFiles(0)) {
  await dm.send(message, files);
  await dm.replyMatching(/Where should I send this/);
  await dm.send(answer);
  return await dm.replyMatching(/Ready to send/);
}

Deno.test("the audit channel never shows what went to private channels", async (t) => {
  const env: Record<string, string> = {};
  const s = await startScenario({
    env,
    channelsToml: CHANNELS_TOML,
    prepare: async (server, world) => {
      env.BOT_LOG_CHANNEL_ID = world.channels["bot-log"].id;
      const add = world.channels as Record<string, Channel>;
      for (const name of ["x-vault", "x-den", "x-tomb"]) {
        add[name] = await server.createChannel(
          { team_id: world.team.id, name, display_name: name.toUpperCase(), type: "P" },
          [world.bot.user.id, world.alice.user.id],
        );
      }
    },
  });
  const { alice, channels: ch } = s.world;
  const privateIds = [ch["x-vault"].id, ch["x-den"].id, ch["x-tomb"].id];
  const audits = async () => (await botPostsIn(s, ch["bot-log"].id)).map((p) => p.message);
  /** The audit line of `action` for broadcast `id`, checked for every secret. */
  const line = async (action: string, id: string) => {
    const text = await s.waitFor(
      async () => (await audits()).find((m) => m.startsWith(`**${action}** \`${id}\``)),
      { timeoutMs: 30_000, message: `no ${action} audit line for ${id}` },
    );
    assert.doesNotMatch(text, SECRET_WORDS);
    for (const channelId of privateIds) assert.equal(text.includes(channelId), false, text);
    return text;
  };
  const withheld = /_\(withheld: a private channel is among its channels\)_/;
  const alice_ = s.dm(alice);
  try {
    await showingBotOutput(s, async () => {
      let id = "";
      await t.step("send, retry, edit and undo", async () => {
        const files = testFiles(1, "plan-of-record");
        await toPreview(alice_, "The hidden words", "hush", files);
        // The bot is taken out of one channel before the yes: that delivery fails.
        await s.server.removeChannelMember(ch["x-den"].id, s.world.bot.user.id);
        await alice_.send("yes");
        id = broadcastIdIn(await alice_.replyMatching(/Sending broadcast/));
        assert.match(
          await alice_.replyMatching(/Delivered to/, 30_000),
          /Delivered to 1 of 2 channels/,
        );
        const first = await line("Broadcast", id);
        assert.match(
          first,
          /1 of 2 channels delivered, 1 failed \(2 private channels among them\)/,
        );
        assert.match(first, /Failed: 1 private channel/);
        assert.match(first, new RegExp(`Message: ${withheld.source}`));
        assert.match(first, /Files: 1 \(names withheld\)/);

        await s.server.addChannelMember(ch["x-den"].id, s.world.bot.user.id);
        assert.match(await alice_.ask(`!retry ${id}`), /Retrying broadcast/);
        await alice_.replyMatching(/Retry finished/);
        assert.match(await line("Retry", id), /2 of 2 channels delivered/);

        await alice_.ask(`!edit ${id}`);
        await alice_.ask("The hidden words, corrected");
        assert.match(await alice_.ask("yes"), /Edited broadcast .* in 2 of 2 channels/);
        const edit = await line("Edit", id);
        assert.match(edit, new RegExp(`Before: ${withheld.source}\nAfter: ${withheld.source}`));

        await alice_.ask(`!undo ${id}`);
        assert.match(await alice_.ask("yes"), /Deleted broadcast/);
        assert.match(await line("Undo", id), /0 of 2 channels delivered, 2 deleted/);
      });

      await t.step("scheduled, edited while waiting, cancelled", async () => {
        await toPreview(alice_, "The hidden words, later", "hush");
        const later = broadcastIdIn(await alice_.ask("in 2 hours"));
        assert.match(await line("Scheduled", later), new RegExp(`Message: ${withheld.source}`));
        await alice_.ask(`!edit ${later}`);
        await alice_.ask("The hidden words, later still");
        assert.match(await alice_.ask("yes"), /now has the new text/);
        assert.match(await line("Edit", later), new RegExp(`Before: ${withheld.source}`));
        await alice_.ask(`!cancel ${later}`);
        assert.match(await alice_.ask("yes"), /Cancelled scheduled broadcast/);
        await line("Cancelled", later);
      });

      await t.step("scheduled and sent; scheduled and failed", async () => {
        await toPreview(alice_, "The hidden words, soon", "hush");
        const soon = broadcastIdIn(await alice_.ask("in 2 s"));
        await alice_.replyMatching(new RegExp(`Delivered to .*${soon}`), 30_000);
        assert.match(await line("Broadcast", soon), new RegExp(`Message: ${withheld.source}`));

        // Named by its id, then archived before its time: the sender hears which, the audit
        // channel only that its channels lead nowhere.
        await toPreview(alice_, "The hidden words, to a tomb", ch["x-tomb"].id);
        const tomb = broadcastIdIn(await alice_.ask("in 4 s"));
        await s.server.archiveChannel(ch["x-tomb"].id);
        assert.match(await alice_.replyMatching(/was not sent/, 30_000), /archived/);
        assert.match(
          await line("Scheduled broadcast not sent", tomb),
          /none of its channels can be reached any more \(1 name of its answer lead/,
        );
      });

      await t.step({
        name: "aborted: the files could not be had",
        ignore: emulatorOnly("file downloads refused (injected 404)"),
        fn: async () => {
          await alice_.send("The hidden words, with a file", testFiles(1, "plan-of-record"));
          await alice_.replyMatching(/Where should I send this/);
          await alice_.send("hush");
          await alice_.replyMatching(/Ready to send/);
          s.emu.faults.failRequests({
            method: "GET",
            path: "/files/{file_id}",
            status: 404,
            times: 10,
          });
          try {
            await alice_.send("yes");
            const aborted = broadcastIdIn(await alice_.replyMatching(/Nothing was sent/));
            await line("Aborted broadcast", aborted);
          } finally {
            s.emu.faults.clear();
          }
        },
      });

      await t.step("no audit line at all names a private channel or shows its text", async () => {
        const all = (await audits()).join("\n");
        assert.doesNotMatch(all, SECRET_WORDS);
        for (const channelId of privateIds) assert.equal(all.includes(channelId), false);
      });
    });
  } finally {
    await s.stop();
  }
});
