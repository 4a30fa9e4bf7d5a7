import assert from "node:assert/strict";
import { countProblem, needsCount, previewQuestion } from "./guard.ts";

Deno.test("needsCount applies from the threshold on; 0 switches the guard off", () => {
  assert.equal(needsCount(24, 25), false);
  assert.equal(needsCount(25, 25), true);
  assert.equal(needsCount(1000, 0), false);
});

Deno.test("countProblem accepts only the exact number and says what to type", () => {
  assert.equal(countProblem(42, 42), undefined);
  assert.match(countProblem(undefined, 42)!, /bare yes is not enough.*yes 42/);
  assert.match(countProblem(41, 42)!, /41 is not the number of channels.*yes 42/);
  assert.match(countProblem(undefined, 42, "ack urgent")!, /\*\*yes ack urgent 42\*\*/);
});

Deno.test("previewQuestion names the count and the members of a guarded send", () => {
  assert.match(previewQuestion(3, false, undefined), /Answer \*\*yes\*\* or \*\*no\*\*/);
  const guarded = previewQuestion(30, true, 120);
  assert.match(guarded, /30 channels\*\* with 120 members/);
  assert.match(guarded, /yes 30/);
  assert.doesNotMatch(previewQuestion(30, true, undefined), /members/);
  assert.match(guarded, /`ack`.*`important` or `urgent`.*`remind after 24h`/);
});
