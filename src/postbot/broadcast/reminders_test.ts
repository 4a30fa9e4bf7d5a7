import assert from "node:assert/strict";
import type { BroadcastRecord, DeliveryRecord } from "./model.ts";
import { planReminder, planText } from "./reminders.ts";

const id = (c: string) => c.repeat(26);

const record = (ack: boolean): BroadcastRecord => ({
  id: "b1",
  senderId: id("s"),
  senderUsername: "sam",
  createdAt: 0,
  finishedAt: 1,
  targetAnswer: "x",
  message: "m",
  files: [],
  sourcePostId: null,
  status: "done",
  error: null,
  options: { ack, priority: "", remindAfterMs: null },
});

const state = { error: null, attempts: 1, updatedAt: 0 };
const deliveries: DeliveryRecord[] = [
  {
    kind: "person",
    userId: id("a"),
    username: "a",
    displayName: "A",
    reach: { by: "name" },
    status: "delivered",
    postId: id("1"),
    ...state,
  },
  {
    kind: "person",
    userId: id("b"),
    username: "b",
    displayName: "B",
    reach: { by: "name" },
    status: "delivered",
    postId: id("2"),
    ...state,
  },
  {
    kind: "person",
    userId: id("f"),
    username: "f",
    displayName: "F",
    reach: { by: "name" },
    status: "failed",
    postId: null,
    ...state,
  },
  {
    kind: "channel",
    channelId: id("c"),
    name: "ops",
    displayName: "Ops",
    status: "delivered",
    postId: id("3"),
    ...state,
  },
  {
    kind: "channel",
    channelId: id("d"),
    name: "done",
    displayName: "Done",
    status: "delivered",
    postId: id("4"),
    ...state,
  },
];

const members = (channelId: string) =>
  Promise.resolve(channelId === id("c") ? [id("a"), id("x"), id("y")] : [id("b")]);

Deno.test("planReminder: the missing people by DM once each, a channel post where someone misses", async () => {
  const plan = await planReminder({
    record: record(true),
    deliveries,
    done: new Set([id("b"), id("y")]),
    members,
  });
  assert.deepEqual(plan.people.map((p) => p.userId), [id("a"), id("x")], "not a failed one");
  assert.deepEqual(plan.channels.map((c) => [c.delivery.name, c.missing.length, c.members]), [
    ["ops", 2, 3],
  ]);
  assert.equal(planText(plan), "2 people by direct message and a reminder post in 1 channel");
  assert.equal(plan.delivered, 4);
});

Deno.test("planReminder: without acknowledgement, a channel's members get no DM", async () => {
  const plan = await planReminder({ record: record(false), deliveries, done: new Set(), members });
  assert.equal(plan.basis, "seen");
  assert.deepEqual(plan.people.map((p) => p.userId), [id("a"), id("b")]);
  assert.deepEqual(plan.channels.map((c) => c.delivery.name), ["ops", "done"]);
});
