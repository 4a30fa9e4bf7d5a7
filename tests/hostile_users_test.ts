/**
 * Careless or hostile users (issue 9, sections 2, 3, 4 and the chat side of 6), end to end:
 * a real postbot process against the emulator, users talking to it in DMs.
 *
 * - Private channels: their name, display name and id reach only members (checked live on
 *   the server) and admins — in `!channels`, `!id`, suggestions, the wizard's question,
 *   refusals, previews, reports, `!undo` and group listings.
 * - The audit channel is never a broadcast target, and its posts keep user text inert.
 * - Channel-wide mentions are spelled out in the preview with the member count, and only
 *   `BROADCAST_CHANNEL_MENTIONS` decides who may send them.
 * - Blank messages are answered; invisible characters in group names and aliases are refused.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { type DmUser, type Scenario, startScenario } from "@postbot/harness";
import { BotProcess } from "@postbot/harness/bot";
import { botPostsIn, broadcast } from "./support/broadcasts.ts";

const TOML = `whitelist = ["town-square", "announcements", "managers"]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]

[private_groups]
Board = ["{{managers}}", "{{secret}}"]

[aliases]
all = "All offices"
mgmt = "managers"
`;

/** Everything that would tell a non-member about a private channel of the test world. */
function privateMarks(s: Scenario): RegExp[] {
  const marks: RegExp[] = [];
  for (const name of ["managers", "secret", "bot-log"]) {
    const c = s.world.channels[name];
    marks.push(new RegExp(c.id), new RegExp(`~${name}\\b`, "i"));
    marks.push(new RegExp(`\\b${c.display_name}\\b`));
  }
  return marks;
}

function assertNoLeak(s: Scenario, text: string, what: string): void {
  for (const mark of privateMarks(s)) {
    assert.doesNotMatch(text, mark, `${what} leaks ${mark}:\n${text}`);
  }
}

/** Mentions that would notify people: outside code spans and not defused. */
function activeMentions(text: string): string[] {
  const outsideCode = text.replace(/(`{3,})[\s\S]*?\1/g, "").replace(/`[^`\n]*`/g, "");
  return outsideCode.match(/@[a-z]/gi) ?? [];
}

/**
 * A channel's member count as the server reports it (on a real server Town Square holds every
 * account ever added to the team).
 */
async function memberCount(s: Scenario, channelId: string): Promise<number> {
  const r = await fetch(`${s.url}/api/v4/channels/${channelId}/stats`, {
    headers: { Authorization: `Bearer ${s.world.alice.token}` },
  });
  return (await r.json()).member_count;
}

/** Starts a broadcast of `message` and answers the target question with `answer`. */
async function preview(user: DmUser, message: string, answer: string): Promise<string> {
  const question = await user.ask(message);
  assert.match(question, /Where should I send this/, question);
  return await user.ask(answer);
}

Deno.test("private channels are shown only to their members and to admins", async (t) => {
  const s = await startScenario({
    channelsToml: TOML,
    env: { ADMIN_USERS: "alice" },
    prepare: async (server, world) => {
      await server.addChannelMember(world.channels["managers"].id, world.carol.user.id);
    },
  });
  const bob = s.dm(s.world.bob);
  const carol = s.dm(s.world.carol);
  const alice = s.dm(s.world.alice);
  const managers = s.world.channels["managers"];
  try {
    await t.step("!channels: a non-member sees public channels only", async () => {
      const reply = await bob.ask("!channels");
      assert.match(reply, /Town Square/);
      assertNoLeak(s, reply, "!channels");
      assert.match(reply, /0 private/);
    });

    await t.step("!channels: a member sees the private channel, an admin all", async () => {
      const reply = await carol.ask("!channels");
      assert.match(reply, new RegExp(managers.id));
      assert.doesNotMatch(reply, new RegExp(s.world.channels["bot-log"].id));
      const admin = await alice.ask("!channels");
      assert.match(admin, new RegExp(s.world.channels["bot-log"].id));
      assert.match(admin, new RegExp(managers.id));
    });

    await t.step("membership is checked live: joining and leaving change the answer", async () => {
      await s.server.addChannelMember(managers.id, s.world.bob.user.id);
      assert.match(await bob.ask("!channels"), new RegExp(managers.id));
      await s.server.removeChannelMember(managers.id, s.world.bob.user.id);
      assert.doesNotMatch(await bob.ask("!channels"), new RegExp(managers.id));
    });

    await t.step(
      "!id: private channels are as unknown as missing ones, no suggestions",
      async () => {
        const unknown = await bob.ask("!id no-such-channel");
        assert.match(unknown, /I can't find a channel called/);
        for (
          const query of [
            "managers",
            "Managers",
            "~managers",
            "manager",
            "MANAGERS",
            managers.id,
            "bot-log",
            "Bot Log",
            "bot-lo",
            s.world.channels["bot-log"].id,
            "secret",
            s.world.channels["secret"].id,
          ]
        ) {
          const reply = await bob.ask(`!id ${query}`);
          assert.match(reply, /I can't find a channel called/, `!id ${query}: ${reply}`);
          assertNoLeak(s, reply.replace(query, "QUERY"), `!id ${query}`);
        }
        assert.match(await carol.ask("!id managers"), new RegExp(`Id: \`${managers.id}\``));
        assert.match(await alice.ask("!id manager"), /Did you mean/);
      },
    );

    await t.step("the wizard's question leaves out private whitelisted channels", async () => {
      const question = await bob.ask("Hello offices");
      assertNoLeak(s, question, "the target question");
      assert.doesNotMatch(question, /mgmt/);
      assert.match(question, /All offices/);
      assert.match(await bob.ask("cancel"), /Cancelled/);
      const carols = await carol.ask("Hello offices");
      assert.match(carols, /~managers/);
      assert.match(carols, /`mgmt`/);
      assert.match(await carol.ask("cancel"), /Cancelled/);
    });

    await t.step("refusals and suggestions name no private channel", async () => {
      for (
        const answer of [
          "managers",
          "~managers",
          "Managers",
          "mgmt",
          "manager",
          managers.id,
          s.world.channels["bot-log"].id,
          "bot-log",
          "secret",
          `${managers.id}, town-square`,
        ]
      ) {
        const reply = await preview(bob, "Hello", answer);
        assert.doesNotMatch(reply, /Ready to send/, `${answer}: ${reply}`);
        // The user's own words may be echoed; nothing else about the channel.
        const echoed = answer.split(",").map((t) => t.trim())
          .reduce((text, token) => text.replaceAll(token, "ANSWER"), reply);
        assertNoLeak(s, echoed, `answer ${answer}`);
        assert.match(await bob.ask("cancel"), /Cancelled/);
      }
    });

    await t.step("a private group works by name; its channels are counted, not named", async () => {
      const reply = await preview(bob, "Board update", "board");
      assert.match(reply, /Ready to send to 1 channel:\*\* 1 private channel you are not/);
      assert.match(reply, /1 channel I can't see/);
      assertNoLeak(s, reply, "the preview");
      assert.match(await bob.ask("yes"), /Sending broadcast `(\w+)`/);
      const report = await bob.replyMatching(/Delivered to 1 of 1 channel/);
      assertNoLeak(s, report, "the report");
      assert.equal(
        (await s.postsIn(managers.id)).filter((p) => p.message === "Board update").length,
        1,
      );
      const id = /broadcast `(\w+)`/.exec(report)![1];
      const status = await bob.ask(`!status ${id}`);
      assert.match(status, /1 private channel you are not a member of \(not in the totals\)/);
      assert.match(status, /Totals:\*\* none, since it went only to channels you cannot see/);
      assertNoLeak(s, status, "!status");
      assert.match(await alice.ask(`!status ${id}`), /~managers/);
      // An edit: its question, the refusal of @all and the report name nothing either.
      assert.match(await bob.ask(`!edit ${id}`), /Send me the new text/);
      const wide = await bob.ask("Board update for @all");
      assert.match(wide, /only administrators may broadcast them.*new text again/s);
      const change = await bob.ask("Board update, corrected");
      assert.match(change, /Change broadcast/);
      assertNoLeak(s, change, "the edit question");
      const edited = await bob.ask("yes");
      assert.match(edited, /Edited broadcast/);
      assertNoLeak(s, edited, "the edit report");
      const undo = await bob.ask(`!undo ${id}`);
      assert.match(undo, /from 1 channel: 1 private channel you are not a member of\?/);
      assertNoLeak(s, undo, "the undo question");
      assert.match(await bob.ask("no"), /nothing was deleted/);
      const retry = await bob.ask(`!retry ${id}`);
      assertNoLeak(s, retry, "!retry");
      const history = await bob.ask("!history");
      assertNoLeak(s, history, "!history");
      // The admin sees where it went.
      const adminUndo = await alice.ask(`!undo ${id}`);
      assert.match(adminUndo, /~managers/);
      assert.match(await alice.ask("no"), /nothing was deleted/);
    });

    await t.step("group listings name private channels only to members", async () => {
      const reply = await bob.ask("!get_private_groups");
      assert.match(reply, /Board/);
      assert.match(reply, /1 private channel you are not a member of/);
      assertNoLeak(s, reply, "!get_private_groups");
      const carols = await carol.ask("!get_private_groups");
      assert.match(carols, /Managers/);
      assert.doesNotMatch(carols, new RegExp(s.world.channels["secret"].id));
      const admin = await alice.ask("!get_private_groups");
      assert.match(admin, new RegExp(s.world.channels["secret"].id));
    });
  } finally {
    await s.stop();
  }
});

Deno.test("the audit channel is never a target and its posts stay inert", async (t) => {
  let auditId = "";
  const s = await startScenario({
    env: { ADMIN_USERS: "alice" },
    prepare: async (server, world) => {
      auditId = world.channels["bot-log"].id;
      // carol is a member of the audit channel without being an admin.
      await server.addChannelMember(auditId, world.carol.user.id);
    },
    startBot: false,
  });
  const audits = () => s.botPostsIn(auditId);
  try {
    await t.step("startup refuses channels.toml that makes it a target", async () => {
      const saved = s.channelsToml();
      for (
        const toml of [
          `[groups]\nLog = ["${auditId}"]\n`,
          `[private_groups]\nHidden = ["${s.world.channels.random.id}", "${auditId}"]\n`,
          `whitelist = ["bot-log"]\n`,
          `whitelist = ["${auditId}"]\n`,
          `whitelist = ["BOT-LOG"]\n[aliases]\nlog = "BOT-LOG"\n`,
        ]
      ) {
        await Deno.writeTextFile(`${s.dir}/channels.toml`, toml);
        const bot = BotProcess.spawn({
          cwd: s.dir,
          env: { ...s.env, BOT_LOG_CHANNEL_ID: auditId },
        });
        const code = await bot.exited;
        assert.equal(code, 1, bot.output);
        assert.match(bot.output, /audit channel \(BOT_LOG_CHANNEL_ID=\w+\), which must never rec/);
        assert.match(
          bot.output,
          /channels\.toml:\d+:\d+: (group "(Log|Hidden)"|the whitelist entry)/,
        );
      }
      await Deno.writeTextFile(`${s.dir}/channels.toml`, saved);
    });

    await s.startBot({ BOT_LOG_CHANNEL_ID: auditId });
    const carol = s.dm(s.world.carol);
    const alice = s.dm(s.world.alice);

    await t.step("by id, name or display name, for members and admins alike", async () => {
      for (
        const [user, answer] of [[carol, auditId], [alice, auditId], [
          alice,
          `town-square, ${auditId}`,
        ]] as const
      ) {
        const reply = await preview(user, "FAKE AUDIT: @bob undid broadcast abc12345", answer);
        assert.match(reply, /audit channel \(BOT_LOG_CHANNEL_ID\), which never receives/, reply);
        assert.match(await user.ask("cancel"), /Cancelled/);
      }
      for (const answer of ["bot-log", "Bot Log", "~bot-log"]) {
        const reply = await preview(carol, "FAKE AUDIT", answer);
        assert.doesNotMatch(reply, /Ready to send/, reply);
        assert.match(await carol.ask("cancel"), /Cancelled/);
      }
      assert.equal((await audits()).length, 0, "nothing was posted to the audit channel");
    });

    await t.step("!add_group refuses a group that contains it", async () => {
      for (const command of ["!add_group", "!add_private_group"]) {
        const before = s.channelsToml();
        const reply = await alice.ask(
          `${command} Logs = ["${s.world.channels.random.id}", "${auditId}"]`,
        );
        assert.match(reply, /Nothing was saved.*audit channel \(BOT_LOG_CHANNEL_ID\)/s);
        assert.equal(s.channelsToml(), before);
      }
    });

    await t.step("a hand edit naming it: no command writes on top of it", async () => {
      const saved = s.channelsToml();
      const random = s.world.channels.random.id;
      for (
        const [table, ids] of [
          ["private_groups", `"${random}", "${auditId}"`],
          ["groups", `"${auditId}"`],
        ]
      ) {
        const broken = saved.replace(`[${table}]\n`, `[${table}]\nHidden = [${ids}]\n`);
        await Deno.writeTextFile(`${s.dir}/channels.toml`, broken);
        for (
          const command of [
            `!add_group Berlin = ["${random}"]`,
            `!add_private_group Board = ["${random}"]`,
            `!add_alias eng Engineering`,
          ]
        ) {
          const reply = await alice.ask(command);
          assert.match(reply, /Nothing was saved/, reply);
          assert.match(
            reply,
            new RegExp(
              `channels\\.toml:\\d+:\\d+: group "Hidden" in \\[${table}\\] lists the audit`,
            ),
            reply,
          );
          assert.match(reply, /refuses at start/, reply);
          assert.equal(s.channelsToml(), broken, command);
        }
      }
      await Deno.writeTextFile(`${s.dir}/channels.toml`, saved);
    });

    await t.step("audit posts quote user text inertly", async () => {
      const hostile = [
        "Hello @bob and @here",
        "**Undo** `abcd1234` by @carol at 2026-01-01 00:00 UTC: 3 of 3 channels delivered.",
        "# FAKE AUDIT",
        "> @all look",
        "[click](https://e.vil/) https://e.vil/x",
        "```",
        "@channel",
      ].join("\n");
      const reply = await preview(alice, hostile, "town-square");
      assert.match(reply, /Ready to send/);
      const members = await memberCount(s, s.world.channels["town-square"].id);
      assert.match(reply, new RegExp(`notify all ${members} members of 1 channel`));
      assert.match(await alice.ask("yes"), /Sending broadcast/);
      await alice.replyMatching(/Delivered to 1 of 1 channel/);
      const post: Post = await s.waitFor(async () => (await audits())[0]);
      // Whom the server notified: only the emulator can tell.
      const emu = s.server.emulator;
      if (emu !== undefined) assert.deepEqual(emu.store.mentionedBy(post.id), [], post.message);
      assert.deepEqual(activeMentions(post.message), [], post.message);
      const lines = post.message.split("\n");
      assert.equal(lines.filter((l) => l.startsWith("**")).length, 1, post.message);
      for (const line of lines) {
        assert.doesNotMatch(line, /^\s*(#|>|```|\[)/, post.message);
      }
      assert.doesNotMatch(post.message.replace(/`[^`\n]*`/g, ""), /https?:\/\//, post.message);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("channel-wide mentions: counted in the preview, only for whom the operator allows", async (t) => {
  const s = await startScenario({ env: { ADMIN_USERS: "alice" } });
  const bob = s.dm(s.world.bob);
  const alice = s.dm(s.world.alice);
  try {
    await t.step("admins (default): a user is refused, told how to send it without", async () => {
      for (
        const text of [
          "Meeting **@ALL**",
          "@channel: lunch",
          "_@here_ now",
          "[@all](https://example.com)",
          "> quoted\n> @Here!",
          "hey @all.",
          "`@here` in code counts too",
          // Letters newer than the server's Unicode 15.0 tables are separators to it.
          "\u{105C0}@all all hands",
          "@all\u{105C0}",
          "\u{2EBF0}@channel",
          "\u{16D40}@here",
          "\u{1E5D0}@here",
          // A character reference the server joins to the text before it.
          "@al&#108; hands",
          "@her&#101;!",
          "x\\@all",
        ]
      ) {
        const reply = await bob.ask(text);
        assert.match(reply, /only administrators may broadcast them/, `${text}: ${reply}`);
        assert.match(reply, /remove the @/);
        assert.deepEqual(activeMentions(reply), [], reply);
        // No session was opened: the next message starts afresh.
      }
      const fine = await bob.ask("write to me@here.example or @allison");
      assert.match(fine, /Where should I send this/);
      assert.match(await bob.ask("cancel"), /Cancelled/);
    });

    await t.step("!edit refuses the same texts as a new broadcast", async () => {
      const { id } = await broadcast(bob, "Lunch at noon", "town-square");
      for (const text of ["\u{16D40}@here lunch", "Lunch @channe&#x6C;", "\u{105C0}@ALL"]) {
        assert.match(await bob.ask(`!edit ${id}`), /Send me the new text of broadcast/);
        const reply = await bob.ask(text);
        assert.match(reply, /only administrators may broadcast them/, `${text}: ${reply}`);
        assert.deepEqual(activeMentions(reply), [], reply);
      }
      // The edit still waits for an acceptable text; cancelling leaves the posts as they were.
      assert.match(await bob.ask("cancel"), /Edit stopped; broadcast `[a-z0-9]+` is unchanged/);
      const posts = await botPostsIn(s, s.world.channels["town-square"].id, id);
      assert.deepEqual(posts.map((p) => p.message), ["Lunch at noon"]);
    });

    await t.step("an admin's preview says how many people will be notified", async () => {
      const reply = await preview(alice, "@all the offices close at 3", "all");
      // office-berlin: bot, alice; office-paris: bot, bob; office-rome: bot.
      assert.match(
        reply,
        /it contains `@\u200ball`, so it will notify all 5 members of 3 channels\./,
      );
      assert.deepEqual(activeMentions(reply), [], reply);
      assert.match(await alice.ask("no"), /Cancelled/);
    });
    await s.bot.stop();

    await t.step("none: nobody, admins included", async () => {
      await s.startBot({ BROADCAST_CHANNEL_MENTIONS: "none" });
      assert.match(await alice.ask("@here lunch"), /nobody may broadcast them here/);
      await s.bot.stop();
    });

    await t.step("all: everyone, still counted in the preview", async () => {
      await s.startBot({ BROADCAST_CHANNEL_MENTIONS: "All" });
      const reply = await preview(bob, "@here standup", "town-square");
      const members = await memberCount(s, s.world.channels["town-square"].id);
      assert.match(
        reply,
        new RegExp(
          `\`@\u200bhere\`, so it will notify all ${members} members \\(those online\\) of 1 channel`,
        ),
      );
      assert.match(await bob.ask("no"), /Cancelled/);
      await s.bot.stop();
    });

    await t.step("a bad value is a configuration error", async () => {
      const bot = BotProcess.spawn({
        cwd: s.dir,
        env: { ...s.env, BROADCAST_CHANNEL_MENTIONS: "everyone" },
      });
      assert.equal(await bot.exited, 2, bot.output);
      assert.match(bot.output, /- BROADCAST_CHANNEL_MENTIONS must be one of admins, all, none/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("blank messages are answered; invisible characters in names are refused", async (t) => {
  const s = await startScenario({ env: { ADMIN_USERS: "alice" } });
  const alice = s.dm(s.world.alice);
  const bob = s.dm(s.world.bob);
  try {
    await t.step("a DM of only whitespace or invisible characters gets an answer", async () => {
      for (const text of ["   ", " \n\t ", "\u200b", "\u3000\u00a0", "\u2060\u200d"]) {
        const reply = await bob.ask(text);
        assert.match(reply, /no text I can see.*nothing to broadcast/, JSON.stringify(text));
      }
    });

    await t.step("group names and aliases with invisible or look-alike characters", async () => {
      const id = s.world.channels.random.id;
      for (
        const [command, why] of [
          [`!add_group "All\u200boffices" = ["${id}"]`, /U\+200B/],
          [`!add_group "Office\u202eBerlin" = ["${id}"]`, /right-to-left.*U\+202E/],
          [`!add_group "All\u00a0offices" = ["${id}"]`, /space other than the plain space/],
          [`!add_group "\u0410ll offices" = ["${id}"]`, /mixes Latin, Greek or Cyrillic/],
          [`!add_private_group "Pay\u2066roll" = ["${id}"]`, /U\+2066/],
          [`!add_group "Team\u{E0041}" = ["${id}"]`, /U\+E0041/],
          [`!add_group "Team\u0378" = ["${id}"]`, /not assigned/],
          [`!add_group "Team\u{F0001}" = ["${id}"]`, /private-use/],
          [`!add_group "All\u3164offices" = ["${id}"]`, /invisible/],
          ['!add_alias a\u200bll "All offices"', /U\+200B/],
          ["!add_alias news\u2067 announcements", /U\+2067/],
          ['!add_alias \u0430ll "All offices"', /mixes Latin/],
        ] as const
      ) {
        const before = s.channelsToml();
        const reply = await alice.ask(command);
        assert.match(reply, why, `${command}: ${reply}`);
        assert.doesNotMatch(reply, /Saved/);
        // The echo shows what was hidden instead of hiding it again.
        assert.doesNotMatch(
          reply.replace(/@\u200b/g, "@"),
          /[\u200b\u202e\u2066\u2067\u3164\u{E0041}]/u,
          reply,
        );
        assert.equal(s.channelsToml(), before, command);
      }
      assert.match(
        await alice.ask(`!add_group "Offices \u{1F3E2}" = ["${id}"]`),
        /Saved 1 group/,
      );
    });
  } finally {
    await s.stop();
  }
});
