import assert from "node:assert/strict";
import type { ScheduledBroadcast } from "../model.ts";
import { ApprovalDesk, type ApprovalDeskDeps } from "./approval_desk.ts";
import type { EditRequest } from "./edit_requests.ts";

const carol = { id: "c".repeat(26), username: "carol" };
const bob = { id: "b".repeat(26), username: "bob" };

const EDIT: EditRequest = {
  broadcastId: "abcd1234",
  round: 3,
  editorId: bob.id,
  editorUsername: "bob",
  oldMessage: "old",
  message: "new",
  requirements: [{ audience: 'group "G"', approvers: [carol], approvals: 1 }],
  status: "awaiting_approval",
  createdAt: 0,
  expiresAt: 10,
};

/** A desk over fakes that record which side was asked. */
function desk(scheduledStatus?: ScheduledBroadcast["status"]) {
  const asked: string[] = [];
  const deps: ApprovalDeskDeps = {
    approvals: {
      decide: () => Promise.resolve((asked.push("broadcast"), "broadcast decided")),
      pendingFor: () => Promise.resolve([]),
      click: () => Promise.resolve({ forged: false, text: "broadcast clicked" }),
      expireLapsed: () => Promise.resolve(1),
      nextExpiry: () => Promise.resolve(50),
    },
    edits: {
      requestFor: (_id, userId) => Promise.resolve(userId === carol.id ? EDIT : undefined),
      awaitingOf: () => Promise.resolve(EDIT),
      decide: (actor) => Promise.resolve((asked.push(`edit by ${actor.username}`), "edit decided")),
      pendingFor: () => Promise.resolve([EDIT]),
      click: (actor, _r, round) => Promise.resolve(`edit clicked by ${actor.username} ${round}`),
      expireLapsed: () => Promise.resolve(2),
      nextExpiry: () => Promise.resolve(10),
    },
    scheduled: {
      get: () =>
        Promise.resolve(
          scheduledStatus === undefined
            ? undefined
            : { status: scheduledStatus } as ScheduledBroadcast,
        ),
    },
    tokens: { verifyApproval: (_b, _u, _r, token) => Promise.resolve(token === "good") },
  };
  return { desk: new ApprovalDesk(deps), asked };
}

Deno.test("the desk sends an answer to the request that awaits: an edit, or the broadcast", async () => {
  const sent = desk("sent");
  assert.equal(await sent.desk.decide(carol, "abcd1234", { kind: "approve" }), "edit decided");
  // The editor is no approver of their own edit.
  assert.match(await sent.desk.decide(bob, "abcd1234", { kind: "approve" }), /your own edit/);
  assert.deepEqual(sent.asked, ["edit by carol"]);
  // While the broadcast itself awaits, its approval comes first.
  const awaiting = desk("awaiting_approval");
  assert.equal(
    await awaiting.desk.decide(carol, "abcd1234", { kind: "approve" }),
    "broadcast decided",
  );
  assert.equal(await sent.desk.expireLapsed(), 3);
  assert.equal(await sent.desk.nextExpiry(), 10);
  assert.deepEqual(await sent.desk.pendingEditsFor(carol.id), [EDIT]);
});

Deno.test("an Approve click on an edit needs a valid token for its approver", async () => {
  const { desk: d } = desk("sent");
  const click = (userId: string, token: string) =>
    d.click({ userId, context: { broadcast: "abcd1234", round: 3, token } });
  assert.deepEqual(await click(carol.id, "forged"), { forged: true });
  assert.deepEqual(await click(carol.id, "good"), {
    forged: false,
    text: "edit clicked by carol 3",
  });
  // Someone who may not approve the edit goes to the broadcast's own check.
  assert.deepEqual(await click(bob.id, "good"), { forged: false, text: "broadcast clicked" });
});
