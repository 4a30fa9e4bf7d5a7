import assert from "node:assert/strict";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../postbot/migrations.ts";
import { TaskHistory } from "./history.ts";

function history(): TaskHistory {
  const opened = openDatabase(":memory:", MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  return new TaskHistory(opened.value);
}

Deno.test("a run is recorded as running, then with its outcome and duration", () => {
  const h = history();
  const id = h.start("report", "command", "alice", 1_000);
  assert.equal(h.lastRun("report")?.outcome, "running");
  h.finish(id, "failed", 1234.6, "Error: boom");
  assert.deepEqual(h.lastRun("report"), {
    id,
    task: "report",
    trigger: "command",
    triggeredBy: "alice",
    startedAt: 1_000,
    durationMs: 1235,
    outcome: "failed",
    error: "Error: boom",
  });
});

Deno.test("skipped triggers are kept but are not the last run", () => {
  const h = history();
  h.finish(h.start("report", "schedule", null, 1_000), "ok", 5);
  h.skipped("report", "command", "bob", 2_000, "still running");
  assert.equal(h.lastRun("report")?.outcome, "ok");
  assert.deepEqual(h.recent("report", 10).map((r) => r.outcome), ["skipped", "ok"]);
  assert.equal(h.lastRun("other"), undefined);
});

Deno.test("runs left running by a crash become interrupted; old rows are pruned", () => {
  const h = history();
  h.start("a", "schedule", null, 1_000);
  h.finish(h.start("b", "schedule", null, 5_000), "ok", 1);
  assert.equal(h.markInterrupted("the bot stopped"), 1);
  assert.equal(h.lastRun("a")?.outcome, "interrupted");
  assert.equal(h.lastRun("a")?.error, "the bot stopped");
  assert.equal(h.prune(2_000), 1);
  assert.equal(h.lastRun("a"), undefined);
  assert.equal(h.lastRun("b")?.outcome, "ok");
});
