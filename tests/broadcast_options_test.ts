/**
 * The options of the preview's answer through the bot process: Mattermost's priority label on
 * every root post delivered (read back from the server), sent without it -- and said so -- when
 * the server refuses it; options after a send time kept until it goes out; hostile options
 * answered clearly, with nothing sent.
 */

import assert from "node:assert/strict";
import { emulatorOnly, startScenario } from "@postbot/harness";
import { rowCounts, showingBotOutput, withLog } from "./support/broadcasts.ts";
import { rest } from "./support/server_probe.ts";
import { broadcastWith, copyFor, copyIn } from "./support/follow_up.ts";

Deno.test("the priority label is on every root post delivered, people and channels", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const sent = await broadcastWith(
        s.dm(alice),
        "Server room flooded",
        "@bob, ~town-square",
        "yes URGENT",
      );
      assert.match(sent.sending, /\(marked urgent\)/);
      assert.doesNotMatch(sent.report, /refused/);
      const bobs = await copyFor(s, bob, sent.id);
      const square = await copyIn(s, s.world.channels["town-square"].id, sent.id);
      for (const [reader, post] of [[bob, bobs], [carol, square]] as const) {
        const read = (await rest(s, reader, "GET", `/posts/${post.id}`)).body;
        assert.equal(read.metadata.priority?.priority, "urgent", `as @${reader.user.username}`);
        assert.equal(read.root_id, "");
      }
      const status = await s.dm(alice).ask(`!status ${sent.id}`);
      assert.match(status, /Priority:\*\* urgent/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test({
  name: "a priority the server refuses: sent without it, and the report says so",
  ignore: emulatorOnly("switches ServiceSettings.PostPriority off (emu.config.postPriority)"),
  fn: async () => {
    const s = await startScenario();
    try {
      await showingBotOutput(s, async () => {
        s.emu.config.postPriority = false;
        const { alice, bob, carol } = s.world;
        const sent = await broadcastWith(
          s.dm(alice),
          "Quarterly numbers",
          "@bob, @carol",
          "yes important",
        );
        assert.match(sent.report, /Delivered to 2 of 2 people/);
        assert.match(
          sent.report,
          /refused the \*\*important\*\* label \(HTTP 403.*went out without it/,
        );
        for (const person of [bob, carol]) {
          const post = await copyFor(s, person, sent.id);
          const read = (await rest(s, person, "GET", `/posts/${post.id}`)).body;
          assert.equal(read.metadata.priority, undefined);
          assert.equal(read.message, "Quarterly numbers");
        }
        // Refused at most once per post in flight at the time (each sent again without it).
        const refused = s.emu.requests.filter((r) =>
          r.method === "POST" && r.path === "/api/v4/posts" && r.status === 403
        ).length;
        assert.ok(refused >= 1 && refused <= 2, `${refused} refusals`);
      });
    } finally {
      await s.stop();
    }
  },
});

Deno.test("options after a send time go out with it", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob } = s.world;
      const dm = s.dm(alice);
      await dm.send("Maintenance window tonight");
      await dm.replyMatching(/Where should I send this/);
      await dm.send("@bob");
      await dm.replyMatching(/Ready to send/);
      const scheduled = await dm.ask("in 3s ack urgent");
      assert.match(
        scheduled,
        /Scheduled broadcast `([a-z0-9]+)`.*asking for acknowledgement, marked urgent/,
      );
      const id = /`([a-z0-9]+)`/.exec(scheduled)![1];
      const post = await s.waitFor(async () => {
        const copies = await s.botPostsIn(s.dmChannel(bob).id);
        return copies.find((p) => p.props?.postbot_broadcast_id === id);
      }, { timeoutMs: 30_000 });
      const read = (await rest(s, bob, "GET", `/posts/${post.id}`)).body;
      assert.equal(read.metadata.priority?.priority, "urgent");
      assert.match(JSON.stringify(read.props.attachments), /react with :white_check_mark:/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("hostile options are answered clearly and nothing is sent", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice } = s.world;
      const dm = s.dm(alice);
      await dm.send("Office party");
      await dm.replyMatching(/Where should I send this/);
      await dm.send("~announcements");
      const preview = await dm.replyMatching(/Ready to send/);
      assert.match(preview, /`ack` asks everyone to confirm/);
      assert.match(preview, /`remind after 24h`/);
      const before = await rowCounts(s);
      const answers: [string, RegExp][] = [
        ["yes please", /I don't know `please` after \*\*yes\*\*.*Nothing was sent/s],
        ["yes @channel", /I don't know `@channel`/],
        ["yes `rm -rf`", /I don't know `/],
        ["yes important urgent", /Choose one label/],
        ["yes ack remind", /After `remind`, say when/],
        ["yes remind after 3s", /too soon: the shortest is 10 seconds/],
        ["yes remind after 45 days", /too far off: the longest is 30 days/],
        ["yes remind after 2 fortnights", /I can't read `2 fortnights` as a duration/],
        ["yes remind after 2constructor", /`constructor` is not a unit I know/],
        ["yes 99999999", /I don't know `99999999`/],
        ["yes 1 2", /number of recipients once/],
        ["at 9:00 ack please", /I don't know `please` after a send time/],
        ["yes " + "ack ".repeat(150), /Please answer \*\*yes\*\*/],
        ["yes \u202eack", /I don't know/],
      ];
      for (const [answer, expected] of answers) {
        const reply = await dm.ask(answer);
        assert.match(reply, expected, answer);
        assert.doesNotMatch(reply, /Sending broadcast/, answer);
      }
      assert.deepEqual(await rowCounts(s), before, "nothing was recorded");
      const sending = await dm.ask("yes ack, important");
      assert.match(sending, /Sending broadcast .*asking for acknowledgement, marked important/);
      const id = /`([a-z0-9]+)`/.exec(sending)![1];
      const options = await withLog(
        s,
        async (db) =>
          (await db.query(
            "SELECT ack_requested, priority, remind_after_ms FROM broadcasts WHERE id = ?",
            [id],
          ))[0],
      );
      assert.deepEqual({ ...options }, {
        ack_requested: 1,
        priority: "important",
        remind_after_ms: null,
      });
    });
  } finally {
    await s.stop();
  }
});

Deno.test("a big send takes its options with the count, and keeps those given with a send time", async () => {
  const s = await startScenario({ env: { BROADCAST_CONFIRM_THRESHOLD: "2" } });
  try {
    await showingBotOutput(s, async () => {
      const dm = s.dm(s.world.alice);
      await dm.send("Evacuation plan");
      await dm.replyMatching(/Where should I send this/);
      await dm.send("@bob, @carol");
      await dm.replyMatching(/Ready to send/);
      assert.match(await dm.ask("yes ack urgent"), /answer \*\*yes ack urgent 2\*\*/);
      assert.match(await dm.ask("yes ack urgent 3"), /3 is not the number.*yes ack urgent 2/);
      assert.match(
        await dm.ask("yes ack urgent 2"),
        /Sending broadcast .*asking for acknowledgement, marked urgent/,
      );
      await dm.replyMatching(/Delivered to 2 of 2 people/, 30_000);

      await dm.send("Evacuation plan, part 2");
      await dm.replyMatching(/Where should I send this/);
      await dm.send("@bob, @carol");
      await dm.replyMatching(/Ready to send/);
      assert.match(await dm.ask("in 2h ack"), /To schedule it for .* answer \*\*yes 2\*\*/);
      assert.match(await dm.ask("yes 2"), /Scheduled broadcast .*asking for acknowledgement/);
      const stored = (await withLog(
        s,
        async (db) => (await db.query("SELECT ack_requested FROM scheduled_broadcasts")),
      )) as { ack_requested: number }[];
      assert.deepEqual(stored.map((r) => r.ack_requested), [1]);
    });
  } finally {
    await s.stop();
  }
});
