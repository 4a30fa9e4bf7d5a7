import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../../migrations.ts";
import { ScheduledStore } from "../scheduled/scheduled_broadcasts.ts";
import type { TeamPerson } from "../../targets/resolution.ts";
import { Approvals, approved, resolveRequirements } from "./approvals.ts";
import { requestText, verbatim } from "./approval_text.ts";
import { SqliteDatabase } from "../../database/sqlite_database.ts";

const person = (id: string, username: string, isBot = false): TeamPerson => ({
  id,
  username,
  displayName: username,
  isBot,
});
const TEAM = new Map([
  ["a".repeat(26), person("a".repeat(26), "alice")],
  ["b".repeat(26), person("b".repeat(26), "bob")],
  ["c".repeat(26), person("c".repeat(26), "carol")],
  ["d".repeat(26), person("d".repeat(26), "robot", true)],
]);

Deno.test("approvers are resolved by name or id; the sender and bots never count", () => {
  const needs = [{ audience: 'group "G"', approvers: ["@Alice", "b".repeat(26)], approvals: 1 }];
  const ok = resolveRequirements(needs, TEAM, "b".repeat(26));
  assert.ok(ok.ok);
  assert.deepEqual(ok.value[0].approvers, [{ id: "a".repeat(26), username: "alice" }]);
  const alone = resolveRequirements(
    [{ audience: 'group "G"', approvers: ["bob", "robot", "nobody"], approvals: 1 }],
    TEAM,
    "b".repeat(26),
  );
  assert.ok(!alone.ok);
  assert.match(alone.error.message, /only 0 can give it/);
  assert.match(alone.error.message, /`robot`, `nobody` are not an active person/);
});

Deno.test("approved: every requirement met, rejections and strangers not counted", () => {
  const a = { id: "a", username: "alice" };
  const c = { id: "c", username: "carol" };
  const reqs = [
    { audience: "x", approvers: [a, c], approvals: 2 },
    { audience: "y", approvers: [c], approvals: 1 },
  ];
  const d = (approverId: string, decision: "approved" | "rejected") => ({
    approverId,
    approverUsername: approverId,
    decision,
    reason: "",
    at: 0,
    round: 0,
  });
  assert.equal(approved(reqs, [d("a", "approved")]), false);
  assert.equal(approved(reqs, [d("a", "approved"), d("z", "approved")]), false);
  assert.equal(approved(reqs, [d("a", "approved"), d("c", "rejected")]), false);
  assert.equal(approved(reqs, [d("a", "approved"), d("c", "approved")]), true);
});

Deno.test("verbatim: no run of backticks in the text closes its fence", () => {
  assert.equal(verbatim("plain"), "```\nplain\n```");
  assert.equal(verbatim("a ```` b"), "`````\na ```` b\n`````");
});

Deno.test("decisions: the first ends it once; self approval and strangers refused", async () => {
  const dir = await Deno.makeTempDir();
  const opened = openDatabase(`${dir}/t.db`, MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db: DatabaseSync = opened.value;
  try {
    const store = new ScheduledStore(new SqliteDatabase(db), `${dir}/files`);
    const dms: string[] = [];
    let woken = 0;
    const approvals = new Approvals({
      store,
      later: {
        keep: async (r, approval) => {
          await store.add({
            id: "abcd1234",
            senderId: r.sender.id,
            senderUsername: r.sender.username,
            dueAt: r.time.at,
            zone: r.time.zone,
            targetAnswer: r.answer,
            channels: r.targets.length,
            message: r.message,
            files: [],
            sourcePostId: "",
            approval,
          }, []);
          return { ok: true, value: "abcd1234" };
        },
      },
      scheduler: { wake: () => void woken++ },
      notifier: {
        dm: (user: string, text: string) => {
          dms.push(`${user}: ${text}`);
          return Promise.resolve({ ok: true as const, value: undefined });
        },
        dmWithProps: () => Promise.resolve({ ok: true as const, value: undefined }),
      },
      audit: { post: () => Promise.resolve() },
      teamPeople: () => Promise.resolve(TEAM),
      ttlMs: 60_000,
    });
    const bob = { id: "b".repeat(26), username: "bob" };
    const submitted = await approvals.submit({
      sender: bob,
      message: "hello",
      files: [],
      sourcePostId: "",
      answer: "G",
      targets: [],
      time: { at: Date.now(), zone: "UTC" },
      needs: [{ audience: 'group "G"', approvers: ["alice", "carol"], approvals: 1 }],
      immediate: true,
    });
    assert.ok(submitted.ok);
    assert.equal(dms.filter((d) => /asks for approval/.test(d)).length, 2);
    assert.match(await approvals.decide(bob, "abcd1234", { kind: "approve" }), /own/);
    const stranger = { id: "z".repeat(26), username: "zed" };
    assert.match(await approvals.decide(stranger, "abcd1234", { kind: "approve" }), /No broadcast/);
    const [first, second] = await Promise.all([
      await approvals.decide({ id: "a".repeat(26), username: "alice" }, "abcd1234", {
        kind: "approve",
      }),
      await approvals.decide({ id: "c".repeat(26), username: "carol" }, "abcd1234", {
        kind: "approve",
      }),
    ]);
    assert.match(first, /last approval/);
    assert.match(second, /approved already/);
    assert.equal(woken, 1);
    assert.equal((await store.get("abcd1234"))?.status, "scheduled");
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a request sent again after an edit says the earlier one is void", () => {
  const view = {
    id: "abcd1234",
    senderUsername: "bob",
    message: "new text",
    fileNames: [],
    targetAnswer: "G",
    dueAt: 0,
    zone: "UTC",
    approval: { requirements: [], round: 1, expiresAt: 0, immediate: true },
  };
  const edited = requestText({ ...view, edited: true }, 60_000, 0);
  assert.match(edited.split("\n")[0], /@bob \*\*changed\*\* broadcast `abcd1234` since you were/);
  assert.match(edited, /`approve abcd1234` now approves the text below/);
  assert.doesNotMatch(requestText(view, 60_000, 0), /changed/);
});
