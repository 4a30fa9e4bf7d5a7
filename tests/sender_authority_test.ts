/**
 * A broadcast that goes out after its sender's `yes` goes out only on authority the sender
 * still has: a scheduled broadcast of a sender deactivated, removed from the team, taken off
 * ALLOWED_USERS (the bot restarted with the new list) or no longer in a channel named by its
 * id; a `!retry` and an `!edit` after the sender left the team. The sender (when they can
 * still read a DM) and the audit channel are told why. Team membership follows the server's
 * events: a user removed from the team is refused at once, not five minutes later. And
 * `!status` totals leave out what the asker may not see.
 */

import assert from "node:assert/strict";
import type { Channel } from "@mattermost/types/channels";
import { type DmUser, type Person, type Scenario, startScenario } from "@postbot/harness";
import {
  botPostsIn,
  broadcast,
  broadcastIdIn,
  deliveryRows,
  showingBotOutput,
  withLog,
} from "./support/broadcasts.ts";
import { storeRun } from "./support/store.ts";

const CHANNELS_TOML = `# sender authority test
whitelist = ["town-square", "announcements"]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]
Outreach = ["{{no-bot}}", "{{office-rome}}"]

[aliases]
all = "All offices"
`;

/** Walks the wizard to the preview and answers with a time; the scheduled id. */
async function schedule(dm: DmUser, message: string, answer: string, when: string) {
  await dm.send(message);
  await dm.replyMatching(/Where should I send this/);
  await dm.send(answer);
  await dm.replyMatching(/Ready to send/);
  const scheduled = await dm.ask(when);
  assert.match(scheduled, /Scheduled broadcast `/);
  return broadcastIdIn(scheduled);
}

function scheduledStatus(s: Scenario, id: string): Promise<string | undefined> {
  return withLog(
    s,
    async (db) =>
      ((await db.query("SELECT status FROM scheduled_broadcasts WHERE id = ?", [id]))[0] as
        | { status: string }
        | undefined)?.status,
  );
}

Deno.test("a broadcast goes out only on authority its sender still has", async (t) => {
  const env: Record<string, string> = {};
  const extra: Record<string, Person> = {};
  const s = await startScenario({
    env,
    channelsToml: CHANNELS_TOML,
    prepare: async (server, world) => {
      env.BOT_LOG_CHANNEL_ID = world.channels["bot-log"].id;
      for (const name of ["dora", "erin"]) {
        extra[name] = await server.createUser({ username: name });
        await server.setUserActive(extra[name].user.id, true);
        await server.addTeamMember(world.team.id, extra[name].user.id);
      }
      // A private channel bob names by its id (he is a member); alice reacts there.
      (world.channels as Record<string, Channel>)["x-ops"] = await server.createChannel(
        { team_id: world.team.id, name: "x-ops", display_name: "X Ops", type: "P" },
        [world.bot.user.id, world.bob.user.id, world.alice.user.id],
      );
    },
  });
  const { alice, bob, carol, team, channels: ch } = s.world;
  const offices = [ch["office-berlin"], ch["office-paris"], ch["office-rome"]];
  const audits = async () => (await botPostsIn(s, ch["bot-log"].id)).map((p) => p.message);
  const auditFor = (pattern: RegExp) =>
    s.waitFor(async () => (await audits()).find((m) => pattern.test(m)), {
      timeoutMs: 30_000,
      message: `no audit line matching ${pattern}`,
    });
  try {
    await showingBotOutput(s, async () => {
      await t.step("scheduled: deactivated, removed from the team, left a channel", async () => {
        const dora = s.dm(extra.dora);
        const erin = s.dm(extra.erin);
        const bob_ = s.dm(bob);
        const ids = {
          dora: await schedule(dora, "Dora's news", "all", "in 15 s"),
          erin: await schedule(erin, "Erin's news", "all", "in 15 s"),
          bob: await schedule(bob_, "Bob's news", `all, ${ch["x-ops"].id}`, "in 15 s"),
        };
        await s.server.setUserActive(extra.dora.user.id, false);
        await s.server.removeTeamMember(team.id, extra.erin.user.id);
        await s.server.removeChannelMember(ch["x-ops"].id, bob.user.id);

        // Erin is told in her DM, and the audit channel with the same reason.
        const erinTold = await erin.replyMatching(/was not sent/, 40_000);
        assert.match(
          erinTold,
          new RegExp(
            `Scheduled broadcast \`${ids.erin}\` was not sent\\*\\*: @erin is no longer a ` +
              "member of the team staff",
          ),
        );
        await auditFor(
          new RegExp(`^\\*\\*Scheduled broadcast not sent\\*\\* \`${ids.erin}\`.*team staff`),
        );
        // Dora can read nothing any more: only the audit channel is told.
        await auditFor(
          new RegExp(
            `^\\*\\*Scheduled broadcast not sent\\*\\* \`${ids.dora}\`.*` +
              "@\u200bdora's account has been deactivated",
          ),
        );
        // Bob's goes out, but not to the channel he left; he is told it was not delivered.
        const report = await bob_.replyMatching(new RegExp(`Delivered to .*${ids.bob}`), 40_000);
        assert.match(report, /Delivered to 3 of 4 channels/);
        assert.match(report, /1 private channel you are not a member of/);
        assert.equal(report.includes("x-ops"), false, report);
        const row = (await deliveryRows(s, ids.bob)).get(ch["x-ops"].id);
        assert.equal(row?.status, "failed");
        assert.match(row?.error ?? "", /not sent: @bob is no longer a member of ~x-ops/);
        assert.equal((await botPostsIn(s, ch["x-ops"].id, ids.bob)).length, 0);
        const line = await auditFor(new RegExp(`^\\*\\*Broadcast\\*\\* \`${ids.bob}\``));
        assert.match(line, /3 of 4 channels delivered, 1 failed \(1 private channel among them\)/);
        assert.equal(line.includes("x-ops") || line.includes(ch["x-ops"].id), false, line);
        for (const c of offices) {
          assert.equal((await botPostsIn(s, c.id, ids.dora)).length, 0, `dora in ~${c.name}`);
          assert.equal((await botPostsIn(s, c.id, ids.erin)).length, 0, `erin in ~${c.name}`);
          assert.equal((await botPostsIn(s, c.id, ids.bob)).length, 1, `bob in ~${c.name}`);
        }
        assert.equal(await scheduledStatus(s, ids.dora), "failed");
        assert.equal(await scheduledStatus(s, ids.erin), "failed");
        await s.server.setUserActive(extra.dora.user.id, true);
        await s.server.addChannelMember(ch["x-ops"].id, bob.user.id);
      });

      await t.step("!status totals leave out a channel the asker cannot see", async () => {
        const bob_ = s.dm(bob);
        const { id } = await broadcast(bob_, "Status check", `all, ${ch["x-ops"].id}`);
        await s.server.removeChannelMember(ch["x-ops"].id, bob.user.id);
        const before = await bob_.ask(`!status ${id}`);
        assert.match(before, /1 private channel you are not a member of \(not in the totals\)/);
        const hiddenPost = (await botPostsIn(s, ch["x-ops"].id, id))[0];
        await s.server.addReaction(alice.user.id, hiddenPost.id, "eyes");
        const after = await bob_.ask(`!status ${id}`);
        const totals = (text: string) => text.slice(text.indexOf("**Totals:**"));
        assert.equal(totals(after), totals(before));
        assert.match(totals(after), /3 of 3 channels show it · 0 reactions/);
        assert.doesNotMatch(after, /x-ops|eyes/);
        assert.doesNotMatch(await bob_.ask("!history 1"), /1 reaction/);
        // A reaction where he can see it counts.
        const berlin = (await botPostsIn(s, ch["office-berlin"].id, id))[0];
        await s.server.addReaction(alice.user.id, berlin.id, "tada");
        assert.match(await bob_.ask(`!status ${id}`), /Totals:\*\* .* 1 reaction \(:tada: 1\)/);
        await s.server.addChannelMember(ch["x-ops"].id, bob.user.id);
      });

      await t.step("!edit of sent posts skips the channels the sender left", async () => {
        const bob_ = s.dm(bob);
        const { id } = await broadcast(bob_, "Old words", `all, ${ch["x-ops"].id}`);
        await s.server.removeChannelMember(ch["x-ops"].id, bob.user.id);
        await bob_.ask(`!edit ${id}`);
        await bob_.ask("New words");
        const report = await bob_.ask("yes");
        assert.match(report, /Edited broadcast `[a-z0-9]+` in 3 of 4 channels/);
        assert.match(report, /Not changed:\n- 1 private channel you are not a member of/);
        assert.equal((await botPostsIn(s, ch["x-ops"].id, id))[0].message, "Old words");
        for (const c of offices) {
          assert.equal((await botPostsIn(s, c.id, id))[0].message, "New words");
        }
        const line = await auditFor(new RegExp(`^\\*\\*Edit\\*\\* \`${id}\``));
        assert.match(line, /3 of 4 posts changed, 1 not \(1 private channel among them\)/);
        assert.doesNotMatch(line, /Old words|New words|x-ops/);
        await s.server.addChannelMember(ch["x-ops"].id, bob.user.id);
      });

      await t.step("removed from the team: refused at once; !retry and !edit refused", async () => {
        const carol_ = s.dm(carol);
        const alice_ = s.dm(alice);
        const { id, report } = await broadcast(carol_, "Carol's outreach", "outreach");
        assert.match(report, /Delivered to 1 of 2 channels/);
        // Carol is in the middle of a new broadcast (her membership is fresh in the cache).
        await carol_.send("Another one");
        await carol_.replyMatching(/Where should I send this/);
        await s.server.removeTeamMember(team.id, carol.user.id);
        await s.bot.waitForOutput(new RegExp(`leave_team.*${carol.user.id}`), 15_000);
        assert.match(await carol_.ask("all"), /I only work for members of the team \*\*staff\*\*/);
        assert.match(await carol_.ask(`!retry ${id}`), /I only work for members of the team/);
        // An admin retrying it (the channel would take it now) is refused: carol's authority.
        await s.server.addChannelMember(ch["no-bot"].id, s.world.bot.user.id);
        assert.match(await alice_.ask(`!retry ${id}`), /Retrying broadcast/);
        const refused = await alice_.replyMatching(/The retry sent nothing/);
        assert.match(refused, /@carol is no longer a member of the team staff/);
        assert.match(await carol_.replyMatching(/The retry sent nothing/), /team staff/);
        assert.equal((await botPostsIn(s, ch["no-bot"].id, id)).length, 0);
        await auditFor(new RegExp(`^\\*\\*Refused retry\\*\\* \`${id}\`.*team staff`));
        await alice_.ask(`!edit ${id}`);
        await alice_.ask("Changed by an admin");
        assert.match(
          await alice_.ask("yes"),
          /Nothing was changed: @carol is no longer a member of the team staff/,
        );
        assert.equal(
          (await botPostsIn(s, ch["office-rome"].id, id))[0].message,
          "Carol's outreach",
        );
        await s.server.addTeamMember(team.id, carol.user.id);
      });

      await t.step("taken off ALLOWED_USERS while the bot was down: not sent", async () => {
        const bob_ = s.dm(bob);
        const id = await schedule(bob_, "Bob's later news", "all", "in 2 hours");
        await s.bot.stop();
        // Its time came while postbot was down.
        await storeRun(
          s,
          "UPDATE scheduled_broadcasts SET due_at = ? WHERE id = ?",
          Date.now() - 60_000,
          id,
        );
        await s.startBot({ ALLOWED_USERS: "alice,carol" });
        const told = await bob_.replyMatching(/was not sent/, 30_000);
        assert.match(
          told,
          /@bob is no longer among the people who may use this bot \(ALLOWED_USERS\)/,
        );
        await auditFor(new RegExp(`^\\*\\*Scheduled broadcast not sent\\*\\* \`${id}\`.*ALLOWED`));
        for (const c of offices) assert.equal((await botPostsIn(s, c.id, id)).length, 0);
        assert.equal(await scheduledStatus(s, id), "failed");
      });
    });
  } finally {
    await s.server.setUserActive(extra.dora.user.id, true).catch(() => {});
    await s.server.addTeamMember(team.id, carol.user.id).catch(() => {});
    await s.stop();
  }
});
