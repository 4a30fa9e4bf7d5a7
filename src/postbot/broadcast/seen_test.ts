import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { MattermostError, type RestTransport } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../migrations.ts";
import { BroadcastLog } from "./log.ts";
import type { BroadcastTarget } from "./model.ts";
import { type SeenPicture, SeenReader } from "./seen.ts";
import { SeenLog } from "./seen_log.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";

const id26 = (prefix: string, n: number) => `${prefix}${n}`.padEnd(26, "x");
const BOT = id26("bot", 0);
const CHANNEL = id26("chan", 0);

function open(): DatabaseSync {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) assert.fail(opened.error.message);
  return opened.value;
}

/** A broadcast delivered to `targets` (posts p<n>), each with seen threshold 5. */
async function delivered(db: DatabaseSync, targets: BroadcastTarget[]): Promise<BroadcastLog> {
  const log = new BroadcastLog(new SqliteDatabase(db));
  await log.create({
    id: "b1",
    senderId: "s",
    senderUsername: "sender",
    targetAnswer: "x",
    message: "m",
    files: [],
    sourcePostId: null,
    targets,
  });
  for (const [i, t] of targets.entries()) await log.markDelivered("b1", t, `p${i}`);
  db.prepare("UPDATE deliveries SET seen_threshold = 5").run();
  for (const t of targets) {
    if (t.kind === "person") {
      db.prepare("INSERT INTO direct_channels VALUES (?, ?, 0)").run(t.userId, `dm-${t.userId}`);
    }
  }
  return log;
}

const person = (n: number): BroadcastTarget => ({
  kind: "person",
  userId: id26("user", n),
  username: `user${n}`,
  displayName: `User ${n}`,
  reach: { by: "name" },
});

/** A server whose answers come from `answer`, counting what was asked; each answer takes `ms`. */
function server(
  answer: (path: string) => unknown,
  clock: { now: number },
  ms = 0,
): { transport: RestTransport; asked: string[] } {
  const asked: string[] = [];
  const transport = {
    getJson: (path: string) => {
      asked.push(path);
      clock.now += ms;
      const value = answer(path);
      if (value instanceof Error) return Promise.reject(value);
      return Promise.resolve(value);
    },
  } as unknown as RestTransport;
  return { transport, asked };
}

function notFound(): MattermostError {
  return new MattermostError({
    kind: "http",
    status: 404,
    message: "nope",
    attempts: 1,
    route: "",
  });
}

function reader(db: DatabaseSync, transport: RestTransport, clock: { now: number }) {
  return new SeenReader({
    transport,
    seenLog: new SeenLog(new SqliteDatabase(db)),
    teamId: "team",
    botUserId: BOT,
    now: () => clock.now,
  });
}

const kinds = (p: SeenPicture) => [...p.people.values()].map((s) => s.kind);

Deno.test("people: at most budget.people asked, least recently asked first, seen never again", async () => {
  const db = open();
  const people = Array.from({ length: 25 }, (_, i) => person(i));
  const log = await delivered(db, people);
  const clock = { now: 1_000 };
  // user3 has seen it (msg_count 5 of 5); nobody else.
  const { transport, asked } = server((path) => ({
    msg_count: path.endsWith(id26("user", 3)) ? 5 : 4,
  }), clock);
  const seen = reader(db, transport, clock);
  const budget = { timeMs: 60_000, people: 10 };
  const first = await seen.read("b1", await log.deliveries("b1"), budget);
  assert.equal(first.asked, 10);
  assert.equal(kinds(first).filter((k) => k === "unchecked").length, 15);
  assert.equal(first.people.get(id26("user", 3))?.kind, "seen");
  assert.deepEqual([...(await new SeenLog(new SqliteDatabase(db)).seenPeople("b1")).keys()], [
    id26("user", 3),
  ]);
  const firstAsked = new Set(asked.splice(0));

  clock.now += 1_000;
  const second = await seen.read("b1", await log.deliveries("b1"), budget);
  assert.equal(second.asked, 10);
  assert.ok(asked.every((p) => !firstAsked.has(p)), "the ones not asked yet go first");
  asked.splice(0);
  clock.now += 1_000;
  await seen.read("b1", await log.deliveries("b1"), budget);
  const third = await seen.read("b1", await log.deliveries("b1"), budget);
  assert.equal(third.people.get(id26("user", 3))?.kind, "seen");
  assert.ok(!asked.some((p) => p.endsWith(id26("user", 3))), "user3 is never asked again");
  const notSeen = third.people.get(id26("user", 0));
  assert.equal(notSeen?.kind, "not_seen");
});

Deno.test("people: no request starts once the time is up; the rest are counted unchecked", async () => {
  const db = open();
  const log = await delivered(db, Array.from({ length: 40 }, (_, i) => person(i)));
  const clock = { now: 0 };
  const { transport } = server(() => ({ msg_count: 0 }), clock, 100);
  const picture = await reader(db, transport, clock).read("b1", await log.deliveries("b1"), {
    timeMs: 250,
    people: 1_000,
  });
  assert.ok(picture.asked < 40 && picture.asked >= 1, `asked ${picture.asked}`);
  assert.equal(kinds(picture).filter((k) => k === "unchecked").length, 40 - picture.asked);
});

Deno.test("channels: active humans only; a member the pages missed is asked alone", async () => {
  const db = open();
  const log = await delivered(db, [{
    kind: "channel",
    channelId: CHANNEL,
    name: "town",
    displayName: "Town",
  }]);
  const user = (name: string, extra: Record<string, unknown> = {}) => ({
    id: id26(name, 0),
    username: name,
    first_name: name === "ann" ? "Ann" : "",
    last_name: name === "ann" ? "Lee" : "",
    ...extra,
  });
  const users = [
    user("ann"),
    user("ben"),
    user("cat"),
    user("gone"),
    user("helper", { is_bot: true }),
    { ...user("postbot", { is_bot: true }), id: BOT },
  ];
  const clock = { now: 0 };
  const { transport, asked } = server((path) => {
    if (path.startsWith("/users?in_channel=")) return users;
    if (path.startsWith(`/channels/${CHANNEL}/members?`)) {
      // cat is missing from the pages (the order moved under the reader).
      return [{ user_id: id26("ann", 0), msg_count: 5 }, { user_id: id26("ben", 0), msg_count: 2 }];
    }
    if (path.endsWith(id26("cat", 0))) return { user_id: id26("cat", 0), msg_count: 9 };
    if (path.endsWith(id26("gone", 0))) return notFound();
    throw new Error(`unexpected ${path}`);
  }, clock);
  const picture = await reader(db, transport, clock).read("b1", await log.deliveries("b1"), {
    timeMs: 1_000,
    people: 10,
  });
  const c = picture.channels.get(CHANNEL);
  assert.equal(c?.kind, "read");
  assert.deepEqual(
    c.members.map((m) => `${m.username}:${m.displayName}:${m.seen}`),
    ["ann:Ann Lee:true", "ben:ben:false", "cat:cat:true"],
  );
  assert.equal(asked.filter((p) => p.includes("/members/")).length, 2, "cat and gone, alone");
  assert.ok(asked.some((p) => p.includes("active=true")), "active people only");
});

Deno.test("a delivery without a threshold gets the channel's count now; unreadable: failed", async () => {
  const db = open();
  const log = await delivered(db, [person(1), person(2)]);
  db.prepare("UPDATE deliveries SET seen_threshold = NULL").run();
  const clock = { now: 0 };
  const { transport } = server((path) => {
    if (path === `/channels/dm-${id26("user", 1)}`) return { total_msg_count: 3 };
    if (path === `/channels/dm-${id26("user", 2)}`) return notFound();
    return { msg_count: 3 };
  }, clock);
  const picture = await reader(db, transport, clock).read("b1", await log.deliveries("b1"), {
    timeMs: 1_000,
    people: 10,
  });
  assert.equal(picture.people.get(id26("user", 1))?.kind, "seen");
  assert.equal(picture.people.get(id26("user", 2))?.kind, "failed");
  assert.deepEqual([...(await new SeenLog(new SqliteDatabase(db)).thresholds("b1")).values()], [3]);
});
