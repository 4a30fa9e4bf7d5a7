import assert from "node:assert/strict";
import type { RestTransport } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../migrations.ts";
import { BroadcastLog } from "./log.ts";
import { type BroadcastTarget, targetKey } from "./model.ts";
import { SeenLog } from "./seen_log.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";
import { captureRunThresholds, captureThresholds, type ThresholdDeps } from "./seen_threshold.ts";

const id26 = (prefix: string, n: number) => `${prefix}${n}`.padEnd(26, "x");

/**
 * `n` people, each with a DM channel `dm<i>`, in broadcast `id` of a fresh log; the first
 * `delivered` of them delivered (post `p<i>`).
 */
async function peopleLog(id: string, n: number, delivered: number) {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) assert.fail(opened.error.message);
  const db = opened.value;
  const people: BroadcastTarget[] = Array.from({ length: n }, (_, i) => ({
    kind: "person",
    userId: id26("user", i),
    username: `user${i}`,
    displayName: `User ${i}`,
    reach: { by: "name" },
  }));
  const log = new BroadcastLog(new SqliteDatabase(db));
  await log.create({
    id,
    senderId: "s",
    senderUsername: "sender",
    targetAnswer: "x",
    message: "m",
    files: [],
    sourcePostId: null,
    targets: people,
  });
  for (const [i, t] of people.entries()) {
    if (t.kind !== "person") continue;
    db.prepare("INSERT INTO direct_channels VALUES (?, ?, 0)").run(t.userId, id26("dm", i));
    if (i < delivered) await log.markDelivered(id, t, `p${i}`);
  }
  return { db, people, log };
}

/** 12 people with DMs, 11 delivered: `capture` records their thresholds from the channel list. */
async function capturesMany(
  capture: (deps: ThresholdDeps, log: BroadcastLog) => Promise<number>,
): Promise<void> {
  // The last one failed: it needs no threshold.
  const { db, people, log } = await peopleLog("b1", 12, 11);
  // Every DM of the bot and more: a channel of nobody's, fields the capture ignores.
  const channels = [
    { id: id26("other", 0), total_msg_count: 99, header: '{["]}' },
    ...people.map((_, i) => ({ id: id26("dm", i), total_msg_count: 10 + i, props: { a: [i] } })),
  ];
  const text = JSON.stringify(channels);
  const asked: string[] = [];
  const transport = {
    api: (path: string) => `http://server/api/v4${path}`,
    send: (url: string) => {
      asked.push(url);
      const bytes = new TextEncoder().encode(text);
      let at = 0;
      return Promise.resolve(
        new Response(
          new ReadableStream({
            pull(c) {
              if (at >= bytes.length) return c.close();
              c.enqueue(bytes.slice(at, at + 7));
              at += 7;
            },
          }),
        ),
      );
    },
  } as unknown as RestTransport;
  const seenLog = new SeenLog(new SqliteDatabase(db));
  const unmeasured = await seenLog.unmeasured("b1");
  assert.deepEqual(
    unmeasured.map((u) => [u.target, u.channelId]),
    people.slice(0, 11).map((t, i) => [
      { kind: "person", userId: t.kind === "person" ? t.userId : "" },
      id26("dm", i),
    ]),
    "the delivered ones, each with its DM",
  );
  const recorded = await capture({ transport, teamId: "team", seenLog }, log);
  assert.equal(recorded, 11);
  assert.deepEqual(asked, ["http://server/api/v4/users/me/teams/team/channels"]);
  const thresholds = await seenLog.thresholds("b1");
  assert.equal(thresholds.size, 11);
  people.slice(0, 11).forEach((t, i) => assert.equal(thresholds.get(targetKey(t)), 10 + i));
  assert.deepEqual(await seenLog.unmeasured("b1"), [], "nothing left to measure");
  db.close();
}

Deno.test("thresholds of many people: the channel list read as it arrives, in small chunks", async () => {
  await capturesMany(async (deps, log) =>
    captureThresholds(deps, "b1", await log.deliveries("b1"))
  );
});

Deno.test("a run's thresholds: what lacks one read from the log in SQL, then the channel list", async () => {
  await capturesMany((deps) => captureRunThresholds(deps, "b1"));
});

Deno.test("a big run's thresholds: recorded a page at a time; a DM missing from the list asked alone", async () => {
  const n = 1_201;
  const { db, people } = await peopleLog("b2", n, n);
  // The bot's list lacks the last DM (a channel it posts in without being listed).
  const listed = people.slice(0, n - 1).map((_, i) => ({ id: id26("dm", i), total_msg_count: i }));
  const asked: string[] = [];
  const transport = {
    api: (path: string) => `http://server/api/v4${path}`,
    send: (url: string) => {
      asked.push(url);
      return Promise.resolve(new Response(JSON.stringify(listed)));
    },
    getJson: (path: string) => {
      asked.push(path);
      return Promise.resolve({ id: id26("dm", n - 1), total_msg_count: 5_000 });
    },
  } as unknown as RestTransport;
  const seenLog = new SeenLog(new SqliteDatabase(db));
  const recorded = await captureRunThresholds({ transport, teamId: "team", seenLog }, "b2");
  assert.equal(recorded, n);
  assert.deepEqual(asked, [
    "http://server/api/v4/users/me/teams/team/channels",
    `/channels/${id26("dm", n - 1)}`,
  ]);
  const thresholds = await seenLog.thresholds("b2");
  people.forEach((t, i) => assert.equal(thresholds.get(targetKey(t)), i === n - 1 ? 5_000 : i));
  db.close();
});
