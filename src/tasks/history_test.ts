import assert from "node:assert/strict";
import { testOnBothEngines } from "../postbot/database/testing.ts";
import { TaskHistory } from "./history.ts";

testOnBothEngines(
  "a run is recorded as running, then with its outcome and duration",
  async (db) => {
    const h = new TaskHistory(db);
    const id = await h.start("report", "command", "alice", 1_000);
    assert.ok(id !== null);
    assert.equal((await h.lastRun("report"))?.outcome, "running");
    await h.finish(id, "failed", 1234.6, "Error: boom");
    assert.deepEqual(await h.lastRun("report"), {
      id,
      task: "report",
      trigger: "command",
      triggeredBy: "alice",
      startedAt: 1_000,
      durationMs: 1235,
      outcome: "failed",
      error: "Error: boom",
    });
  },
);

testOnBothEngines("skipped triggers are kept but are not the last run", async (db) => {
  const h = new TaskHistory(db);
  await h.finish((await h.start("report", "schedule", null, 1_000))!, "ok", 5);
  await h.skipped("report", "command", "bob", 2_000, "still running");
  assert.equal((await h.lastRun("report"))?.outcome, "ok");
  assert.deepEqual((await h.recent("report", 10)).map((r) => r.outcome), ["skipped", "ok"]);
  assert.equal(await h.lastRun("other"), undefined);
});

testOnBothEngines(
  "runs left running by a crash become interrupted; old rows are pruned",
  async (db) => {
    const h = new TaskHistory(db);
    await h.start("a", "schedule", null, 1_000);
    await h.finish((await h.start("b", "schedule", null, 5_000))!, "ok", 1);
    assert.equal(await h.markInterrupted("the bot stopped"), 1);
    assert.equal((await h.lastRun("a"))?.outcome, "interrupted");
    assert.equal((await h.lastRun("a"))?.error, "the bot stopped");
    assert.equal(await h.prune(2_000), 1);
    assert.equal(await h.lastRun("a"), undefined);
    assert.equal((await h.lastRun("b"))?.outcome, "ok");
  },
);

testOnBothEngines("an instance that may not act starts no run", async (db) => {
  const standby = new TaskHistory(db, () => "1 = 0");
  assert.equal(await standby.start("report", "schedule", null, 1_000), null);
  assert.equal(await standby.lastRun("report"), undefined, "nothing recorded");
});
