import assert from "node:assert/strict";
import { channelsOf } from "./model.ts";
import type { Channel } from "@mattermost/types/channels";
import type { DatabaseSync } from "node:sqlite";
import { RestTransport, Secret } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { type Emulator, startEmulator } from "@postbot/mattermost-emulator";
import { until } from "@postbot/mattermost-emulator/testing";
import { Notifier } from "../notifier.ts";
import { MIGRATIONS } from "../migrations.ts";
import { Broadcaster, type BroadcasterSettings } from "./broadcaster.ts";
import { retryFailedText } from "./outcome_reports.ts";
import { BROADCAST_PROP } from "./copies.ts";
import { BroadcastLog } from "./log.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";
import { type ChannelTarget, newBroadcastId, postedMessage } from "./model.ts";

interface World {
  emu: Emulator;
  db: DatabaseSync;
  log: BroadcastLog;
  broadcaster: Broadcaster;
  bot: { id: string; username: string };
  alice: { id: string; username: string };
  admin: { id: string; username: string };
  ch: Record<string, Channel>;
  /** The bot's DMs to a user, oldest first. */
  dms: (userId: string) => string[];
  audits: () => string[];
}

async function withWorld(
  fn: (w: World) => Promise<void>,
  extra: Partial<BroadcasterSettings> = {},
): Promise<void> {
  const emu = await startEmulator();
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db = opened.value;
  let broadcaster: Broadcaster | undefined;
  try {
    const s = emu.store;
    const team = s.createTeam({ name: "staff" });
    const bot = s.createUser({ username: "postbot", is_bot: true });
    const alice = s.createUser({ username: "alice" });
    const admin = s.createUser({ username: "root" });
    for (const u of [bot, alice, admin]) s.addTeamMember(team.id, u.user.id);
    const ch: Record<string, Channel> = {};
    for (const name of ["one", "two", "no-bot", "bot-log"]) {
      ch[name] = s.createChannel({ team_id: team.id, name, display_name: name, type: "O" });
      if (name !== "no-bot") s.addChannelMember(ch[name].id, bot.user.id);
    }
    const transport = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(bot.token),
      backoff: { initialMs: 5, maxMs: 20 },
    });
    const log = new BroadcastLog(new SqliteDatabase(db));
    const notifier = new Notifier(transport, bot.user.id, ch["bot-log"].id);
    broadcaster = new Broadcaster(transport, log, notifier, {
      concurrency: 2,
      attribution: "none",
      undoWindowSeconds: 3600,
      botUserId: bot.user.id,
      botUsername: "postbot",
      ...extra,
    });
    const mine = (channelId: string) =>
      s.postsIn(channelId).filter((p) => p.user_id === bot.user.id && !p.type.startsWith("system_"))
        .map((p) => p.message);
    await fn({
      emu,
      db,
      log,
      broadcaster,
      bot: { id: bot.user.id, username: "postbot" },
      alice: { id: alice.user.id, username: "alice" },
      admin: { id: admin.user.id, username: "root" },
      ch,
      dms: (userId) => mine(s.directChannel(userId, bot.user.id).id),
      audits: () => mine(ch["bot-log"].id),
    });
  } finally {
    if (broadcaster !== undefined) await broadcaster.drain(0, 5_000);
    db.close();
    await emu.stop();
  }
}

const target = (c: Channel): ChannelTarget => ({
  kind: "channel" as const,
  channelId: c.id,
  name: c.name,
  displayName: c.display_name,
});

/** Waits for the bot's DM to `userId` that matches. */
function dmMatching(w: World, userId: string, pattern: RegExp): Promise<string> {
  return w.emu.waitFor(() => w.dms(userId).find((m) => pattern.test(m)), {
    timeoutMs: 15_000,
    message: `no DM matching ${pattern}; got:\n${w.dms(userId).join("\n---\n")}`,
  });
}

Deno.test("newBroadcastId makes short ids that are easy to type", () => {
  const ids = new Set(Array.from({ length: 1_000 }, newBroadcastId));
  assert.equal(ids.size, 1_000);
  for (const id of ids) assert.match(id, /^[a-hjkmnp-z2-9]{8}$/);
});

Deno.test("postedMessage adds the footer only when asked to", () => {
  assert.equal(postedMessage("hi", "none", "alice"), "hi");
  assert.equal(postedMessage("hi", "footer", "alice"), "hi\n\n_Sent by @alice via postbot_");
  assert.equal(postedMessage(" ", "footer", "alice"), "_Sent by @alice via postbot_");
});

Deno.test("retryFailedText says nothing changed, and advises a new send only if nothing arrived", () => {
  const row = (name: string, status: "delivered" | "failed") => ({
    kind: "channel" as const,
    channelId: name,
    name,
    displayName: name,
    status,
    postId: null,
    error: null,
    attempts: 1,
    updatedAt: 0,
  });
  const reason = 'I could not download the file "a.pdf": gone';
  assert.equal(
    retryFailedText("k3m9x2qa", reason, [
      row("a", "delivered"),
      row("b", "delivered"),
      row("c", "failed"),
    ]),
    `**The retry sent nothing**: ${reason}. The 2 channels that already have broadcast ` +
      "`k3m9x2qa` are unchanged.",
  );
  assert.match(
    retryFailedText("k3m9x2qa", reason, [row("a", "delivered"), row("c", "failed")]),
    /The 1 channel that already has broadcast `k3m9x2qa` is unchanged\.$/,
  );
  assert.match(
    retryFailedText("k3m9x2qa", reason, [row("c", "failed")]),
    /No channel has broadcast `k3m9x2qa` yet; send the message again with its files\.$/,
  );
});

Deno.test("Broadcaster", async (t) => {
  await withWorld(async (w) => {
    let id = "";

    await t.step("send: announces first, delivers, reports, audits", async () => {
      const order: string[] = [];
      id = await w.broadcaster.send(
        {
          sender: w.alice,
          message: "Hello",
          files: [],
          sourcePostId: "p".repeat(26),
          answer: "one, two, no-bot",
          targets: [target(w.ch.one), target(w.ch.two), target(w.ch["no-bot"])],
        },
        async (announced) => {
          order.push(`announce ${announced}`);
          assert.equal(
            (await w.log.get(announced))?.status,
            "pending",
            "recorded before announcing",
          );
          assert.equal(w.dms(w.alice.id).length, 0, "nothing reported yet");
        },
      );
      assert.deepEqual(order, [`announce ${id}`]);
      assert.equal(w.broadcaster.isBusy(id), true);
      const report = await dmMatching(w, w.alice.id, /Delivered to/);
      assert.match(report, /Delivered to 2 of 3 channels/);
      assert.match(report, /~no-bot/);
      assert.match(await w.emu.waitFor(() => w.audits()[0]), /^\*\*Broadcast\*\* `/);
      await w.emu.waitFor(() => w.broadcaster.running === 0);
      assert.equal(w.broadcaster.isBusy(id), false);
      assert.deepEqual(w.broadcaster.counters, {
        broadcasts: 1,
        deliveriesOk: 2,
        deliveriesFailed: 1,
      });
      assert.equal((await w.log.get(id))?.status, "done");
    });

    await t.step("a failing announcement does not stop the delivery", async () => {
      const other = await w.broadcaster.send(
        {
          sender: w.alice,
          message: "Still sent",
          files: [],
          sourcePostId: "q".repeat(26),
          answer: "one",
          targets: [target(w.ch.one)],
        },
        () => Promise.reject(new Error("reply failed")),
      );
      await dmMatching(w, w.alice.id, new RegExp(`broadcast \`${other}\``));
      assert.equal(channelsOf(await w.log.deliveries(other))[0].status, "delivered");
    });

    await t.step("retry by an admin: only failed channels, both people told", async () => {
      w.emu.store.addChannelMember(w.ch["no-bot"].id, w.bot.id);
      assert.equal(await w.broadcaster.retry(id, w.admin), 1);
      await dmMatching(w, w.alice.id, /Retry finished\. \*\*Delivered to 3 of 3/);
      await dmMatching(w, w.admin.id, /Retry finished\. \*\*Delivered to 3 of 3/);
      for (const c of ["one", "two", "no-bot"]) {
        assert.equal(
          w.emu.store.postsIn(w.ch[c].id).filter((p) => p.props?.[BROADCAST_PROP] === id).length,
          1,
        );
      }
      await w.emu.waitFor(() => w.broadcaster.running === 0);
      assert.equal(await w.broadcaster.retry(id, w.admin), 0, "nothing left to retry");
    });

    await t.step("undo deletes every delivered post and audits who did it", async () => {
      const text = await w.broadcaster.undo(id, w.admin);
      assert.equal(text, `Deleted broadcast \`${id}\` from 3 channels.`);
      for (const c of ["one", "two", "no-bot"]) {
        assert.equal(
          w.emu.store.postsIn(w.ch[c].id).filter((p) => p.props?.[BROADCAST_PROP] === id).length,
          0,
        );
      }
      assert.ok(w.audits().some((m) => m.startsWith(`**Undo** \`${id}\` by \`@\u200broot\``)));
      assert.deepEqual((await w.log.events(id)).map((e) => [e.action, e.actor]), [
        ["retry", "root"],
        ["undo", "root"],
      ]);
    });

    await t.step("an undo that fails in one channel names it, with why", async () => {
      const partial = await w.broadcaster.send({
        sender: w.alice,
        message: "Partly undone",
        files: [],
        sourcePostId: "u".repeat(26),
        answer: "one, two",
        targets: [target(w.ch.one), target(w.ch.two)],
      });
      await dmMatching(
        w,
        w.alice.id,
        new RegExp(`Delivered to 2 of 2 channels\\*\\* \\(broadcast \`${partial}\``),
      );
      await w.emu.waitFor(() => w.broadcaster.running === 0);
      const kept = channelsOf(await w.log.deliveries(partial)).find((d) =>
        d.channelId === w.ch.two.id
      )!;
      w.emu.faults.failRequests({
        method: "DELETE",
        path: `/api/v4/posts/${kept.postId}`,
        status: 403,
        times: 1,
      });
      const text = await w.broadcaster.undo(partial, w.alice);
      assert.equal(
        text,
        `Deleted broadcast \`${partial}\` from 1 channel.\nCould not delete it from:\n` +
          "- ~two (two): the bot is not a member of ~two or may not post there (add it with " +
          "/invite)",
      );
      assert.deepEqual(
        channelsOf(await w.log.deliveries(partial)).map((d) => [d.name, d.status]),
        [["one", "deleted"], ["two", "delivered"]],
      );
    });

    await t.step("recover settles what a dead process left pending", async () => {
      const lost = "lostlost";
      await w.log.create({
        id: lost,
        senderId: w.alice.id,
        senderUsername: "alice",
        targetAnswer: "one, two, no-bot",
        message: "Interrupted",
        files: [],
        sourcePostId: null,
        targets: [target(w.ch.one), target(w.ch.two), target(w.ch["no-bot"])],
      });
      // ~one: the post was made but the answer never recorded; ~two: the request died.
      await w.log.markSending(lost, { kind: "channel", channelId: w.ch.one.id });
      const made = w.emu.store.createPost(w.bot.id, {
        channel_id: w.ch.one.id,
        message: "Interrupted",
        props: { [BROADCAST_PROP]: lost },
      });
      await w.log.markSending(lost, { kind: "channel", channelId: w.ch.two.id });
      await w.broadcaster.recover();
      const [one, two, noBot] = channelsOf(await w.log.deliveries(lost));
      assert.deepEqual([one.status, one.postId], ["delivered", made.id]);
      assert.equal(two.status, "failed");
      assert.match(two.error ?? "", /the post did not arrive/);
      assert.equal(noBot.status, "failed");
      assert.match(noBot.error ?? "", /stopped before reaching this channel/);
      assert.equal((await w.log.get(lost))?.status, "interrupted");
      const report = await dmMatching(w, w.alice.id, /restarted while delivering/);
      assert.match(report, /Delivered to 1 of 3 channels/);
      assert.match(report, /Delivered to: ~one\n/);
      assert.deepEqual(await w.log.unfinished(), []);
    });

    await t.step("drain gives up on requests that hang, leaving them to recovery", async () => {
      w.emu.faults.latencyMs = 2_000;
      const slow = await w.broadcaster.send({
        sender: w.alice,
        message: "Slow",
        files: [],
        sourcePostId: "s".repeat(26),
        answer: "one, two, no-bot",
        targets: [target(w.ch.one), target(w.ch.two), target(w.ch["no-bot"])],
      });
      await until(
        async () =>
          channelsOf(await w.log.deliveries(slow)).some((d) => d.status === "sending") || undefined,
        "a delivery in flight",
      );
      assert.equal(await w.broadcaster.drain(0, 10), false);
      assert.ok(w.broadcaster.running > 0, "still hanging when drain returned");
      assert.ok(channelsOf(await w.log.deliveries(slow)).some((d) => d.status === "sending"));
      w.emu.faults.latencyMs = 0;
      await w.emu.waitFor(() => w.broadcaster.running === 0, { timeoutMs: 15_000 });
      const statuses = channelsOf(await w.log.deliveries(slow)).map((d) => d.status);
      assert.ok(statuses.includes("failed"), "channels not started are recorded as not sent");
      assert.equal((await w.log.get(slow))?.status, "interrupted");
    });
  });
});

Deno.test("the seen capture runs once after the fan-out, before the report; not when nothing went out", async () => {
  const captured: { id: string; statuses: string[]; reported: number }[] = [];
  let world: World | undefined;
  await withWorld(async (w) => {
    world = w;
    const request = (files: { id: string; name: string }[]) => ({
      sender: w.alice,
      message: "Seen?",
      files: files.map((f) => ({ ...f, size: 1, mimeType: "text/plain" })),
      sourcePostId: "s".repeat(26),
      answer: "one, two",
      targets: [target(w.ch.one), target(w.ch.two)],
    });
    const sent = await w.broadcaster.send(request([]));
    await dmMatching(w, w.alice.id, new RegExp(`broadcast \`${sent}\``));
    assert.deepEqual(captured, [{ id: sent, statuses: ["delivered", "delivered"], reported: 0 }]);
    const noFiles = await w.broadcaster.send(request([{ id: "f".repeat(26), name: "gone.txt" }]));
    await dmMatching(w, w.alice.id, /Nothing was sent/);
    assert.equal((await w.log.get(noFiles))?.status, "aborted");
    assert.equal(captured.length, 1, "nothing delivered, nothing to capture");
  }, {
    captureSeen: async (id) => {
      const w = world!;
      captured.push({
        id,
        statuses: (await w.log.deliveries(id)).map((d) => d.status),
        reported: w.dms(w.alice.id).length,
      });
    },
  });
});
