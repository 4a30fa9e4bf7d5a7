/**
 * The broadcast wizard end to end: a real postbot process against the emulator, users talking
 * to it in DMs. One scenario is shared by independent steps; each step uses its own user(s)
 * and leaves their session closed.
 */

import assert from "node:assert/strict";
import { emulatorOnly, type Person, type Scenario, startScenario } from "@postbot/harness";
import {
  assertRelayed,
  botPostsIn,
  broadcast,
  broadcastIdIn,
  integrity,
  rowCounts,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";

const BULK = 30;

const CHANNELS_TOML = `# wizard test
whitelist = ["town-square", "announcements", ${
  Array.from({ length: BULK }, (_, i) => `"bulk-${i}"`).join(", ")
}]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]
Engineering = ["{{engineering}}", "{{town-square}}"]

[private_groups]
Managers = ["{{managers}}"]

[aliases]
all = "All offices"
`;

const HELPERS = [
  "dave",
  "erin",
  "frank",
  "grace",
  "heidi",
  "ivan",
  "judy",
  "ken",
  "leo",
  "mike",
  "nina",
  "olga",
];

/** What the channels show for a message sent with BROADCAST_ATTRIBUTION=footer. */
function posted(message: string, username: string): string {
  const footer = `_Sent by @${username} via postbot_`;
  return message.trim() === "" ? footer : `${message}\n\n${footer}`;
}

Deno.test("broadcast wizard", async (t) => {
  const people: Record<string, Person> = {};
  const env: Record<string, string> = {
    SESSION_TTL_SECONDS: "10",
    SESSION_CLEANUP_INTERVAL_SECONDS: "1",
    BROADCAST_ATTRIBUTION: "footer",
    // The mention step relays @channel verbatim: everyone may (hostile_users_test covers the
    // default, admins only).
    BROADCAST_CHANNEL_MENTIONS: "all",
  };
  const s: Scenario = await startScenario({
    env,
    bulkChannels: BULK,
    channelsToml: CHANNELS_TOML,
    prepare: async (server, world) => {
      env.BOT_LOG_CHANNEL_ID = world.channels["bot-log"].id;
      const names = [...HELPERS, ...Array.from({ length: 30 }, (_, i) => `user${i}`)];
      for (const username of names) {
        const created = await server.createUser({ username });
        await server.addTeamMember(world.team.id, created.user.id);
        people[username] = created;
      }
      await server.addChannelMember(world.channels.random.id, people.erin.user.id);
    },
  });
  const ch = s.world.channels;
  try {
    await t.step(
      "a DM starts a broadcast; the question lists public groups and aliases only",
      () =>
        showingBotOutput(s, async () => {
          const alice = s.dm(s.world.alice);
          const question = await alice.ask("Lunch is served");
          assert.match(question, /^Where should I send this\? /);
          assert.match(question, /All offices \(3\)/);
          assert.match(question, /Engineering \(2\)/);
          assert.match(question, /`all` → All offices/);
          assert.match(question, /~town-square, ~announcements/);
          assert.doesNotMatch(question, /managers/i, "private groups are never listed");
          assert.match(await alice.ask("cancel"), /Cancelled\. Nothing was sent\./);
        }),
    );

    await t.step(
      "commands mid-wizard run normally and leave the wizard where it was",
      () =>
        showingBotOutput(s, async () => {
          const bob = s.dm(s.world.bob);
          assert.match(await bob.ask("Team meeting at 3"), /Where should I send this/);
          const help = await bob.ask("!help");
          assert.match(help, /`!history/);
          assert.match(await bob.ask("!history"), /not sent any broadcasts yet/);
          const preview = await bob.ask("all");
          assert.match(preview, /Ready to send to 3 channels/);
          assert.match(preview, /> Team meeting at 3/);
          assert.match(await bob.ask("!history 3"), /not sent any broadcasts yet/);
          assert.match(await bob.ask("!nonsense"), /I don't know the command `!nonsense`/);
          await bob.send("yes");
          const id = broadcastIdIn(await bob.replyMatching(/Sending broadcast/));
          assert.match(await bob.replyMatching(/Delivered/), /Delivered to 3 of 3 channels/);
          for (const c of ["office-berlin", "office-paris", "office-rome"]) {
            await assertRelayed(s, ch[c].id, id, posted("Team meeting at 3", "bob"), []);
          }
        }),
    );

    await t.step(
      "a second message while waiting for targets is read as the answer",
      () =>
        showingBotOutput(s, async () => {
          const carol = s.dm(s.world.carol);
          await carol.ask("first message");
          const answer = await carol.ask("second message");
          assert.match(answer, /I don't know `second message`/);
          assert.match(answer, /Please answer again/);
          const preview = await carol.ask("town-square");
          assert.match(preview, /> first message/);
          assert.doesNotMatch(preview, /second message/);
          assert.match(await carol.ask("no"), /Cancelled\. Nothing was sent\./);
          assert.equal(
            (await botPostsIn(s, ch["town-square"].id)).filter((p) =>
              p.message.includes("first message")
            )
              .length,
            0,
          );
        }),
    );

    await t.step(
      "unknown names come back with suggestions; the step stays",
      () =>
        showingBotOutput(s, async () => {
          const dave = s.dm(people.dave);
          await dave.ask("Parking closed tomorrow");
          const reply = await dave.ask("anouncements, Al offices, qqqzzz");
          assert.match(reply, /I don't know `anouncements`\. Did you mean `announcements`\?/);
          assert.match(reply, /I don't know `Al offices`\. Did you mean `All offices`\?/);
          assert.match(reply, /I don't know `qqqzzz`\.\n/);
          assert.match(
            await dave.ask("announcements"),
            /Ready to send to 1 channel:\*\* Announcements/,
          );
          assert.match(await dave.ask("N"), /Cancelled/);
        }),
    );

    await t.step(
      "a channel that is not whitelisted is refused, naming it",
      () =>
        showingBotOutput(s, async () => {
          const dave = s.dm(people.dave);
          await dave.ask("Another one");
          const reply = await dave.ask("town-square, Random");
          assert.match(reply, /~random is not on the whitelist/);
          assert.doesNotMatch(reply, /town-square/);
          assert.match(await dave.ask("cancel"), /Cancelled/);
        }),
    );

    await t.step(
      "a raw channel id is accepted only where the sender could post",
      () =>
        showingBotOutput(s, async () => {
          const erin = s.dm(people.erin);
          await erin.ask("Via id");
          const preview = await erin.ask(ch.random.id);
          assert.match(
            preview,
            /Ready to send to 1 channel:\*\* Random/,
            "erin is a member of ~random",
          );
          assert.match(await erin.ask("no"), /Cancelled/);

          const frank = s.dm(people.frank);
          await frank.ask("Via id too");
          assert.match(await frank.ask(ch.random.id), /You are not a member of ~random/);
          assert.match(await frank.ask(ch["no-bot"].id), /I am not a member of ~no-bot/);
          const secret = await frank.ask(ch.secret.id);
          assert.match(secret, /is not a channel I can see/);
          assert.doesNotMatch(secret, /Secret|~secret/);
          assert.match(
            await frank.ask(ch.engineering.id),
            /Ready to send to 1 channel:\*\* Engineering/,
            "a grouped channel's id is fine",
          );
          assert.match(await frank.ask("n"), /Cancelled/);
        }),
    );

    await t.step(
      "preview: recipients, count, files, message start; only yes/no answer it",
      () =>
        showingBotOutput(s, async () => {
          const grace = s.dm(people.grace);
          const files = testFiles(2, "quarterly");
          await grace.send("Quarterly report\nsecond line", files);
          assert.match(await grace.reply(), /Where should I send this \(with 2 files\)\?/);
          const preview = await grace.ask("all, town-square");
          assert.match(
            preview,
            /Ready to send to 4 channels:\*\* Office Berlin, Office Paris, Office Rome, Town Square/,
          );
          assert.match(preview, /quarterly-0\.pdf \(40 KB\)/);
          assert.match(
            preview,
            new RegExp(`quarterly-1\\.txt \\(${files[1].bytes.length} bytes\\)`),
          );
          assert.match(preview, /> Quarterly report\n> second line/);
          const before = await rowCounts(s);
          for (const other of ["maybe", "yesss", "'; DROP TABLE broadcasts; --", "ok"]) {
            assert.match(await grace.ask(other), /Please answer \*\*yes\*\* to send to 4 channels/);
          }
          assert.deepEqual(await rowCounts(s), before, "nothing recorded before yes");
          await grace.send("Y");
          const id = broadcastIdIn(await grace.replyMatching(/Sending broadcast/));
          assert.match(await grace.replyMatching(/Delivered/), /Delivered to 4 of 4 channels/);
          for (const c of ["office-berlin", "office-paris", "office-rome", "town-square"]) {
            await assertRelayed(
              s,
              ch[c].id,
              id,
              posted("Quarterly report\nsecond line", "grace"),
              files,
            );
          }
        }),
    );

    await t.step(
      "a channel reached through several tokens receives it once",
      () =>
        showingBotOutput(s, async () => {
          const heidi = s.dm(people.heidi);
          const answer = `all, All Offices, ALL, ${
            ch["office-berlin"].id
          }, town-square, Town Square`;
          const { preview, id, report } = await broadcast(heidi, "Fire drill at noon", answer);
          assert.match(preview, /Ready to send to 4 channels/);
          assert.match(report, /Delivered to 4 of 4 channels/);
          for (const c of ["office-berlin", "office-paris", "office-rome", "town-square"]) {
            await assertRelayed(s, ch[c].id, id, posted("Fire drill at noon", "heidi"), []);
          }
        }),
    );

    await t.step(
      "mentions and markdown: the preview does not ping, the broadcast is verbatim",
      () =>
        showingBotOutput(s, async () => {
          const ivan = s.dm(people.ivan);
          const message = "@channel @all @here **Bold** _it_ [link](http://example.com) `code`\n" +
            "# Heading\n> quoted\ttab \u0007bell ~town-square @alice\n" +
            "'; DROP TABLE broadcasts; --";
          const { preview, id } = await broadcast(ivan, message, "announcements");
          assert.doesNotMatch(preview, /@(channel|all|here|alice)\b/);
          assert.match(preview, /@\u200bchannel @\u200ball @\u200bhere \*\*Bold\*\*/);
          await assertRelayed(s, ch.announcements.id, id, posted(message, "ivan"), []);
          // Read as bytes: node:sqlite cuts TEXT at a NUL character.
          const logged = await withLog(
            s,
            async (db) =>
              ((await db.query("SELECT CAST(message AS BLOB) AS m FROM broadcasts WHERE id = ?", [
                id,
              ]))[0] as {
                m: Uint8Array;
              }).m,
          );
          assert.equal(new TextDecoder().decode(logged), message);
          assert.equal(await integrity(s), "ok");
        }),
    );

    await t.step(
      "hostile target answers get clear replies and leave the database intact",
      () =>
        showingBotOutput(s, async () => {
          const judy = s.dm(people.judy);
          await judy.ask("Hostile answers ahead");
          const before = await rowCounts(s);
          assert.match(
            await judy.ask("x".repeat(5_000)),
            /That answer is 5000 characters long; I accept up to 4000/,
          );
          const many = Array.from({ length: 200 }, (_, i) => `t${i}`).join(", ");
          assert.match(await judy.ask(many), /That is 200 names; I accept up to 100/);
          const control = await judy.ask("town\u0007square, \u001b[2J\u001b[31mred, a\u0008b");
          assert.match(control, /I don't know `town square`/);
          assert.doesNotMatch(control, /[^\P{Cc}\n]/u);
          const sql = await judy.ask("'; DROP TABLE broadcasts; --");
          assert.match(sql, /I don't know `'; DROP TABLE broadcasts; --`/);
          const toml = await judy.ask('all"]\n[groups]\nevil = ["x');
          assert.match(toml, /Please answer again/);
          assert.match(await judy.ask("~town-square"), /Ready to send to 1 channel/);
          assert.match(await judy.ask("no"), /Cancelled/);
          assert.deepEqual(await rowCounts(s), before);
          assert.equal(await integrity(s), "ok");
          assert.doesNotMatch(s.channelsToml(), /evil/);
        }),
    );

    await t.step(
      "limits: too long with the sender line is refused at the start",
      () =>
        showingBotOutput(s, async () => {
          const ken = s.dm(people.ken);
          const message = "a".repeat(16_380);
          const withFooter = posted(message, "ken").length.toLocaleString("en-US");
          const refusal = await ken.ask(message);
          assert.match(
            refusal,
            new RegExp(
              `That message is ${withFooter} characters long with the sender line; ` +
                "Mattermost allows 16,383",
            ),
          );
          // No session was opened: the next message starts a broadcast of its own.
          assert.match(await ken.ask("short"), /Where should I send this/);
          assert.match(await ken.ask("cancel"), /Cancelled/);
        }),
    );

    await t.step(
      "limits: the server itself refuses 16,384 characters and 11 files",
      () =>
        showingBotOutput(s, async () => {
          const ken = s.dm(people.ken);
          await assert.rejects(ken.send("a".repeat(16_384)), /post failed: 400/);
          await assert.rejects(ken.send("eleven", testFiles(11, "many")), /post failed: 400/);
          const ten = testFiles(10, "ten");
          await ken.send("ten files", ten);
          assert.match(await ken.reply(), /with 10 files/);
          assert.match(await ken.ask("cancel"), /Cancelled/);
        }),
    );

    await t.step({
      name: "a file that cannot be downloaded aborts before anything is sent",
      ignore: emulatorOnly("file downloads refused (injected 404)"),
      fn: () =>
        showingBotOutput(s, async () => {
          const leo = s.dm(people.leo);
          await leo.send("with a broken file", testFiles(1, "broken"));
          await leo.reply();
          assert.match(await leo.ask("all"), /Ready to send to 3 channels/);
          s.emu.faults.failRequests({ method: "GET", path: /\/files\//, status: 404, times: 10 });
          try {
            await leo.send("yes");
            const id = broadcastIdIn(await leo.replyMatching(/Sending broadcast/));
            const report = await leo.replyMatching(/Nothing was sent/);
            assert.match(report, /could not download the file "broken-0\.pdf"/);
            assert.match(report, /no longer available/);
            for (const c of ["office-berlin", "office-paris", "office-rome"]) {
              assert.equal((await botPostsIn(s, ch[c].id, id)).length, 0);
            }
            const status = await withLog(
              s,
              async (db) =>
                ((await db.query("SELECT status FROM broadcasts WHERE id = ?", [id]))[0] as {
                  status: string;
                })
                  .status,
            );
            assert.equal(status, "aborted");
            const audit = await s.waitFor(
              async () =>
                (await botPostsIn(s, ch["bot-log"].id)).map((p) => p.message).find((m) =>
                  m.startsWith(`**Aborted broadcast** \`${id}\` by \`@\u200bleo\``)
                ),
              { timeoutMs: 15_000, message: "no audit post for the aborted broadcast" },
            );
            assert.match(audit, /0 of 3 channels delivered, 3 failed/);
            assert.match(audit, /not sent: I could not download the file "broken-0\.pdf"/);
          } finally {
            s.emu.faults.clear();
          }
        }),
    });

    await t.step("a message made of files only is fine", () =>
      showingBotOutput(s, async () => {
        const mike = s.dm(people.mike);
        const files = testFiles(1, "slides");
        await mike.send("", files);
        assert.match(await mike.reply(), /with 1 file\)/);
        assert.match(await mike.ask("town-square"), /no text, files only/);
        await mike.send("yes");
        const id = broadcastIdIn(await mike.replyMatching(/Sending broadcast/));
        assert.match(await mike.replyMatching(/Delivered/), /Delivered to 1 of 1 channel/);
        await assertRelayed(s, ch["town-square"].id, id, posted("", "mike"), files);
      }));

    await t.step("30 users at once: no cross-talk", () =>
      showingBotOutput(s, async () => {
        const runs = Array.from({ length: 30 }, (_, i) => {
          const username = `user${i}`;
          const message = `Message from ${username} ${crypto.randomUUID()}`;
          const targets = [i, (i + 1) % BULK].map((n) => `bulk-${n}`);
          return { i, username, message, targets, dm: s.dm(people[username]) };
        });
        const results = await Promise.all(
          runs.map(async (r) => ({
            ...r,
            ...await broadcast(r.dm, r.message, r.targets.join(", ")),
          })),
        );
        for (const r of results) {
          assert.match(r.report, /Delivered to 2 of 2 channels/, r.username);
          assert.match(r.preview, new RegExp(`> ${r.message}`));
        }
        for (let n = 0; n < BULK; n++) {
          const channel = (await s.server.channelByName(s.world.team.id, `bulk-${n}`))!;
          const expected = results.filter((r) => r.targets.includes(`bulk-${n}`));
          const got = await botPostsIn(s, channel.id);
          assert.deepEqual(
            got.map((p) => p.message).sort(),
            expected.map((r) => posted(r.message, r.username)).sort(),
            `bulk-${n}`,
          );
          for (const r of expected) {
            await assertRelayed(s, channel.id, r.id, posted(r.message, r.username), []);
          }
        }
      }));

    await t.step(
      "an unanswered session ends with a DM; a late yes is told there is nothing to confirm",
      () =>
        showingBotOutput(s, async () => {
          const nina = s.dm(people.nina);
          await nina.ask("This will lapse");
          assert.match(await nina.ask("town-square"), /Ready to send/);
          const lapsed = await nina.replyMatching(/not sent/, 30_000);
          assert.match(
            lapsed,
            /No answer within 10 seconds, so your broadcast was \*\*not sent\*\*/,
          );
          assert.match(
            await nina.ask("yes"),
            /nothing to confirm: no broadcast is waiting for your yes, so nothing was sent/,
          );
          assert.match(await nina.ask("cancel"), /nothing to cancel/);
          assert.equal(
            (await botPostsIn(s, ch["town-square"].id)).filter((p) =>
              p.message.includes("This will lapse")
            )
              .length,
            0,
          );
        }),
    );
  } finally {
    await s.stop();
  }
});
