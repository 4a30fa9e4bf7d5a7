/**
 * `!history`, `!undo` and `!retry` end to end: confirmation, ownership (admins may act on
 * anyone's), the undo window, no duplicates on retry, logging and auditing.
 */

import assert from "node:assert/strict";
import { emulatorOnly, type Scenario, startScenario } from "@postbot/harness";
import type { Channel } from "@mattermost/types/channels";
import {
  botPostsIn,
  broadcast,
  deliveryRows,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";

const CHANNELS_TOML = `# undo/retry test
whitelist = ["town-square", "announcements"]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]
Outreach = ["{{no-bot}}", "{{office-rome}}"]
Hall = ["{{town-hall}}", "{{office-paris}}"]
Side = ["{{side-room}}", "{{office-berlin}}"]

[aliases]
all = "All offices"
`;

function events(s: Scenario, id: string): Promise<{ action: string; actor: string }[]> {
  return withLog(s, async (db) =>
    ((await db.query(
      "SELECT action, actor_username AS actor FROM broadcast_events WHERE broadcast_id = ? " +
        "ORDER BY id",
      [id],
    )) as { action: string; actor: string }[]).map((e) => ({ ...e })));
}

Deno.test("history, undo and retry", async (t) => {
  const env: Record<string, string> = {};
  const s: Scenario = await startScenario({
    env,
    channelsToml: CHANNELS_TOML,
    prepare: async (server, world) => {
      env.BOT_LOG_CHANNEL_ID = world.channels["bot-log"].id;
      const hall = await server.createChannel({
        team_id: world.team.id,
        name: "town-hall",
        display_name: "Town Hall",
        type: "O",
      });
      (world.channels as Record<string, Channel>)["town-hall"] = hall;
      // The bot never joins it: deliveries there always fail.
      (world.channels as Record<string, Channel>)["side-room"] = await server.createChannel({
        team_id: world.team.id,
        name: "side-room",
        display_name: "Side Room",
        type: "O",
      });
    },
  });
  const ch = s.world.channels;
  const alice = s.dm(s.world.alice);
  const bob = s.dm(s.world.bob);
  const carol = s.dm(s.world.carol);
  /** Waits for an audit post about `id` that starts with `action` and matches `pattern`. */
  const auditFor = (action: string, id: string, pattern = /./) =>
    s.waitFor(
      async () =>
        (await botPostsIn(s, ch["bot-log"].id)).map((p) => p.message).find((m) =>
          m.startsWith(`**${action}** \`${id}\``) && pattern.test(m)
        ),
      { timeoutMs: 15_000, message: `no ${action} audit post for ${id} matching ${pattern}` },
    );
  const ids: Record<string, string> = {};
  try {
    await t.step("!help lists !history, !undo and !retry", () =>
      showingBotOutput(s, async () => {
        const help = await alice.ask("!help");
        assert.match(help, /- `!history \[n\]` — /);
        assert.match(help, /- `!undo \[broadcast id\]` — /);
        assert.match(help, /- `!retry <broadcast id>` — /);
      }));

    await t.step(
      "!history before any broadcast, and with a bad argument",
      () =>
        showingBotOutput(s, async () => {
          assert.match(await alice.ask("!history"), /not sent any broadcasts yet/);
          assert.match(await alice.ask("!history lots"), /takes a number of broadcasts/);
          assert.match(await alice.ask("!undo"), /no broadcasts to undo/);
          assert.match(
            await alice.ask("!undo '; DROP TABLE broadcasts; --"),
            /is not a broadcast id/,
          );
          assert.match(await alice.ask("!retry"), /Which broadcast\?/);
          assert.match(await alice.ask("!retry zzzzzzzz"), /I have no broadcast `zzzzzzzz`/);
        }),
    );

    await t.step("!history lists broadcasts newest first", () =>
      showingBotOutput(s, async () => {
        ids.first = (await broadcast(alice, "First news", "town-square")).id;
        ids.second = (await broadcast(alice, "Second news", "all")).id;
        const history = await alice.ask("!history");
        assert.match(history, /Your last 2 broadcasts/);
        const lines = history.split("\n").slice(1);
        assert.match(
          lines[0],
          new RegExp(`\`${ids.second}\` · .* · 3 channels · delivered to 3 of 3`),
        );
        assert.match(
          lines[1],
          new RegExp(`\`${ids.first}\` · .* · 1 channel · delivered to 1 of 1`),
        );
        const one = await alice.ask("!history 1");
        assert.match(one, /Your last 1 broadcast:/);
        assert.doesNotMatch(one, new RegExp(ids.first));
      }));

    await t.step(
      "!undo asks first: other answers ask again, no keeps it",
      () =>
        showingBotOutput(s, async () => {
          const ask = await alice.ask("!undo");
          assert.match(
            ask,
            new RegExp(
              `Delete broadcast \`${ids.second}\` from 3 channels: ~office-berlin, ~office-paris, ` +
                "~office-rome\\? Answer \\*\\*yes\\*\\* or \\*\\*no\\*\\*",
            ),
          );
          assert.match(await alice.ask("maybe"), /Please answer \*\*yes\*\* to delete/);
          assert.match(await alice.ask("No"), /Kept broadcast/);
          for (const c of ["office-berlin", "office-paris", "office-rome"]) {
            assert.equal((await botPostsIn(s, ch[c].id, ids.second)).length, 1);
          }
        }),
    );

    await t.step(
      "!undo yes deletes it everywhere; logged and audited",
      () =>
        showingBotOutput(s, async () => {
          assert.match(await alice.ask(`!undo ${ids.second.toUpperCase()}`), /Delete broadcast/);
          assert.match(
            await alice.ask("YES"),
            new RegExp(`Deleted broadcast \`${ids.second}\` from 3 channels\\.`),
          );
          for (const c of ["office-berlin", "office-paris", "office-rome"]) {
            assert.equal((await botPostsIn(s, ch[c].id, ids.second)).length, 0);
          }
          for (const row of (await deliveryRows(s, ids.second)).values()) {
            assert.equal(row.status, "deleted");
          }
          assert.deepEqual(await events(s, ids.second), [{ action: "undo", actor: "alice" }]);
          assert.match(
            await auditFor("Undo", ids.second),
            /by `@\u200balice` at .*0 of 3 channels delivered, 3 deleted/,
          );
          assert.match(
            await alice.ask(`!undo ${ids.second}`),
            /is in no channel, so there is nothing to undo/,
          );
          assert.match(await alice.ask("!history"), /delivered to 0 of 3, 3 deleted/);
        }),
    );

    await t.step(
      "!undo in the middle of a broadcast returns to it afterwards",
      () =>
        showingBotOutput(s, async () => {
          assert.match(await alice.ask("A draft"), /Where should I send this/);
          assert.match(await alice.ask(`!undo ${ids.first}`), /Delete broadcast/);
          const done = await alice.ask("y");
          assert.match(done, /Deleted broadcast .* from 1 channel\./);
          assert.match(done, /Back to your broadcast in progress: where should it go\?/);
          assert.equal((await botPostsIn(s, ch["town-square"].id, ids.first)).length, 0);
          const preview = await alice.ask("town-square");
          assert.match(preview, /> A draft/);
          assert.match(await alice.ask("!undo " + ids.first), /nothing to undo/);
          assert.match(await alice.ask("no"), /Cancelled/);
        }),
    );

    await t.step(
      "!retry delivers only to the failed channels, never twice",
      () =>
        showingBotOutput(s, async () => {
          const { id, report } = await broadcast(bob, "Outreach", "outreach");
          ids.outreach = id;
          assert.match(report, /Delivered to 1 of 2 channels/);
          assert.match(
            await bob.ask(`!retry ${id}`),
            /Retrying broadcast .* in 1 channel that failed/,
          );
          assert.match(await bob.replyMatching(/Retry finished/), /Delivered to 1 of 2 channels/);
          await s.server.addChannelMember(ch["no-bot"].id, s.world.bot.user.id);
          assert.match(await bob.ask(`!retry ${id}`), /in 1 channel that failed/);
          const retried = await bob.replyMatching(/Retry finished/);
          assert.match(retried, /Delivered to 2 of 2 channels/);
          assert.doesNotMatch(retried, /Not delivered/);
          for (const c of ["no-bot", "office-rome"]) {
            const copies = await botPostsIn(s, ch[c].id, id);
            assert.equal(copies.length, 1, `~${c}`);
            assert.equal(copies[0].message, "Outreach");
            assert.equal((await deliveryRows(s, id)).get(ch[c].id)?.post_id, copies[0].id);
          }
          assert.match(await bob.ask(`!retry ${id}`), /has no failed channels; nothing to retry/);
          assert.deepEqual(await events(s, id), [
            { action: "retry", actor: "bob" },
            { action: "retry", actor: "bob" },
          ]);
          assert.match(
            await auditFor("Retry", id, /2 of 2/),
            /by `@\u200bbob` at .*: 2 of 2 channels delivered\./,
          );
        }),
    );

    await t.step(
      "only the sender or an admin may undo or retry a broadcast",
      () =>
        showingBotOutput(s, async () => {
          const { id, report } = await broadcast(carol, "Hall news", "hall");
          assert.match(report, /Delivered to 1 of 2 channels/);
          assert.match(
            await bob.ask(`!retry ${id}`),
            new RegExp(`I have no broadcast \`${id}\` of yours`),
          );
          assert.match(
            await bob.ask(`!undo ${id}`),
            new RegExp(`I have no broadcast \`${id}\` of yours`),
          );
          await s.server.addChannelMember(ch["town-hall"].id, s.world.bot.user.id);
          assert.match(await alice.ask(`!retry ${id}`), /Retrying broadcast/);
          assert.match(await carol.replyMatching(/Retry finished/), /Delivered to 2 of 2 channels/);
          assert.match(await alice.replyMatching(/Retry finished/), /Delivered to 2 of 2 channels/);
          assert.match(await alice.ask(`!undo ${id}`), /\(sent by @\u200bcarol\) from 2 channels/);
          assert.match(await alice.ask("yes"), /Deleted broadcast .* from 2 channels/);
          for (const c of ["town-hall", "office-paris"]) {
            assert.equal((await botPostsIn(s, ch[c].id, id)).length, 0);
          }
          assert.deepEqual(await events(s, id), [
            { action: "retry", actor: "alice" },
            { action: "undo", actor: "alice" },
          ]);
          assert.match(await auditFor("Undo", id), /by `@\u200balice`/);
        }),
    );

    await t.step({
      name: "a !retry whose files are gone sends nothing and keeps what was delivered",
      ignore: emulatorOnly("file downloads refused (injected 404)"),
      fn: () =>
        showingBotOutput(s, async () => {
          const files = testFiles(1, "side");
          const { id, report } = await broadcast(carol, "Side news", "side", files);
          ids.side = id;
          assert.match(report, /Delivered to 1 of 2 channels/);
          // The sender deleted the DM's files: the retry cannot download them.
          s.emu.faults.failRequests({
            method: "GET",
            path: "/files/{file_id}",
            status: 404,
            times: 10,
          });
          try {
            assert.match(await carol.ask(`!retry ${id}`), /Retrying broadcast .* in 1 channel/);
            const reply = await carol.reply();
            assert.match(
              reply,
              new RegExp(
                "^\\*\\*The retry sent nothing\\*\\*: I could not download the file " +
                  `"side-0\\.pdf": .*\\. The 1 channel that already has broadcast \`${id}\` ` +
                  "is unchanged\\.$",
              ),
            );
            assert.doesNotMatch(reply, /Send the message again/);
          } finally {
            s.emu.faults.clear();
          }
          assert.equal((await botPostsIn(s, ch["office-berlin"].id, id)).length, 1);
          assert.equal((await botPostsIn(s, ch["side-room"].id, id)).length, 0);
          assert.match(
            await carol.ask("!history 1"),
            new RegExp(
              `\`${id}\` · .* · 2 channels · delivered to 1 of 2, 1 failed · 0 reactions, ` +
                "0 replies$",
              "m",
            ),
          );
          const status = await withLog(s, async (db) =>
            ((await db.query("SELECT status FROM broadcasts WHERE id = ?", [id]))[0] as {
              status: string;
            }).status);
          assert.equal(status, "done");
          const rows = await deliveryRows(s, id);
          assert.equal(rows.get(ch["office-berlin"].id)?.status, "delivered");
          assert.equal(rows.get(ch["side-room"].id)?.status, "failed");
          assert.match(
            rows.get(ch["side-room"].id)?.error ?? "",
            /^not sent: I could not download/,
          );
        }),
    });

    await t.step(
      "an undone broadcast cannot be retried",
      () =>
        showingBotOutput(s, async () => {
          // The broadcast of the step before, which retried it (emulator-only); else a new one.
          const retried = ids.side !== undefined;
          const id = ids.side ?? (await broadcast(carol, "Side news", "side")).id;
          assert.match(await carol.ask(`!undo ${id}`), /Delete broadcast .* from 1 channel/);
          assert.match(await carol.ask("yes"), /Deleted broadcast .* from 1 channel\./);
          assert.equal(
            await carol.ask(`!retry ${id}`),
            `Broadcast \`${id}\` was undone; send a new broadcast instead.`,
          );
          assert.deepEqual(await events(s, id), [
            ...(retried ? [{ action: "retry", actor: "carol" }] : []),
            { action: "undo", actor: "carol" },
          ]);
          for (const c of ["office-berlin", "side-room"]) {
            assert.equal((await botPostsIn(s, ch[c].id, id)).length, 0);
          }
        }),
    );

    await t.step(
      "a yes that comes after the undo window is refused; nothing is deleted",
      () =>
        showingBotOutput(s, async () => {
          const { id } = await broadcast(carol, "Late undo", "all");
          assert.match(await carol.ask(`!undo ${id}`), /Delete broadcast .* from 3 channels/);
          // The question stays open across a restart; the window is now 1 second.
          await s.bot.stop();
          await s.startBot({ UNDO_WINDOW_SECONDS: "1" });
          const created = await withLog(s, async (db) =>
            ((await db.query("SELECT created_at FROM broadcasts WHERE id = ?", [id]))[0] as {
              created_at: number;
            }).created_at);
          await s.waitFor(() =>
            Date.now() > created + 1_500, { timeoutMs: 15_000 });
          assert.match(
            await carol.ask("yes"),
            new RegExp(
              `^Broadcast \`${id}\` was sent .*, more than 1 second ago, so it can no longer be ` +
                "undone by me\\.",
            ),
          );
          for (const c of ["office-berlin", "office-paris", "office-rome"]) {
            assert.equal((await botPostsIn(s, ch[c].id, id)).length, 1);
          }
          assert.deepEqual(await events(s, id), []);
        }),
    );

    await t.step(
      "after the undo window, !undo is refused and nothing is deleted",
      () =>
        showingBotOutput(s, async () => {
          await s.bot.stop();
          await s.startBot({ UNDO_WINDOW_SECONDS: "1" });
          const created = await withLog(
            s,
            async (db) =>
              ((await db.query("SELECT created_at FROM broadcasts WHERE id = ?", [ids.outreach]))[
                0
              ] as {
                created_at: number;
              }).created_at,
          );
          await s.waitFor(() => Date.now() > created + 1_500, { timeoutMs: 15_000 });
          const reply = await bob.ask(`!undo ${ids.outreach}`);
          assert.match(reply, /more than 1 second ago, so it can no longer be undone/);
          for (const c of ["no-bot", "office-rome"]) {
            assert.equal((await botPostsIn(s, ch[c].id, ids.outreach)).length, 1);
          }
          assert.match(
            await bob.ask("!history"),
            new RegExp(`\`${ids.outreach}\``),
            "history survives a restart",
          );
        }),
    );
  } finally {
    await s.stop();
  }
});
