import { type DeliveryRecord, type DeliveryStatus, type PersonReach, targetKey } from "./model.ts";
import assert from "node:assert/strict";
import { deliveryEvent } from "./audit.ts";
import {
  deliveryReport,
  tallyDeliveries,
  tallyFromLog,
  type TallySource,
  undoWindowClosedText,
  when,
} from "./report.ts";
import { withinWindow } from "./rules.ts";
import { delivery, MIXED, RECORD } from "./fixtures_test.ts";

Deno.test("when formats UTC minutes", () => {
  assert.equal(when(Date.UTC(2025, 2, 4, 9, 30, 59)), "2025-03-04 09:30 UTC");
});

Deno.test("deliveryReport counts, names every failure with its reason, and offers retry and undo", () => {
  const text = deliveryReport(RECORD, MIXED, { undoWindowSeconds: 3600 });
  assert.match(text, /^\*\*Delivered to 2 of 4 channels\*\* \(broadcast `k3m9x2qa`\)\./);
  assert.match(text, /- ~town-hall \(town hall\): the bot is not a member of ~town-hall/);
  assert.match(text, /- ~old-news \(old news\): ~old-news was archived/);
  assert.match(text, /`!retry k3m9x2qa`/);
  assert.match(text, /`!undo k3m9x2qa` within 60 minutes/);
  assert.doesNotMatch(text, /Delivered to: /, "delivered channels are listed only on request");
});

Deno.test("deliveryReport of a complete broadcast has no retry hint", () => {
  const text = deliveryReport(RECORD, [delivery("a", "delivered")], { undoWindowSeconds: 600 });
  assert.match(text, /Delivered to 1 of 1 channel\*\*/);
  assert.doesNotMatch(text, /retry/);
  assert.match(text, /within 10 minutes/);
});

Deno.test("deliveryReport offers no undo when nothing arrived or undo is off", () => {
  const none = [delivery("a", "failed", "x")];
  assert.doesNotMatch(deliveryReport(RECORD, none, { undoWindowSeconds: 3600 }), /undo/);
  assert.doesNotMatch(deliveryReport(RECORD, MIXED, { undoWindowSeconds: 0 }), /undo/);
});

Deno.test("deliveryReport after an interruption lists exactly where it arrived", () => {
  const text = deliveryReport(RECORD, MIXED, {
    undoWindowSeconds: 3600,
    heading: "postbot was restarted while delivering your broadcast. ",
    listDelivered: true,
  });
  assert.match(text, /^postbot was restarted while delivering your broadcast\. \*\*Delivered to 2/);
  assert.match(text, /Delivered to: ~office-berlin, ~office-paris\n/);
});

Deno.test("undo window: open up to the window's end, then a refusal with the reason", () => {
  const end = RECORD.createdAt + 3_600_000;
  assert.equal(withinWindow(RECORD.createdAt, 3600, RECORD.createdAt), true);
  assert.equal(withinWindow(RECORD.createdAt, 3600, end), true);
  assert.equal(withinWindow(RECORD.createdAt, 3600, end + 1), false);
  assert.equal(
    undoWindowClosedText(RECORD, 3600),
    "Broadcast `k3m9x2qa` was sent 2025-03-04 09:30 UTC, more than 60 minutes ago, so it can " +
      "no longer be undone by me. Delete the posts by hand, or ask a channel admin.",
  );
});

Deno.test("deliveryReport counts private channels the reader is not in, never names them", () => {
  const text = deliveryReport(RECORD, MIXED, {
    undoWindowSeconds: 3600,
    listDelivered: true,
    hidden: new Set(MIXED.map(targetKey)),
  });
  for (const d of MIXED) {
    assert.equal(text.includes(d.name), false, text);
    assert.equal(text.includes(d.channelId), false, text);
  }
  assert.match(text, /Delivered to 2 of 4 channels/);
  assert.match(text, /2 private channels you are not a member of/);
});

Deno.test("a tally reports and audits exactly as the whole list does, keeping few people", async () => {
  const person = (
    n: number,
    status: DeliveryStatus,
    reach: PersonReach = { by: "name" },
  ): DeliveryRecord => ({
    kind: "person",
    userId: `user${n}`.padEnd(26, "x"),
    username: `person${n}`,
    displayName: `Person ${n}`,
    reach,
    status,
    postId: status === "delivered" ? "p".repeat(26) : null,
    error: status === "failed" ? `@person${n} is no longer a member of the team` : null,
    attempts: 1,
    updatedAt: 0,
  });
  const secret = { by: "members", channelId: "s".repeat(26), channelName: "secret" } as const;
  const all: DeliveryRecord[] = [
    ...MIXED,
    ...Array.from({ length: 60 }, (_, i) => person(i, "delivered")),
    ...Array.from({ length: 3 }, (_, i) => person(100 + i, "failed")),
    person(200, "delivered", secret),
    person(201, "deleted"),
  ];
  const { counts, kept } = tallyDeliveries(all.values());
  assert.equal(kept.length, 4 + 3 + 1, "channels, failed people, people reached through a channel");
  assert.deepEqual(counts.people, { total: 65, delivered: 61, failed: 3, deleted: 1 });
  const hidden = new Set([targetKey(all.at(-2)!), targetKey(MIXED[2])]);
  const options = { undoWindowSeconds: 3600, hidden };
  assert.equal(
    deliveryReport(RECORD, kept, { ...options, counts }),
    deliveryReport(RECORD, all, options),
  );
  assert.deepEqual(
    deliveryEvent(RECORD, kept, "Broadcast", "alice", 1, counts),
    deliveryEvent(RECORD, all, "Broadcast", "alice", 1),
  );
  // Read from a log: its counts, and every record (at least what a report needs).
  const log: TallySource = {
    statusCounts: () => {
      const n = new Map<string, number>();
      for (const d of all) {
        n.set(`${d.kind} ${d.status}`, (n.get(`${d.kind} ${d.status}`) ?? 0) + 1);
      }
      return Promise.resolve([...n].map(([key, count]) => {
        const [kind, status] = key.split(" ") as ["channel" | "person", DeliveryStatus];
        return { kind, status, n: count };
      }));
    },
    eachNotableDelivery: async function* () {
      for (const d of all) yield await Promise.resolve(d);
    },
  };
  assert.deepEqual(await tallyFromLog(log, RECORD.id), { counts, kept });
});
