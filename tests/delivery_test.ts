/**
 * Delivery end to end: files relayed as fresh uploads, failures explained, the rate limiter
 * and server errors waited out without duplicates, the report, the audit post and the log.
 */

import assert from "node:assert/strict";
import type { Channel } from "@mattermost/types/channels";
import { MAX_POST_RUNES, runeLength } from "@postbot/framework/text";
import { emulatorOnly, type Person, type Scenario, startScenario } from "@postbot/harness";
import {
  assertRelayed,
  botPostsIn,
  broadcast,
  broadcastIdIn,
  deliveryRows,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";

const BULK = 20;
const CLOSED = 300;

const CHANNELS_TOML = `# delivery test
whitelist = ["town-square", "announcements"]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]
Outreach = ["{{town-hall}}", "{{office-rome}}"]
Archive = ["{{old-news}}", "{{office-paris}}"]
Busy = ["{{busy}}"]
Bulk = [${Array.from({ length: BULK }, (_, i) => `"{{bulk-${i}}}"`).join(", ")}]
Closed = [${Array.from({ length: CLOSED }, (_, i) => `"{{closed-${i}}}"`).join(", ")}]

[aliases]
all = "All offices"
`;

Deno.test("broadcast delivery", async (t) => {
  const env: Record<string, string> = {};
  const people: Record<string, Person> = {};
  const s: Scenario = await startScenario({
    env,
    bulkChannels: BULK,
    channelsToml: CHANNELS_TOML,
    prepare: async (server, world) => {
      env.BOT_LOG_CHANNEL_ID = world.channels["bot-log"].id;
      const channels = world.channels as Record<string, Channel>;
      const make = async (name: string, display: string, members: string[]) => {
        channels[name] = await server.createChannel(
          { team_id: world.team.id, name, display_name: display, type: "O" },
          members,
        );
      };
      await make("town-hall", "Town Hall", []);
      await make("old-news", "Old News", [world.bot.user.id]);
      await make("busy", "Busy", [world.bot.user.id, world.bob.user.id]);
      for (let i = 0; i < CLOSED; i++) await make(`closed-${i}`, `Closed ${i}`, []);
      for (const username of ["dave", "erin"]) {
        const created = await server.createUser({ username });
        await server.addTeamMember(world.team.id, created.user.id);
        people[username] = created;
      }
    },
  });
  const ch = s.world.channels;
  const auditPosts = async () => (await botPostsIn(s, ch["bot-log"].id)).map((p) => p.message);
  const audit = async (id: string) =>
    await s.waitFor(async () => (await auditPosts()).find((m) => m.includes(`\`${id}\``)), {
      timeoutMs: 15_000,
      message: `no audit post for ${id}`,
    });
  try {
    await t.step(
      "files are uploaded again by the bot to each channel; all is logged and audited",
      () =>
        showingBotOutput(s, async () => {
          const alice = s.dm(s.world.alice);
          const files = testFiles(3, "handbook");
          const message = "New **handbook** attached. @channel please read.";
          const started = Date.now();
          const { id, report } = await broadcast(alice, message, "all, town-square", files);
          assert.match(report, /^\*\*Delivered to 4 of 4 channels\*\* \(broadcast `[a-z0-9]+`\)\./);
          assert.match(report, new RegExp(`!undo ${id}`));
          const dmPost = (await s.postsIn(alice.channel.id)).find((p) => p.message === message)!;
          const dmFileIds = new Set(dmPost.file_ids ?? []);
          assert.equal(dmFileIds.size, 3);
          const seen = new Set<string>();
          for (const c of ["office-berlin", "office-paris", "office-rome", "town-square"]) {
            const post = await assertRelayed(s, ch[c].id, id, message, files);
            for (const f of post.file_ids ?? []) {
              assert.ok(!dmFileIds.has(f), "the DM's files are never reused");
              assert.ok(!seen.has(f), "each channel has its own copies");
              seen.add(f);
            }
          }
          // Only the emulator's request log can show how often each file was downloaded.
          for (const f of s.server.emulator === undefined ? [] : dmFileIds) {
            const downloads = s.emu.requests.filter((r) =>
              r.method === "GET" && r.path === `/api/v4/files/${f}`
            );
            assert.equal(downloads.length, 1, "each file is downloaded once");
          }

          const summary = await audit(id);
          assert.match(
            summary,
            new RegExp(`^\\*\\*Broadcast\\*\\* \`${id}\` by \`@\u200balice\` at `),
          );
          assert.match(summary, /4 of 4 channels delivered\./);
          assert.match(summary, /\nMessage: `New \*\*handbook\*\* attached\. @\u200bchannel/);
          // The files in the order of the DM post's file_ids (which Mattermost sorts by id).
          const listed = /Files: (.*)/.exec(summary)?.[1].split(", ") ?? [];
          assert.deepEqual(listed.sort(), [
            "`handbook-0.pdf`",
            "`handbook-1.txt`",
            "`handbook-2.txt`",
          ]);

          const row = await withLog(s, async (db) => ({
            ...(await db.query("SELECT * FROM broadcasts WHERE id = ?", [id]))[0] as Record<
              string,
              unknown
            >,
          }));
          assert.equal(row.sender_id, s.world.alice.user.id);
          assert.equal(row.sender_username, "alice");
          assert.equal(row.target_answer, "all, town-square");
          assert.equal(row.message, message);
          assert.equal(row.status, "done");
          assert.ok(Number(row.created_at) >= started - 1_000);
          assert.ok(Number(row.finished_at) >= Number(row.created_at));
          assert.deepEqual(
            JSON.parse(String(row.files_json)).map((f: { name: string; size: number }) => [
              f.name,
              f.size,
            ]).sort(),
            files.map((f) => [f.name, f.bytes.length]).sort(),
          );
          const rows = await deliveryRows(s, id);
          assert.equal(rows.size, 4);
          for (const c of ["office-berlin", "office-paris", "office-rome", "town-square"]) {
            const r = rows.get(ch[c].id)!;
            assert.equal(r.status, "delivered");
            assert.equal(r.post_id, (await botPostsIn(s, ch[c].id, id))[0].id);
          }
        }),
    );

    await t.step(
      "a channel the bot is not in (via a group) is reported with a human reason",
      () =>
        showingBotOutput(s, async () => {
          const bob = s.dm(s.world.bob);
          const { preview, id, report } = await broadcast(bob, "Outreach update", "outreach");
          assert.match(preview, /I am not a member of ~town-hall; delivery there will fail/);
          assert.match(report, /Delivered to 1 of 2 channels/);
          assert.match(
            report,
            /- ~town-hall \(Town Hall\): the bot is not a member of ~town-hall or may not post there/,
          );
          assert.match(report, new RegExp(`Send \`!retry ${id}\``));
          await assertRelayed(s, ch["office-rome"].id, id, "Outreach update", []);
          assert.equal((await botPostsIn(s, ch["town-hall"].id)).length, 0);
          const rows = await deliveryRows(s, id);
          assert.equal(rows.get(ch["town-hall"].id)?.status, "failed");
          assert.match(rows.get(ch["town-hall"].id)?.error ?? "", /not a member of ~town-hall/);
          const attempts = await withLog(
            s,
            async (db) =>
              ((await db.query(
                "SELECT attempts FROM deliveries WHERE broadcast_id = ? AND channel_id = ?",
                [id, ch["town-hall"].id],
              ))[0] as { attempts: number }).attempts,
          );
          assert.equal(attempts, 1, "403 is not retried");
          const summary = await audit(id);
          assert.match(summary, /1 of 2 channels delivered, 1 failed\./);
          assert.match(summary, /Failed: ~town-hall \(`the bot is not a member/);
        }),
    );

    await t.step(
      "a channel archived before sending is reported as archived",
      () =>
        showingBotOutput(s, async () => {
          const carol = s.dm(s.world.carol);
          await carol.ask("Archive test");
          assert.match(await carol.ask("archive"), /Ready to send to 2 channels/);
          await s.server.archiveChannel(ch["old-news"].id);
          await carol.send("yes");
          const id = broadcastIdIn(await carol.replyMatching(/Sending broadcast/));
          const report = await carol.replyMatching(/Delivered/);
          assert.match(report, /Delivered to 1 of 2 channels/);
          assert.match(report, /- ~old-news \(Old News\): ~old-news was archived/);
          await assertRelayed(s, ch["office-paris"].id, id, "Archive test", []);
        }),
    );

    await t.step(
      "the bot removed from a channel after the preview: that channel is reported",
      () =>
        showingBotOutput(s, async () => {
          const carol = s.dm(s.world.carol);
          await carol.ask("Removal test");
          assert.match(await carol.ask("all"), /Ready to send to 3 channels/);
          await s.server.removeChannelMember(ch["office-rome"].id, s.world.bot.user.id);
          try {
            await carol.send("yes");
            const id = broadcastIdIn(await carol.replyMatching(/Sending broadcast/));
            const report = await carol.replyMatching(/Delivered/);
            assert.match(report, /Delivered to 2 of 3 channels/);
            assert.match(report, /- ~office-rome \(Office Rome\): the bot is not a member/);
            await assertRelayed(s, ch["office-berlin"].id, id, "Removal test", []);
            await assertRelayed(s, ch["office-paris"].id, id, "Removal test", []);
            assert.equal((await botPostsIn(s, ch["office-rome"].id, id)).length, 0);
          } finally {
            await s.server.addChannelMember(ch["office-rome"].id, s.world.bot.user.id);
          }
        }),
    );

    await t.step({
      name: "a 429 storm is waited out: every channel exactly once, none failed",
      ignore: emulatorOnly("injected 429s on top of a tight emulated limiter"),
      fn: () =>
        showingBotOutput(s, async () => {
          const dave = s.dm(people.dave);
          const files = testFiles(1, "storm");
          await dave.send("Storm warning", files);
          await dave.replyMatching(/Where should I send this/);
          assert.match(await dave.ask("bulk"), new RegExp(`Ready to send to ${BULK} channels`));
          const limitedBefore = s.emu.requests.filter((r) => r.status === 429).length;
          await dave.send("yes");
          // From here the test only reads the emulator's memory: its own requests would count too.
          // The server's limiter, plus 429s the bot cannot see coming (another client's burst).
          s.emu.faults.rateLimit = { perSec: 10, maxBurst: 5 };
          s.emu.faults.failRequests({ method: "POST", path: "/files", status: 429, times: 5 });
          s.emu.faults.failRequests({ method: "POST", path: "/posts", status: 429, times: 5 });
          try {
            const id = broadcastIdIn(await dave.replyMatching(/Sending broadcast/, 30_000));
            const report = await dave.replyMatching(/Delivered/, 60_000);
            assert.match(report, new RegExp(`Delivered to ${BULK} of ${BULK} channels`));
            assert.doesNotMatch(report, /Not delivered/);
            for (let i = 0; i < BULK; i++) {
              await assertRelayed(s, ch[`bulk-${i}`].id, id, "Storm warning", files);
            }
            const limited = s.emu.requests.filter((r) => r.status === 429).length - limitedBefore;
            assert.ok(limited >= 10, `the storm happened (${limited} answers were 429)`);
          } finally {
            s.emu.faults.clear();
          }
        }),
    });

    await t.step({
      name: "server errors on uploads are retried: every channel exactly once",
      ignore: emulatorOnly("injected 503 answers"),
      fn: () =>
        showingBotOutput(s, async () => {
          const erin = s.dm(people.erin);
          const files = testFiles(2, "retry");
          await erin.send("Upload trouble", files);
          await erin.replyMatching(/Where should I send this/);
          assert.match(await erin.ask("all"), /Ready to send to 3 channels/);
          await erin.send("yes");
          s.emu.faults.failRequests({ method: "POST", path: "/files", status: 503, times: 3 });
          try {
            const id = broadcastIdIn(await erin.replyMatching(/Sending broadcast/));
            assert.match(await erin.replyMatching(/Delivered/), /Delivered to 3 of 3 channels/);
            for (const c of ["office-berlin", "office-paris", "office-rome"]) {
              await assertRelayed(s, ch[c].id, id, "Upload trouble", files);
            }
            assert.equal(
              s.emu.requests.filter((r) =>
                r.method === "POST" && r.path === "/api/v4/files" && r.status === 503
              ).length,
              3,
            );
          } finally {
            s.emu.faults.clear();
          }
        }),
    });

    await t.step({
      name: "posts whose answers are lost are found, not sent again: every channel exactly once",
      ignore: emulatorOnly("answers lost after handling (injected 502)"),
      fn: () =>
        showingBotOutput(s, async () => {
          const bob = s.dm(s.world.bob);
          const files = testFiles(1, "lost");
          await bob.send("Lost answers", files);
          await bob.replyMatching(/Where should I send this/);
          assert.match(await bob.ask("all"), /Ready to send to 3 channels/);
          await bob.send("yes");
          // Every post lands, but the bot reads an error each time. Its DMs are posted again
          // on errors, so replies may come twice: the test waits for them by content.
          s.emu.faults.failRequests({
            method: "POST",
            path: "/posts",
            status: 502,
            afterHandling: true,
            times: 10,
          });
          try {
            const id = broadcastIdIn(await bob.replyMatching(/Sending broadcast/));
            const report = await bob.replyMatching(new RegExp(`Delivered .*\`${id}\``), 30_000);
            assert.match(report, /Delivered to 3 of 3 channels/);
            assert.doesNotMatch(report, /Not delivered/);
            const rows = await deliveryRows(s, id);
            for (const c of ["office-berlin", "office-paris", "office-rome"]) {
              const post = await assertRelayed(s, ch[c].id, id, "Lost answers", files);
              assert.equal(rows.get(ch[c].id)?.status, "delivered");
              assert.equal(rows.get(ch[c].id)?.post_id, post.id);
            }
            const lost = s.emu.requests.filter((r) =>
              r.method === "POST" && r.path === "/api/v4/posts" && r.status === 502
            ).length;
            assert.ok(lost >= 4, `answers were lost (${lost})`);
          } finally {
            s.emu.faults.clear();
          }
        }),
    });

    await t.step({
      name: "a channel that could not be checked is retried without a duplicate, " +
        "even behind 1,100 newer posts",
      ignore: emulatorOnly("answers lost and channel reads refused (injected 502/403)"),
      fn: () =>
        showingBotOutput(s, async () => {
          const carol = s.dm(s.world.carol);
          await carol.send("Busy news");
          await carol.replyMatching(/Where should I send this/);
          assert.match(await carol.ask("busy"), /Ready to send to 1 channel/);
          await carol.send("yes");
          // The post lands but its answer is lost, and the channel cannot be searched. (The
          // bot's DMs may come twice: the test waits for them by content.)
          s.emu.faults.failRequests({
            method: "POST",
            path: "/posts",
            status: 502,
            afterHandling: true,
            times: 10,
          });
          s.emu.faults.failRequests({
            method: "GET",
            path: "/channels/{channel_id}/posts",
            status: 403,
            times: 100,
          });
          let id: string;
          try {
            id = broadcastIdIn(await carol.replyMatching(/Sending broadcast/));
            const report = await carol.replyMatching(new RegExp(`Delivered .*\`${id}\``), 30_000);
            assert.match(report, /Delivered to 0 of 1 channel/);
            assert.match(
              report,
              /- ~busy \(Busy\): could not verify whether ~busy already has it .*: check ~busy, and `!retry` if it is missing/,
            );
          } finally {
            s.emu.faults.clear();
          }
          const copy = await assertRelayed(s, ch.busy.id, id, "Busy news", []);
          // More than `GET /posts?since=` returns (1000): only paging back finds the copy.
          for (let i = 0; i < 1_100; i++) {
            s.emu.store.createPost(s.world.bob.user.id, {
              channel_id: ch.busy.id,
              message: `chatter ${i}`,
            });
          }
          await carol.send(`!retry ${id}`);
          assert.match(await carol.replyMatching(/Retrying/), /Retrying broadcast .* in 1 channel/);
          const retried = await carol.replyMatching(/Retry finished/, 30_000);
          assert.match(retried, /Delivered to 1 of 1 channel/);
          assert.equal((await assertRelayed(s, ch.busy.id, id, "Busy news", [])).id, copy.id);
          assert.equal((await deliveryRows(s, id)).get(ch.busy.id)?.post_id, copy.id);
        }),
    });

    await t.step(
      "a long report is split into posts under the size limit",
      () =>
        showingBotOutput(s, async () => {
          const alice = s.dm(s.world.alice);
          await alice.send("To the closed channels");
          await alice.replyMatching(/Where should I send this/);
          await alice.send("closed");
          const preview = await alice.replyMatching(/Ready to send/);
          assert.match(preview, new RegExp(`Ready to send to ${CLOSED} channels`));
          assert.match(preview, /I am not a member of ~closed-0, .* and 290 more/);
          assert.ok(runeLength(preview) < 6_000, "the preview stays short");
          await alice.send("yes");
          const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
          await s.waitFor(
            async () =>
              (await alice.botPosts()).some((p) => p.message.includes(`Send \`!retry ${id}\``)),
            { timeoutMs: 30_000, message: "no end of the report" },
          );
          const parts = await alice.drain();
          const first = parts.findIndex((p) => p.includes(`Delivered to 0 of ${CLOSED} channels`));
          assert.ok(first >= 0, parts.join("\n---\n"));
          const report = parts.slice(first);
          assert.ok(report.length >= 2, `${report.length} parts`);
          for (const part of report) assert.ok(runeLength(part) <= MAX_POST_RUNES);
          const text = report.join("\n");
          for (let i = 0; i < CLOSED; i++) {
            assert.match(
              text,
              new RegExp(`- ~closed-${i} \\(Closed ${i}\\): the bot is not a member`),
            );
          }
          const summary = await audit(id);
          assert.match(summary, new RegExp(`0 of ${CLOSED} channels delivered, ${CLOSED} failed`));
          for (const m of await auditPosts()) assert.ok(runeLength(m) <= MAX_POST_RUNES);
        }),
    );
  } finally {
    await s.stop();
  }
});
