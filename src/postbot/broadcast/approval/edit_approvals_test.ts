import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../../migrations.ts";
import { ScheduledStore } from "../scheduled/scheduled_broadcasts.ts";
import type { TeamPerson } from "../../targets/resolution.ts";
import type { BroadcastRecord } from "../model.ts";
import { EditApprovals } from "./edit_approvals.ts";
import { EditRequestStore } from "./edit_requests.ts";
import { SqliteDatabase } from "../../database/sqlite_database.ts";

const person = (id: string, username: string): TeamPerson => ({
  id,
  username,
  displayName: username,
  isBot: false,
});
const [A, B, C] = ["a", "b", "c"].map((x) => x.repeat(26));
const TEAM = new Map([[A, person(A, "alice")], [B, person(B, "bob")], [C, person(C, "carol")]]);
const alice = { id: A, username: "alice" };
const bob = { id: B, username: "bob" };
const carol = { id: C, username: "carol" };
const ID = "abcd1234";

const RECORD: BroadcastRecord = {
  id: ID,
  senderId: B,
  senderUsername: "bob",
  createdAt: 0,
  finishedAt: 0,
  targetAnswer: "G",
  message: "old text",
  files: [],
  sourcePostId: null,
  status: "done",
  error: null,
};

/** An EditApprovals over a fresh database, its DMs, applied edits and clock. */
async function world(
  fn: (w: {
    edits: EditApprovals;
    store: EditRequestStore;
    dms: string[];
    applied: string[];
    clock: { now: number };
  }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const opened = openDatabase(`${dir}/t.db`, MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db: DatabaseSync = opened.value;
  db.prepare(
    `INSERT INTO broadcasts (id, sender_id, sender_username, created_at, target_answer,
       message, status) VALUES (?, ?, 'bob', 0, 'G', 'old text', 'done')`,
  ).run(ID, B);
  const dms: string[] = [];
  const applied: string[] = [];
  const clock = { now: 1_000 };
  const store = new EditRequestStore(new SqliteDatabase(db));
  const make = () =>
    new EditApprovals({
      store,
      scheduled: new ScheduledStore(new SqliteDatabase(db), `${dir}/files`),
      record: () => Promise.resolve(RECORD),
      needs: () => [{ audience: 'group "G"', approvers: ["alice", "carol", "bob"], approvals: 1 }],
      teamPeople: () => Promise.resolve(TEAM),
      apply: (id, text) => {
        applied.push(`${id}: ${text}`);
        return Promise.resolve("Edited.");
      },
      notifier: {
        dm: (user: string, text: string) => {
          dms.push(`${user}: ${text}`);
          return Promise.resolve({ ok: true as const, value: undefined });
        },
        dmWithProps: () => Promise.resolve({ ok: true as const, value: undefined }),
      },
      audit: { post: () => Promise.resolve() },
      ttlMs: 60_000,
      now: () => clock.now,
    });
  try {
    await fn({ edits: make(), store, dms, applied, clock });
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const submit = (edits: EditApprovals, text: string, editor = bob) =>
  edits.submit({ record: RECORD, posts: [], text, editor });

Deno.test("an approved edit is applied once, however many approve at once", async () => {
  await world(async ({ edits, dms, applied }) => {
    const asked = await submit(edits, "new text");
    assert.ok(asked.ok, JSON.stringify(asked));
    const requests = dms.filter((d) => /approval of an edit/.test(d));
    // The sender (also an approver in channels.toml) is never asked.
    assert.deepEqual(requests.map((d) => d.slice(0, 26)), [A, C]);
    assert.match(requests[0], /\*\*Was:\*\*\n```\nold text\n```\n\*\*Now:\*\*\n```\nnew text/);
    const r = (await edits.requestFor(ID, A))!;
    assert.equal(await edits.requestFor(ID, B), undefined);
    assert.deepEqual((await edits.pendingFor(C)).map((e) => e.message), ["new text"]);
    const [first, second] = await Promise.all([
      edits.decide(alice, r, { kind: "approve" }),
      edits.decide(carol, r, { kind: "approve" }),
    ]);
    assert.match(first, /last approval/);
    assert.match(second, /approved already/);
    assert.deepEqual(applied, [`${ID}: new text`]);
    assert.equal((await edits.requestFor(ID, A))?.status, "applied");
    assert.ok(dms.some((d) => d.startsWith(B) && /\*\*approved\*\* by @alice/.test(d)));
  });
});

Deno.test("a rejection, an expiry and a withdrawal leave the posts alone", async () => {
  await world(async ({ edits, dms, applied, clock }) => {
    assert.ok((await submit(edits, "one")).ok);
    const one = (await edits.requestFor(ID, A))!;
    assert.match(await edits.decide(alice, one, { kind: "reject", reason: " " }), /reason/);
    assert.match(
      await edits.decide(alice, one, { kind: "reject", reason: "@all **no**" }),
      /Rejected the edit/,
    );
    const told = dms.find((d) => d.startsWith(B) && /rejected\*\* the edit/.test(d))!;
    assert.match(told, /\n> @\u200ball \\\*\\\*no\\\*\\\*/);
    assert.match(await edits.decide(carol, one, { kind: "approve" }), /rejected already/);

    assert.ok((await submit(edits, "two")).ok);
    assert.ok((await submit(edits, "three")).ok);
    assert.ok(dms.some((d) => d.startsWith(C) && /withdrew.*newer edit replaced it/.test(d)));
    assert.equal((await edits.requestFor(ID, A))?.message, "three");
    assert.equal(await edits.nextExpiry(), clock.now + 60_000);
    clock.now += 60_000;
    assert.equal(await edits.expireLapsed(), 1);
    assert.equal(await edits.expireLapsed(), 0);
    assert.ok(dms.some((d) => d.startsWith(B) && /not approved in time/.test(d)));
    assert.equal((await edits.requestFor(ID, A))?.status, "expired");
    assert.deepEqual(applied, []);
  });
});

Deno.test("an edit approved before a stop is applied at the next start", async () => {
  await world(async ({ edits, store, applied }) => {
    assert.ok((await submit(edits, "after restart")).ok);
    const r = (await edits.requestFor(ID, A))!;
    // As if postbot stopped between the last approval and the patching.
    assert.ok(await store.move(ID, r.round, "awaiting_approval", "approved"));
    assert.equal(await edits.resume(), 1);
    assert.equal(await edits.resume(), 0);
    assert.deepEqual(applied, [`${ID}: after restart`]);
  });
});

Deno.test("an administrator's edit of another's broadcast: neither may approve", async () => {
  await world(async ({ edits }) => {
    const refused = await edits.submit({
      record: RECORD,
      posts: [],
      text: "admin text",
      editor: alice,
    });
    assert.ok(refused.ok);
    assert.equal(await edits.requestFor(ID, A), undefined);
    assert.ok(await edits.requestFor(ID, C) !== undefined);
  });
});
