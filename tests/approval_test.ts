/**
 * Who may send where, and four eyes before it goes out, end to end: `senders` of a group
 * refuse everyone else at the targets step; a broadcast to a group with `approvers` waits for
 * them (the request in their DM, `approve <id>` / `reject <id> <reason>`, `!pending`), never
 * approved by its sender; one or two approvals; a rejection with a hostile reason; two
 * approvers at once send it once; a restart loses nothing; an edit starts approvals over; a
 * scheduled one keeps its time; `!scheduled` and `!cancel`; requests that lapse.
 */

import assert from "node:assert/strict";
import { type DmUser, type Scenario, startScenario } from "@postbot/harness";
import {
  botPostsIn,
  broadcastIdIn,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";
import { buttonEnv } from "./support/follow_up.ts";
import { BotProcess } from "@postbot/harness/bot";

const CHANNELS_TOML = `# approval tests
whitelist = ["town-square"]

[groups]
Engineering = ["{{engineering}}"]

[groups.Offices]   # bob and carol may send; alice or carol approves
channels = ["{{office-berlin}}", "{{office-paris}}"]
senders = ["bob", "carol"]
approvers = ["alice", "carol"]
approvals = 1

[groups."Two keys"]
channels = ["{{office-rome}}"]
approvers = ["alice", "carol"]
approvals = 2

[groups.Solo]
channels = ["{{announcements}}"]
approvers = ["bob"]

[groups.Closed]
channels = ["{{random}}"]
senders = ["carol"]
`;

function status(s: Scenario, id: string): Promise<string | undefined> {
  return withLog(
    s,
    async (db) =>
      ((await db.query("SELECT status FROM scheduled_broadcasts WHERE id = ?", [id]))[0] as
        | { status: string }
        | undefined)?.status,
  );
}

/** Walks the wizard to the preview and answers it; the bot's answer. */
async function submit(dm: DmUser, message: string, answer: string, yes = "yes", files = 0) {
  await dm.send(message, testFiles(files));
  await dm.replyMatching(/Where should I send this/);
  await dm.send(answer);
  await dm.replyMatching(/Ready to send/);
  await dm.send(yes);
  return await dm.replyMatching(/awaits approval|approval|Scheduled|Sending/);
}

/** Sends a broadcast that needs no approval; its id once delivered. */
async function broadcastTo(dm: DmUser, message: string, answer: string): Promise<string> {
  await dm.send(message);
  await dm.replyMatching(/Where should I send this/);
  await say(dm, answer, /Ready to send/);
  const id = broadcastIdIn(await say(dm, "yes", /Sending|Delivered/));
  await dm.replyMatching(/Delivered/);
  return id;
}

/** Sends `text` and waits for the reply matching `pattern`. */
async function say(dm: DmUser, text: string, pattern: RegExp): Promise<string> {
  await dm.send(text);
  return await dm.replyMatching(pattern);
}

Deno.test("approval", async (t) => {
  const s = await startScenario({ channelsToml: CHANNELS_TOML, startBot: false });
  const { alice, bob, carol, channels } = s.world;
  await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
  const alice_ = s.dm(alice);
  const bob_ = s.dm(bob);
  const carol_ = s.dm(carol);
  const berlin = channels["office-berlin"].id;
  try {
    await showingBotOutput(s, async () => {
      await t.step("a group's senders: others are refused, naming who may send", async () => {
        await bob_.send("Closed shop");
        await bob_.replyMatching(/Where should I send this/);
        const refused = await say(bob_, "Closed", /Please answer again/);
        assert.match(refused, /Only @carol \(and administrators\) may send to group "Closed"/);
        await say(bob_, "cancel", /Cancelled/);
        // A group without senders stays open to everyone; the admin may send anywhere.
        await alice_.send("Admin to closed");
        await alice_.replyMatching(/Where should I send this/);
        await say(alice_, "Closed", /Ready to send/);
        await say(alice_, "no", /Cancelled/);
      });

      await t.step("one approval: requested, never by the sender, sent once", async () => {
        const answer = await submit(bob_, "Office party **Friday**", "Offices", "yes", 1);
        assert.match(answer, /awaits approval: 1 approval of @alice, @carol/);
        const id = broadcastIdIn(answer);
        assert.equal(await status(s, id), "awaiting_approval");
        // Each approver reads the whole preview: who, where, files, the exact text.
        for (const dm of [alice_, carol_]) {
          const request = await dm.replyMatching(/asks for approval/);
          assert.match(request, new RegExp(`@bob asks for approval\\*\\* of broadcast \`${id}\``));
          assert.match(request, /~office-berlin, ~office-paris/);
          assert.match(request, /file-0\.pdf/);
          assert.match(request, /```\nOffice party \*\*Friday\*\*\n```/);
        }
        assert.match(await say(bob_, `approve ${id}`, /own/), /cannot approve your own/);
        assert.match(await say(carol_, "!pending", /awaiting your approval/), new RegExp(id));
        assert.deepEqual(await botPostsIn(s, berlin, id), []);
        const last = await say(carol_, `approve ${id}`, /Approved/);
        assert.match(last, /last approval needed, it goes out now/);
        assert.match(await bob_.replyMatching(/approved/), /approved\*\* by @carol/);
        await s.waitFor(async () => (await botPostsIn(s, berlin, id)).length === 1);
        await bob_.replyMatching(/Delivered/);
        assert.match(await say(alice_, `approve ${id}`, /approved already/), /nothing more/);
        assert.match(await say(carol_, "!pending", /Nothing awaits/), /Nothing/);
      });

      await t.step("two approvals are needed where the group says so", async () => {
        const id = broadcastIdIn(await submit(bob_, "Two keys please", "Two keys"));
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        assert.match(await say(alice_, `approve ${id}`, /Approved/), /\(1 of 2\)/);
        assert.match(await say(alice_, `approve ${id}`, /already/), /decided on/);
        assert.equal(await status(s, id), "awaiting_approval");
        assert.match(await say(carol_, `!approve ${id}`, /Approved/), /last approval/);
        await s.waitFor(async () =>
          (await botPostsIn(s, channels["office-rome"].id, id)).length === 1
        );
        await bob_.replyMatching(/Delivered/);
        const shown = await say(bob_, `!status ${id}`, /Approved by/);
        assert.match(shown, /Approved by @alice at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
        assert.match(shown, /Approved by @carol at/);
      });

      await t.step("administrators see each group's senders and approvers", async () => {
        const groups = await say(alice_, "!get_groups", /groups:/);
        assert.match(
          groups,
          /Offices.*senders: @bob, @carol \(and administrators\); needs 1 approval of @alice, @carol/,
        );
        assert.match(groups, /Two keys.*needs 2 approvals of @alice, @carol/);
        assert.doesNotMatch(await say(bob_, "!get_groups", /groups:/), /senders|approval/);
      });

      await t.step("a sender who is the only approver cannot send there", async () => {
        await bob_.send("Solo act");
        await bob_.replyMatching(/Where should I send this/);
        await say(bob_, "Solo", /Ready to send/);
        const refused = await say(bob_, "yes", /approval/);
        assert.match(refused, /needs 1 approval by its approvers other than you, and only 0/);
        assert.match(await say(bob_, "no", /Cancelled/), /Nothing was sent/);
      });

      await t.step("a rejection ends it, and its hostile reason stays inert", async () => {
        const id = broadcastIdIn(await submit(bob_, "Rejected text", "Offices"));
        await carol_.replyMatching(/asks for approval/);
        await alice_.replyMatching(/asks for approval/);
        assert.match(await say(carol_, `reject ${id}`, /reason/), /give a reason/);
        const hostile = "@all see [this](http://x) **now** ``` `@channel`\u202e";
        assert.match(await say(carol_, `reject ${id} ${hostile}`, /Rejected/), /is told why/);
        const told = await bob_.replyMatching(/rejected/);
        assert.doesNotMatch(told, /(^|[^\u200b])@all\b/);
        assert.doesNotMatch(told, /\n```/);
        assert.match(told, /\\\*\\\*now\\\*\\\*/);
        assert.match(await alice_.replyMatching(/rejected/), /nothing more to decide/);
        assert.equal(await status(s, id), "rejected");
        assert.match(await say(alice_, `approve ${id}`, /rejected/), /will not be sent/);
      });

      await t.step("two approvers at the same moment send it once", async () => {
        const id = broadcastIdIn(await submit(bob_, "Race", "Offices"));
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        await Promise.all([alice_.send(`approve ${id}`), carol_.send(`approve ${id}`)]);
        const answers = await Promise.all([
          alice_.replyMatching(/Approved|approved already/),
          carol_.replyMatching(/Approved|approved already/),
        ]);
        assert.equal(answers.filter((a) => /last approval/.test(a)).length, 1, answers.join("\n"));
        await bob_.replyMatching(/Delivered/, 30_000);
        assert.equal((await botPostsIn(s, berlin, id)).length, 1);
      });

      await t.step("an edit of a sent broadcast waits for approval", async () => {
        const id = broadcastIdIn(await submit(bob_, "Version one", "Offices"));
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        await say(carol_, `approve ${id}`, /last approval/);
        await bob_.replyMatching(/Delivered/);
        const text = async () => (await botPostsIn(s, berlin, id))[0]?.message ?? "";
        await s.waitFor(async () => /Version one/.test(await text()));
        await say(bob_, `!edit ${id}`, /new text/i);
        const preview = await say(bob_, "Version **two** <br>", /Answer \*\*yes\*\*/);
        assert.match(preview, /Ask approval to change broadcast/);
        assert.match(await say(bob_, "yes", /awaits approval/), /keep the old one/);
        for (const dm of [alice_, carol_]) {
          const asked = await dm.replyMatching(/approval of an edit/);
          assert.match(asked, /\*\*Was:\*\*\n```\nVersion one\n```/);
          assert.match(asked, /\*\*Now:\*\*\n```\nVersion \*\*two\*\* <br>\n```/);
          assert.match(asked, /~office-berlin/);
        }
        assert.match(await text(), /Version one/);
        assert.match(await say(bob_, `approve ${id}`, /own/), /cannot approve your own edit/);
        assert.match(await say(carol_, "!pending", /awaiting your approval/), /an \*\*edit\*\*/);
        // Two approvers at once: the posts change once.
        await Promise.all([alice_.send(`approve ${id}`), carol_.send(`approve ${id}`)]);
        const answers = await Promise.all([
          alice_.replyMatching(/Approved the edit|approved already/),
          carol_.replyMatching(/Approved the edit|approved already/),
        ]);
        assert.equal(answers.filter((a) => /last approval/.test(a)).length, 1, answers.join("\n"));
        assert.match(await bob_.replyMatching(/edit .* \*\*approved\*\*/), /Edited broadcast/);
        assert.match(await text(), /Version \*\*two\*\*/);
        assert.equal((await botPostsIn(s, berlin, id)).length, 1);
      });

      await t.step("a rejected edit leaves the posts; withdrawals are told", async () => {
        const id = broadcastIdIn(await submit(bob_, "Stays", "Offices"));
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        await say(alice_, `approve ${id}`, /last approval/);
        await bob_.replyMatching(/Delivered/);
        const text = async () => (await botPostsIn(s, berlin, id))[0]?.message ?? "";
        const edit = async (to: string, replacing = false) => {
          await say(bob_, `!edit ${id}`, /new text/i);
          await say(bob_, to, /Answer \*\*yes\*\*/);
          await say(bob_, "yes", /awaits approval/);
          for (const dm of [carol_, alice_]) {
            if (replacing) {
              assert.match(await dm.replyMatching(/withdrew the edit/), /newer edit replaced it/);
            }
            await dm.replyMatching(new RegExp(`approval of an edit[\\s\\S]*${to}`));
          }
        };
        await edit("Rejected change");
        await say(carol_, `reject ${id} not @channel today`, /Rejected the edit/);
        const told = await bob_.replyMatching(/rejected\*\* the edit/);
        assert.match(told, /keep the old text/);
        assert.doesNotMatch(told, /(^|[^\u200b])@channel\b/);
        assert.match(await alice_.replyMatching(/rejected the edit/), /nothing more/);
        assert.match(await text(), /Stays/);
        // A newer edit replaces one awaiting, and `!cancel` withdraws one: approvers are told.
        await edit("Replaced change");
        await edit("Withdrawn change", true);
        assert.match(await say(bob_, `!cancel ${id}`, /Withdrew/), /keep their text/);
        assert.match(await alice_.replyMatching(/withdrew the edit/), /nothing to decide/);
        assert.match(await say(carol_, `approve ${id}`, /withdrawn/), /nothing to decide/);
        assert.match(await text(), /Stays/);
        // Across a restart, an awaiting edit keeps waiting and is applied once approved.
        await edit("After restart");
        assert.equal(await s.bot.stop(), 0);
        await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
        await say(carol_, `approve ${id}`, /last approval/);
        await s.waitFor(async () => /After restart/.test(await text()));
        // `!undo` needs no approval.
        await say(bob_, `!undo ${id}`, /Answer \*\*yes\*\*/);
        await say(bob_, "yes", /Deleted|deleted/);
        await s.waitFor(async () => (await botPostsIn(s, berlin, id)).length === 0);
      });

      await t.step("an edit starts the approvals over", async () => {
        const id = broadcastIdIn(await submit(bob_, "First text", "Two keys"));
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        await say(alice_, `approve ${id}`, /1 of 2/);
        await say(bob_, `!edit ${id}`, /new text/i);
        await say(bob_, "Second text", /Answer \*\*yes\*\*/);
        assert.match(await say(bob_, "yes", /approvals start over/), /new preview/);
        assert.match(await carol_.replyMatching(/asks for approval/), /Second text/);
        const again = await alice_.replyMatching(/asks for approval/);
        assert.match(again, /@bob \*\*changed\*\* broadcast `[a-z0-9]+` since you were asked/);
        assert.match(again, /approve [a-z0-9]+` now approves the text below/);
        assert.match(await say(carol_, `approve ${id}`, /Approved/), /1 of 2/);
        assert.match(await say(alice_, `approve ${id}`, /Approved/), /last approval/);
        const posts = await s.waitFor(async () => {
          const found = await botPostsIn(s, channels["office-rome"].id, id);
          return found.length === 1 ? found : undefined;
        });
        assert.match(posts[0].message, /Second text/);
      });

      await t.step("a scheduled broadcast, approved, keeps its time", async () => {
        const answer = await submit(bob_, "Later please", "Offices", "in 2 hours");
        const id = broadcastIdIn(answer);
        assert.match(answer, /awaits approval/);
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        assert.match(await say(bob_, "!scheduled", /scheduled broadcast/), /awaiting approval/);
        assert.match(
          await say(bob_, `!status ${id}`, /not gone out yet/),
          /awaits approval \(1 approval of @alice, @carol/,
        );
        assert.match(await say(alice_, `approve ${id}`, /Approved/), /goes out \*\*/);
        assert.equal(await status(s, id), "scheduled");
        assert.doesNotMatch(await say(bob_, "!scheduled", /scheduled broadcast/), /awaiting/);
        await say(bob_, `!cancel ${id}`, /Answer \*\*yes\*\*/);
        await say(bob_, "yes", /Cancelled/);
      });

      await t.step("!cancel withdraws an awaiting broadcast; a restart loses nothing", async () => {
        const gone = broadcastIdIn(await submit(bob_, "Withdrawn", "Offices"));
        await alice_.replyMatching(/asks for approval/);
        await carol_.replyMatching(/asks for approval/);
        await say(bob_, `!cancel ${gone}`, /Answer \*\*yes\*\*/);
        await say(bob_, "yes", /Cancelled/);
        // Approvers asked about it are told it was withdrawn.
        for (const dm of [alice_, carol_]) {
          assert.match(
            await dm.replyMatching(/withdrew broadcast/),
            new RegExp(`${gone}.*nothing to decide`),
          );
        }
        assert.match(await say(carol_, `approve ${gone}`, /withdrawn/), /nothing to decide/);
        const id = broadcastIdIn(await submit(bob_, "Across a restart", "Offices"));
        await carol_.replyMatching(/asks for approval/);
        assert.equal(await s.bot.stop(), 0);
        await s.startBot({ BOT_LOG_CHANNEL_ID: channels["bot-log"].id });
        assert.equal(await status(s, id), "awaiting_approval");
        assert.match(await say(carol_, `approve ${id}`, /Approved/), /last approval/);
        await s.waitFor(async () => (await botPostsIn(s, berlin, id)).length === 1);
      });

      await t.step("the audit channel says who approved and who rejected", async () => {
        const audit = (await s.botPostsIn(channels["bot-log"].id)).map((p) => p.message)
          .join("\n");
        // Names in audit lines are inert (code, a zero-width space after the @).
        const by = (who: string) => `\`@\u200b${who}\``;
        assert.match(
          audit,
          new RegExp(
            `\\*\\*Approved\\*\\* \`[a-z0-9]+\` by ${by("carol")} \\(sent by ${by("bob")}\\)`,
          ),
        );
        assert.match(audit, new RegExp(`\\*\\*Rejected\\*\\* \`[a-z0-9]+\` by ${by("carol")}`));
        assert.match(
          audit,
          new RegExp(`\\*\\*Awaiting approval\\*\\* \`[a-z0-9]+\` by ${by("bob")}`),
        );
      });
    });
  } finally {
    await s.stop();
  }
});

Deno.test("approval requests lapse after APPROVAL_TTL_SECONDS", async () => {
  const s = await startScenario({
    channelsToml: CHANNELS_TOML,
    env: { APPROVAL_TTL_SECONDS: "2" },
  });
  const { alice, bob, carol } = s.world;
  try {
    await showingBotOutput(s, async () => {
      const [alice_, bob_, carol_] = [s.dm(alice), s.dm(bob), s.dm(carol)];
      const id = broadcastIdIn(await submit(bob_, "Too slow", "Offices"));
      assert.match(await bob_.replyMatching(/not approved in time/), new RegExp(id));
      assert.match(await alice_.replyMatching(/expired/), /nothing more to decide/);
      assert.match(await carol_.replyMatching(/expired/), new RegExp(id));
      assert.equal(await status(s, id), "expired");
      assert.match(await say(carol_, `approve ${id}`, /expired/), /will not be sent/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("an edit awaiting approval lapses; approvers named after the send count", async () => {
  const s = await startScenario({
    channelsToml: CHANNELS_TOML,
    env: { APPROVAL_TTL_SECONDS: "2" },
  });
  const { alice, bob, carol, channels } = s.world;
  const engineering = channels.engineering.id;
  try {
    await showingBotOutput(s, async () => {
      const [alice_, bob_, carol_] = [s.dm(alice), s.dm(bob), s.dm(carol)];
      await bob_.send("Before the rules");
      await bob_.replyMatching(/Where should I send this/);
      await say(bob_, "Engineering", /Ready to send/);
      const id = broadcastIdIn(await say(bob_, "yes", /Sending|Delivered/));
      await bob_.replyMatching(/Delivered/);
      // The operator gives the group approvers afterwards: an edit now needs them.
      assert.equal(await s.bot.stop(), 0);
      await Deno.writeTextFile(
        `${s.dir}/channels.toml`,
        s.channelsToml().replace(
          `Engineering = ["${engineering}"]`,
          `Engineering = { channels = ["${engineering}"], approvers = ["alice", "carol"] }`,
        ),
      );
      await s.startBot();
      await say(bob_, `!edit ${id}`, /new text/i);
      await say(bob_, "Too late", /Ask approval/);
      await say(bob_, "yes", /awaits approval/);
      assert.match(await bob_.replyMatching(/not approved in time/), /keep the old text/);
      assert.match(await alice_.replyMatching(/edit .* expired/), /nothing more to decide/);
      assert.match(await carol_.replyMatching(/edit .* expired/), new RegExp(id));
      assert.match(await say(carol_, `approve ${id}`, /expired/), /nothing to decide/);
      const posts = await botPostsIn(s, engineering, id);
      assert.match(posts[0].message, /Before the rules/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("an Approve button, where ACTIONS_URL is set; forged clicks are refused", async () => {
  const { env, actions } = buttonEnv();
  const s = await startScenario({ channelsToml: CHANNELS_TOML, env });
  const { alice, bob, carol, channels } = s.world;
  try {
    await showingBotOutput(s, async () => {
      const [bob_, carol_] = [s.dm(bob), s.dm(carol)];
      const id = broadcastIdIn(await submit(bob_, "By button", "Offices"));
      await carol_.replyMatching(/asks for approval/);
      const button = await s.waitFor(async () =>
        (await carol_.botPosts()).find((p) =>
          JSON.stringify(p.props?.attachments ?? []).includes("postbotapprove")
        )
      );
      const approveUrl = actions.replace("/actions/ack", "/actions/approve");
      const post = (body: unknown) =>
        fetch(approveUrl, { method: "POST", body: JSON.stringify(body) }).then(async (r) => {
          await r.body?.cancel();
          return r.status;
        });
      // A token made for carol is worth nothing in alice's name, and a made-up one nothing.
      const forged = { user_id: alice.user.id, context: { broadcast: id, round: 0, token: "x" } };
      assert.equal(await post(forged), 403);
      assert.equal(await post({ user_id: alice.user.id }), 400);
      assert.equal(await status(s, id), "awaiting_approval");
      const clicked = await s.server.clickButton(carol.user.id, button.id, "postbotapprove");
      assert.equal(clicked.status, 200, JSON.stringify(clicked.body));
      assert.match(await bob_.replyMatching(/approved/), /approved\*\* by @carol/);
      await s.waitFor(async () =>
        (await botPostsIn(s, channels["office-berlin"].id, id)).length === 1
      );
    });
  } finally {
    await s.stop();
  }
});

Deno.test("!add_group takes the table form, checked as at startup, comments kept", async () => {
  const s = await startScenario({ channelsToml: CHANNELS_TOML });
  const { alice, bob, carol, channels } = s.world;
  const rome = channels["office-rome"].id;
  try {
    await showingBotOutput(s, async () => {
      const [alice_, bob_, carol_] = [s.dm(alice), s.dm(bob), s.dm(carol)];
      const bad = await say(
        alice_,
        `!add_group Board = { channels = ["${rome}"], approver = ["carol"] }`,
        /unknown key/,
      );
      assert.match(bad, /"approver"/);
      assert.match(bad, /channels = \["town-square"\]/);
      const few = await say(
        alice_,
        `!add_group Board = { channels = ["${rome}"], approvers = ["carol"], approvals = 2 }`,
        /approvals = 2/,
      );
      assert.match(few, /only 1 approvers are named/);
      const saved = await say(
        alice_,
        `!add_group Board = { channels = ["${rome}"], senders = ["bob"], approvers = ["carol"] }`,
        /Saved/,
      );
      assert.match(saved, /Board/);
      const toml = s.channelsToml();
      assert.match(toml, /^# approval tests$/m);
      assert.match(toml, /# bob and carol may send; alice or carol approves/);
      assert.match(
        toml,
        new RegExp(
          `"Board" = \\{ channels = \\["${rome}"\\], senders = \\["bob"\\], ` +
            `approvers = \\["carol"\\], approvals = 1 \\}`,
        ),
      );
      const id = broadcastIdIn(await submit(bob_, "To the board", "Board"));
      assert.match(await carol_.replyMatching(/asks for approval/), /To the board/);
      await say(bob_, `!cancel ${id}`, /Answer \*\*yes\*\*/);
      await say(bob_, "yes", /Cancelled/);
      // Channels by name, in either form; a name no channel answers to is refused.
      const unknown = await say(
        alice_,
        '!add_group Named = ["office-berlin", "no-such-room"]',
        /Nothing/,
      );
      assert.match(unknown, /can't see 1 channel in this team: `no-such-room`/);
      assert.match(
        await say(
          alice_,
          '!add_group Named = { channels = ["office-berlin", "~office-paris"] }',
          /Saved/,
        ),
        /Office Berlin.*Office Paris/i,
      );
      assert.match(s.channelsToml(), /"Named" = \["office-berlin", "~office-paris"\]/);
      const sent = await broadcastTo(bob_, "By name", "Named");
      for (const office of ["office-berlin", "office-paris"]) {
        await s.waitFor(async () => (await botPostsIn(s, channels[office].id, sent)).length === 1);
      }
    });
  } finally {
    await s.stop();
  }
});

Deno.test("unknown senders and approvers: startup refuses the file, !add_group the group", async () => {
  const s = await startScenario({ channelsToml: CHANNELS_TOML, startBot: false });
  const { alice, channels } = s.world;
  const rome = channels["office-rome"].id;
  try {
    const good = s.channelsToml();
    // A typo, and a bot: neither is an active person of the team.
    await Deno.writeTextFile(
      `${s.dir}/channels.toml`,
      good.replace(
        'approvers = ["alice", "carol"]\napprovals = 2',
        'approvers = ["alice", "carrol"]\napprovals = 1',
      ) +
        `\n[lists.Bots]\npeople = ["alice"]\nsenders = ["${s.world.bot.user.username}"]\n`,
    );
    const bot = BotProcess.spawn({ cwd: s.dir, env: s.env });
    assert.equal(await bot.exited, 1, bot.output);
    assert.match(
      bot.output,
      /channels\.toml:\d+:\d+: group "Two keys" in \[groups\]: approvers names "carrol", who is not an active person of the team/,
    );
    assert.match(bot.output, /list "Bots" in \[lists\]: senders names "[^"]+", who is not/);
    await Deno.writeTextFile(
      `${s.dir}/channels.toml`,
      good.replace('Engineering = ["', 'Engineering = ["no-such-room", "'),
    );
    const named = BotProcess.spawn({ cwd: s.dir, env: s.env });
    assert.equal(await named.exited, 1, named.output);
    assert.match(
      named.output,
      /group "Engineering" in \[groups\] names the channel "no-such-room", which is no channel/,
    );
    await Deno.writeTextFile(`${s.dir}/channels.toml`, good);
    await s.startBot();
    await showingBotOutput(s, async () => {
      const alice_ = s.dm(alice);
      const refused = await say(
        alice_,
        `!add_group Board = { channels = ["${rome}"], approvers = ["carol", "nobody-here"] }`,
        /Nothing was saved/,
      );
      assert.match(refused, /approvers names "nobody-here", who is not an active person/);
      assert.doesNotMatch(s.channelsToml(), /Board/);
    });
  } finally {
    await s.stop();
  }
});
