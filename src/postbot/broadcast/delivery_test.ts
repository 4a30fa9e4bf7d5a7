import assert from "node:assert/strict";
import { channelsOf } from "./model.ts";
import type { Channel } from "@mattermost/types/channels";
import type { DatabaseSync } from "node:sqlite";
import { MattermostError, RestTransport, Secret } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { type Emulator, type EmulatorOptions, startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld } from "@postbot/mattermost-emulator/testing";
import { MIGRATIONS } from "../migrations.ts";
import { BROADCAST_PROP, findBroadcastPost } from "./copies.ts";
import {
  type ChannelOutcome,
  deliver,
  deliverEach,
  type DeliveryContext,
  type DeliveryJob,
  downloadFiles,
  explain,
  type PreparedFile,
} from "./delivery.ts";
import { BroadcastLog } from "./log.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";
import type { BroadcastFile, ChannelTarget } from "./model.ts";

/** The shared seeded world, plus a DM from alice holding two files and channels to deliver to. */
interface World {
  emu: Emulator;
  botId: string;
  botToken: string;
  aliceId: string;
  transport: RestTransport;
  ch: Record<string, Channel>;
  /** The DM's files as the wizard records them. */
  files: BroadcastFile[];
  /** Their bytes, by DM file id. */
  bytes: Map<string, Uint8Array>;
  db: DatabaseSync;
  log: BroadcastLog;
}

const FAST = { initialMs: 5, maxMs: 40 };

async function withWorld(
  fn: (w: World) => Promise<void>,
  emulator: EmulatorOptions = {},
): Promise<void> {
  const emu = await startEmulator(emulator);
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db = opened.value;
  try {
    const { bot, alice, team, dm } = seedWorld(emu);
    const s = emu.store;
    const ch: Record<string, Channel> = {};
    for (const name of ["one", "two", "three", "four", "five", "six", "no-bot", "archived"]) {
      ch[name] = s.createChannel({
        team_id: team.id,
        name,
        display_name: name.toUpperCase(),
        type: "O",
      });
      if (name !== "no-bot") s.addChannelMember(ch[name].id, bot.user.id);
      s.addChannelMember(ch[name].id, alice.user.id);
    }
    s.archiveChannel(ch.archived.id);
    const pdf = crypto.getRandomValues(new Uint8Array(50_000));
    const txt = new TextEncoder().encode("minutes of the meeting\n");
    const infos = [
      s.uploadFile(alice.user.id, dm.id, "report.pdf", pdf, "application/pdf"),
      s.uploadFile(alice.user.id, dm.id, "minutes.txt", txt, "text/plain"),
    ];
    s.createPost(alice.user.id, {
      channel_id: dm.id,
      message: "see attached",
      file_ids: infos.map((f) => f.id),
    });
    const files = infos.map((f) => ({
      id: f.id,
      name: f.name,
      size: f.size,
      mimeType: f.mime_type,
    }));
    const transport = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(bot.token),
      backoff: FAST,
    });
    await fn({
      emu,
      botId: bot.user.id,
      botToken: bot.token,
      aliceId: alice.user.id,
      transport,
      ch,
      files,
      bytes: new Map([[infos[0].id, pdf], [infos[1].id, txt]]),
      db,
      log: new BroadcastLog(new SqliteDatabase(db)),
    });
  } finally {
    db.close();
    await emu.stop();
  }
}

function target(c: Channel): ChannelTarget {
  return { kind: "channel" as const, channelId: c.id, name: c.name, displayName: c.display_name };
}

let counter = 0;

/** Records a broadcast in the log and returns a job for it. */
async function job(
  w: World,
  targets: Channel[],
  files: PreparedFile[],
  extra: Partial<DeliveryJob> = {},
): Promise<DeliveryJob> {
  const broadcastId = `test${++counter}`;
  await w.log.create({
    id: broadcastId,
    senderId: w.aliceId,
    senderUsername: "alice",
    targetAnswer: targets.map((t) => t.name).join(", "),
    message: "Hello **everyone**",
    files: files.map((f) => f.source),
    sourcePostId: null,
    targets: targets.map(target),
  });
  return {
    broadcastId,
    message: "Hello **everyone**",
    files,
    targets: targets.map(target),
    checkFirst: false,
    since: Date.now(),
    ...extra,
  };
}

function context(w: World, extra: Partial<DeliveryContext> = {}): DeliveryContext {
  return {
    transport: w.transport,
    journal: w.log,
    botUserId: w.botId,
    botUsername: "postbot",
    concurrency: 4,
    backoff: FAST,
    ...extra,
  };
}

/** The server creates the post, but its answer is lost (a 502 after handling), `times` times. */
function loseAnswersToPosts(w: World, times?: number): void {
  w.emu.faults.failRequests({
    method: "POST",
    path: "/posts",
    status: 502,
    afterHandling: true,
    ...(times === undefined ? {} : { times }),
  });
}

async function prepared(w: World): Promise<PreparedFile[]> {
  const r = await downloadFiles(w.transport, w.files);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

/** The bot's posts carrying this broadcast in a channel (deleted ones excluded). */
function copies(w: World, channelId: string, broadcastId: string) {
  return w.emu.store.postsIn(channelId).filter((p) =>
    p.user_id === w.botId && p.props?.[BROADCAST_PROP] === broadcastId
  );
}

/** A copy of the broadcast posted as the bot, as another instance of it would: its id. */
async function postCopy(w: World, channelId: string, broadcastId: string): Promise<string> {
  const answer = await w.transport.send(w.transport.api("/posts"), {
    method: "POST",
    body: JSON.stringify({
      channel_id: channelId,
      message: "Hello **everyone**",
      props: { [BROADCAST_PROP]: broadcastId },
    }),
  });
  return (await answer.json() as { id: string }).id;
}

function requests(w: World, method: string, path: RegExp, status?: number) {
  return w.emu.requests.filter((r) =>
    r.method === method && path.test(r.path) && (status === undefined || r.status === status)
  ).length;
}

/** Every post of the job: exactly one per channel, with the bot's own copies of the files. */
async function assertDeliveredOnce(w: World, j: DeliveryJob, outcomes: ChannelOutcome[]) {
  assert.equal(outcomes.length, j.targets.length);
  for (const o of outcomes) {
    assert.ok(o.ok, `${(o.target as ChannelTarget).name}: ${o.ok ? "" : o.reason}`);
    const posts = copies(w, (o.target as ChannelTarget).channelId, j.broadcastId);
    assert.equal(
      posts.length,
      1,
      `~${(o.target as ChannelTarget).name} has ${posts.length} copies`,
    );
    assert.equal(posts[0].id, o.postId);
    assert.equal(posts[0].message, j.message);
    assert.equal((posts[0].file_ids ?? []).length, j.files.length);
    // Mattermost sorts a post's file_ids by id: match the files by name.
    for (const fileId of posts[0].file_ids ?? []) {
      const info = w.emu.store.getFile(fileId)!;
      assert.equal(info.user_id, w.botId, "uploaded by the bot");
      assert.equal(
        info.channel_id,
        (o.target as ChannelTarget).channelId,
        "uploaded to that channel",
      );
      assert.equal(info.post_id, o.postId);
      const source = j.files.find((f) => f.source.name === info.name)?.source;
      assert.ok(source, `unexpected file ${info.name}`);
      assert.deepEqual(w.emu.store.fileBytes(fileId), w.bytes.get(source.id));
    }
    const d = channelsOf(await w.log.deliveries(j.broadcastId)).find((x) =>
      x.channelId === (o.target as ChannelTarget).channelId
    )!;
    assert.deepEqual([d.status, d.postId], ["delivered", o.postId]);
  }
}

Deno.test("downloadFiles", async (t) => {
  await withWorld(async (w) => {
    await t.step("downloads each file once, bytes intact", async () => {
      const files = await prepared(w);
      assert.equal(files.length, 2);
      for (const f of files) {
        assert.deepEqual(new Uint8Array(await f.content.arrayBuffer()), w.bytes.get(f.source.id));
      }
      assert.equal(requests(w, "GET", /^\/api\/v4\/files\/[a-z0-9]{26}$/), 2);
    });

    await t.step("a file that cannot be downloaded is an error naming it", async () => {
      w.emu.faults.failRequests({ method: "GET", path: /\/files\//, status: 404, times: 10 });
      const r = await downloadFiles(w.transport, w.files);
      w.emu.faults.clear();
      assert.equal(r.ok, false);
      assert.match(
        r.ok ? "" : r.error.message,
        /could not download the file "report\.pdf": it is no longer available/,
      );
    });
  });
});

Deno.test("downloadFiles asks for all the files at once", async () => {
  // Every answer is held until two requests wait (or 20 s pass): one download after the
  // other would have only one waiting.
  let waiting = 0;
  let together = false;
  let gaveUp = false;
  const both = Promise.withResolvers<void>();
  const giveUp = setTimeout(() => {
    gaveUp = true;
    both.resolve();
  }, 20_000);
  try {
    await withWorld(async (w) => {
      w.emu.faults.latencyMs = 1;
      const files = await prepared(w);
      w.emu.faults.latencyMs = 0;
      assert.deepEqual(files.map((f) => f.source.name), ["report.pdf", "minutes.txt"]);
      assert.ok(together, "the second download was asked for before the first was answered");
    }, {
      delay: () => {
        if (++waiting === 2) {
          together = !gaveUp;
          both.resolve();
        }
        return both.promise;
      },
    });
  } finally {
    clearTimeout(giveUp);
  }
});

Deno.test("deliver", async (t) => {
  await withWorld(async (w) => {
    const files = await prepared(w);

    await t.step("uploads the files as the bot to every channel and posts once each", async () => {
      const downloads = requests(w, "GET", /^\/api\/v4\/files\//);
      const j = await job(w, [w.ch.one, w.ch.two, w.ch.three], files);
      const outcomes = await deliver(j, context(w));
      await assertDeliveredOnce(w, j, outcomes);
      assert.equal(requests(w, "GET", /^\/api\/v4\/files\//), downloads, "no re-download");
    });

    await t.step("deliverEach hands every outcome on, keeps none, counts them", async () => {
      const j = await job(w, [w.ch.one, w.ch.two], files);
      const seen: ChannelOutcome[] = [];
      const tried = await deliverEach(j, context(w, { onOutcome: (o) => seen.push(o) }));
      assert.equal(tried, 2);
      await assertDeliveredOnce(w, j, seen);
    });

    await t.step("an instance that lost the lease claims but does not post", async () => {
      const j = await job(w, [w.ch.one, w.ch.two], []);
      let asked = 0;
      const tried = await deliverEach(j, context(w, { mayAct: () => (asked++, false) }));
      assert.equal(tried, 0, "no outcome: the recipients are the next active's");
      assert.equal(asked, 2, "asked right before each post");
      for (const c of [w.ch.one, w.ch.two]) {
        assert.deepEqual(copies(w, c.id, j.broadcastId), [], `~${c.name} got a post`);
      }
    });

    await t.step(
      "a post landing after the lease was lost goes when another copy is there",
      async () => {
        const j = await job(w, [w.ch.one, w.ch.two], []);
        // The new active's copy in ~one; ~two has none (the new active found this post there).
        const theirs = await postCopy(w, w.ch.one.id, j.broadcastId);
        // Each post leaves with the lease held, and its answer comes back after it is gone.
        let asked = 0;
        const tried = await deliverEach(
          j,
          context(w, { concurrency: 1, mayAct: () => ++asked % 2 === 1 }),
        );
        assert.equal(tried, 0, "nothing recorded without the lease");
        assert.equal(asked, 4, "asked before each post and after it landed");
        assert.deepEqual(copies(w, w.ch.one.id, j.broadcastId).map((p) => p.id), [theirs]);
        assert.equal(copies(w, w.ch.two.id, j.broadcastId).length, 1, "the only copy stays");
      },
    );

    await t.step(
      "resuming, the lease holder removes a copy its predecessor posted late",
      async () => {
        const j = await job(w, [w.ch.three], [], { checkFirst: true });
        // The predecessor's frozen request lands between this instance's search and its post.
        const late = new (class extends RestTransport {
          override async send(url: string, init: RequestInit, signal?: AbortSignal) {
            if (init.method === "POST" && url.endsWith("/api/v4/posts")) {
              await postCopy(w, w.ch.three.id, j.broadcastId);
            }
            return await super.send(url, init, signal);
          }
        })({ serverUrl: w.emu.url, token: new Secret(w.botToken) });
        const [outcome] = await deliver(j, context(w, { transport: late, mayAct: () => true }));
        assert.ok(outcome.ok);
        const left = copies(w, w.ch.three.id, j.broadcastId);
        assert.deepEqual(left.map((p) => p.id), [outcome.postId], "one copy: the one recorded");
      },
    );

    await t.step("text only and files only both work", async () => {
      const text = await job(w, [w.ch.one], []);
      await assertDeliveredOnce(w, text, await deliver(text, context(w)));
      const filesOnly = await job(w, [w.ch.two], files, { message: "" });
      await assertDeliveredOnce(w, filesOnly, await deliver(filesOnly, context(w)));
    });

    await t.step("a post that lost files to the server's silent drop is taken back", async () => {
      // A transport that swaps the bot's fresh uploads for the DM's file ids: the server
      // accepts the post (201) but drops files the bot did not upload.
      const dmIds = w.files.map((f) => f.id);
      const tampering = new (class extends RestTransport {
        override send(url: string, init: RequestInit, signal?: AbortSignal) {
          if (init.method === "POST" && url.endsWith("/api/v4/posts")) {
            const body = JSON.parse(String(init.body));
            init = { ...init, body: JSON.stringify({ ...body, file_ids: dmIds }) };
          }
          return super.send(url, init, signal);
        }
      })({ serverUrl: w.emu.url, token: new Secret(w.botToken) });
      const j = await job(w, [w.ch.three], files);
      const [outcome] = await deliver(j, context(w, { transport: tampering }));
      assert.equal(outcome.ok, false);
      assert.match(
        (outcome as { reason: string }).reason,
        /did not attach 2 of 2 files, so the post was removed/,
      );
      assert.equal(copies(w, w.ch.three.id, j.broadcastId).length, 0, "incomplete post removed");
      assert.equal(channelsOf(await w.log.deliveries(j.broadcastId))[0].status, "failed");
      for (const id of dmIds) {
        assert.notEqual(w.emu.store.getFile(id)?.channel_id, w.ch.three.id);
      }
    });

    await t.step("403 (bot not a member) fails at once with a human reason", async () => {
      const before = requests(w, "POST", /^\/api\/v4\/files$/, 403);
      const j = await job(w, [w.ch["no-bot"], w.ch.four], files);
      const outcomes = await deliver(j, context(w));
      const noBot = outcomes.find((o) => (o.target as ChannelTarget).name === "no-bot")!;
      assert.equal(noBot.ok, false);
      assert.match(
        (noBot as { reason: string }).reason,
        /the bot is not a member of ~no-bot or may not post there/,
      );
      assert.equal(requests(w, "POST", /^\/api\/v4\/files$/, 403) - before, 1, "not retried");
      assert.ok(outcomes.find((o) => (o.target as ChannelTarget).name === "four")!.ok);
      const d = channelsOf(await w.log.deliveries(j.broadcastId)).find((x) => x.name === "no-bot")!;
      assert.deepEqual([d.status, d.attempts], ["failed", 1]);
    });

    await t.step("an archived channel is reported as archived, without retries", async () => {
      const j = await job(w, [w.ch.archived], []);
      const [outcome] = await deliver(j, context(w));
      assert.equal(outcome.ok, false);
      assert.equal((outcome as { reason: string }).reason, "~archived was archived");
      assert.equal(channelsOf(await w.log.deliveries(j.broadcastId))[0].attempts, 1);
    });

    await t.step("404 is not retried", async () => {
      w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 404, times: 1 });
      const j = await job(w, [w.ch.five], []);
      const [outcome] = await deliver(j, context(w));
      w.emu.faults.clear();
      assert.equal(outcome.ok, false);
      assert.equal((outcome as { reason: string }).reason, "~five no longer exists");
      assert.equal(channelsOf(await w.log.deliveries(j.broadcastId))[0].attempts, 1);
      assert.equal(copies(w, w.ch.five.id, j.broadcastId).length, 0);
    });

    await t.step("5xx before the post was made is retried: delivered once", async () => {
      w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 503, times: 2 });
      const j = await job(w, [w.ch.five], files);
      const outcomes = await deliver(j, context(w));
      w.emu.faults.clear();
      await assertDeliveredOnce(w, j, outcomes);
      assert.equal(channelsOf(await w.log.deliveries(j.broadcastId))[0].attempts, 3);
    });

    await t.step("5xx after the post was made (lost answer) is not a duplicate", async () => {
      loseAnswersToPosts(w, 1);
      const j = await job(w, [w.ch.six], files);
      const outcomes = await deliver(j, context(w));
      w.emu.faults.clear();
      await assertDeliveredOnce(w, j, outcomes);
    });

    await t.step("persistent 5xx gives up after the attempts with a reason", async () => {
      w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 500, times: 3 });
      const j = await job(w, [w.ch.six], []);
      const [outcome] = await deliver(j, context(w, { attempts: 3 }));
      w.emu.faults.clear();
      assert.equal(outcome.ok, false);
      assert.equal((outcome as { reason: string }).reason, "the server failed (HTTP 500) 3 times");
      assert.equal(copies(w, w.ch.six.id, j.broadcastId).length, 0);
    });

    await t.step("a burst of 429 is waited out: every channel once", async () => {
      w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 429, times: 6 });
      w.emu.faults.failRequests({ method: "POST", path: "/files", status: 429, times: 4 });
      const j = await job(w, [w.ch.one, w.ch.two, w.ch.three, w.ch.four], files);
      const outcomes = await deliver(j, context(w));
      w.emu.faults.clear();
      await assertDeliveredOnce(w, j, outcomes);
    });

    await t.step("under the server's rate limiter every channel gets it once", async () => {
      w.emu.faults.rateLimit = { perSec: 20, maxBurst: 3 };
      const j = await job(
        w,
        [w.ch.one, w.ch.two, w.ch.three, w.ch.four, w.ch.five, w.ch.six],
        files,
      );
      const outcomes = await deliver(j, context(w, { concurrency: 6 }));
      const limited = requests(w, "POST", /^\/api\/v4\/(posts|files)$/, 429);
      w.emu.faults.clear();
      await assertDeliveredOnce(w, j, outcomes);
      assert.ok(limited > 0, "the limiter was hit");
    });

    await t.step("a channel that already has the broadcast is not sent again", async () => {
      const first = await job(w, [w.ch.one, w.ch.two], []);
      await deliver(first, context(w));
      const before = copies(w, w.ch.one.id, first.broadcastId)[0].id;
      const again = { ...first, checkFirst: true };
      const outcomes = await deliver(again, context(w));
      await assertDeliveredOnce(w, again, outcomes);
      assert.equal(
        (outcomes.find((o) => (o.target as ChannelTarget).name === "one") as { postId: string })
          .postId,
        before,
      );
    });

    await t.step("never more than `concurrency` channels at once", async () => {
      let inFlight = 0;
      let peak = 0;
      w.emu.faults.latencyMs = 20;
      const j = await job(w, [w.ch.one, w.ch.two, w.ch.three, w.ch.four, w.ch.five, w.ch.six], []);
      const outcomes = await deliver(
        j,
        context(w, {
          concurrency: 2,
          transport: new (class extends RestTransport {
            override async send(url: string, init: RequestInit, signal?: AbortSignal) {
              inFlight++;
              peak = Math.max(peak, inFlight);
              try {
                return await super.send(url, init, signal);
              } finally {
                inFlight--;
              }
            }
          })({ serverUrl: w.emu.url, token: new Secret(w.botToken) }),
        }),
      );
      w.emu.faults.clear();
      await assertDeliveredOnce(w, j, outcomes);
      assert.equal(peak, 2);
    });

    await t.step("an aborted run starts no channel and leaves them pending", async () => {
      const j = await job(w, [w.ch.one, w.ch.two], []);
      const controller = new AbortController();
      controller.abort();
      const outcomes = await deliver(j, context(w, { signal: controller.signal }));
      assert.deepEqual(outcomes, []);
      assert.deepEqual(channelsOf(await w.log.deliveries(j.broadcastId)).map((d) => d.status), [
        "pending",
        "pending",
      ]);
      assert.equal(copies(w, w.ch.one.id, j.broadcastId).length, 0);
    });

    await t.step("a copy behind more than 1000 newer posts is still found", async () => {
      // `GET /posts?since=` returns at most 1000 posts: a busy channel hid the copy.
      const first = await job(w, [w.ch.three], []);
      const [delivered] = await deliver(first, context(w));
      assert.ok(delivered.ok);
      for (let i = 0; i < 1_100; i++) {
        w.emu.store.createPost(w.aliceId, { channel_id: w.ch.three.id, message: `chatter ${i}` });
      }
      const again = { ...first, checkFirst: true };
      const outcomes = await deliver(again, context(w));
      await assertDeliveredOnce(w, again, outcomes);
      assert.equal((outcomes[0] as { postId: string }).postId, delivered.postId);
    });

    await t.step("a search that runs out of pages is unknown: not posted, explained", async () => {
      const j = await job(w, [w.ch.three], [], { checkFirst: true, since: Date.now() });
      w.emu.store.createPost(w.aliceId, { channel_id: w.ch.three.id, message: "one more" });
      const limits = { perPage: 50, maxPages: 2 };
      await assert.rejects(
        findBroadcastPost({
          transport: w.transport,
          botUserId: w.botId,
          broadcastId: j.broadcastId,
          channelId: w.ch.three.id,
          since: j.since,
          limits,
        }),
        /more than 100 posts arrived since the broadcast, too many to search/,
      );
      const outcomes = await deliver(j, context(w, { searchLimits: limits }));
      assert.equal(outcomes[0].ok, false);
      assert.match(
        (outcomes[0] as { reason: string }).reason,
        /^could not verify whether ~three already has it \(more than 100 posts .*\): check ~three/,
      );
      assert.equal(copies(w, w.ch.three.id, j.broadcastId).length, 0);
    });

    await t.step("a last attempt whose answer was lost is checked: delivered once", async () => {
      loseAnswersToPosts(w, 10);
      const j = await job(w, [w.ch.one, w.ch.two], files);
      const outcomes = await deliver(j, context(w, { attempts: 1 }));
      w.emu.faults.clear();
      await assertDeliveredOnce(w, j, outcomes);
    });

    await t.step("a last attempt that cannot be checked says so", async () => {
      loseAnswersToPosts(w);
      w.emu.faults.failRequests({
        method: "GET",
        path: "/channels/{channel_id}/posts",
        status: 403,
      });
      const j = await job(w, [w.ch.four], []);
      const [outcome] = await deliver(j, context(w, { attempts: 1 }));
      w.emu.faults.clear();
      assert.equal(outcome.ok, false);
      assert.match(
        (outcome as { reason: string }).reason,
        /^the server failed \(HTTP 502\) 1 time; could not verify whether ~four already has it/,
      );
      assert.equal(channelsOf(await w.log.deliveries(j.broadcastId))[0].status, "failed");
    });

    await t.step("shutdown during a backoff stops retrying and records why", async () => {
      w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 503, times: 10 });
      const posts = () => requests(w, "POST", /^\/api\/v4\/posts$/);
      const before = posts();
      const controller = new AbortController();
      const j = await job(w, [w.ch.five], []);
      const running = deliver(
        j,
        context(w, { signal: controller.signal, backoff: { initialMs: 60_000, maxMs: 60_000 } }),
      );
      await w.emu.waitFor(() => posts() > before, { timeoutMs: 15_000 });
      controller.abort();
      const [outcome] = await running;
      w.emu.faults.clear();
      assert.equal(outcome.ok, false);
      assert.match(
        (outcome as { reason: string }).reason,
        /^not sent: postbot shut down before it could try again \(the server failed/,
      );
      assert.equal(posts() - before, 1, "no attempts after the shutdown");
      assert.equal(copies(w, w.ch.five.id, j.broadcastId).length, 0);
      assert.equal(channelsOf(await w.log.deliveries(j.broadcastId))[0].status, "failed");
    });

    await t.step(
      "findBroadcastPost ignores other broadcasts, other users and deleted posts",
      async () => {
        const since = Date.now() - 1_000;
        const id = "findme";
        const find = () =>
          findBroadcastPost({
            transport: w.transport,
            botUserId: w.botId,
            broadcastId: id,
            channelId: w.ch.four.id,
            since,
          });
        assert.equal(
          await find(),
          undefined,
        );
        w.emu.store.createPost(w.aliceId, {
          channel_id: w.ch.four.id,
          message: "fake",
          props: { [BROADCAST_PROP]: id },
        });
        w.emu.store.createPost(w.botId, {
          channel_id: w.ch.four.id,
          message: "other",
          props: { [BROADCAST_PROP]: "other" },
        });
        assert.equal(
          await find(),
          undefined,
        );
        const mine = w.emu.store.createPost(w.botId, {
          channel_id: w.ch.four.id,
          message: "mine",
          props: { [BROADCAST_PROP]: id },
        });
        assert.equal(
          await find(),
          mine.id,
        );
        await w.transport.send(w.transport.api(`/posts/${mine.id}`), { method: "DELETE" });
        assert.equal(
          await find(),
          undefined,
        );
      },
    );
  });
});

Deno.test("explain turns errors into reasons a person understands", () => {
  const t: ChannelTarget = {
    kind: "channel" as const,
    channelId: "c".repeat(26),
    name: "town-hall",
    displayName: "Town Hall",
  };
  const http = (status: number, id?: string, message = "x") =>
    new MattermostError({
      kind: "http",
      status,
      message,
      serverErrorId: id,
      attempts: 1,
      route: "POST /posts",
    });
  assert.equal(
    explain(http(403), t, 1),
    "the bot is not a member of ~town-hall or may not post there (add it with /invite)",
  );
  assert.equal(
    explain(http(400, "api.post.create_post.can_not_post_to_deleted.error"), t, 1),
    "~town-hall was archived",
  );
  assert.equal(explain(http(404), t, 1), "~town-hall no longer exists");
  assert.equal(explain(http(413), t, 1), "a file is larger than the server accepts");
  assert.equal(explain(http(502), t, 4), "the server failed (HTTP 502) 4 times");
  assert.equal(
    explain(http(400, "x", "Invalid message"), t, 1),
    "the server refused it (HTTP 400: Invalid message)",
  );
  const limited = new MattermostError({
    kind: "rate_limited",
    status: 429,
    message: "rate limited",
    attempts: 10,
    route: "POST /posts",
  });
  assert.equal(explain(limited, t, 1), "rate limited by the server after 10 attempts");
  const network = new MattermostError({
    kind: "network",
    status: 0,
    message: "refused",
    attempts: 1,
    route: "POST /posts",
  });
  assert.equal(explain(network, t, 3), "the server could not be reached (3 attempts)");
  assert.match(explain(new Error("boom"), t, 1), /unexpected error.*boom/);
});
