import assert from "node:assert/strict";
import { describeProblem, err, fail, ok, problem } from "./result.ts";

Deno.test("a problem reads as its message, then its hint on a line of its own", () => {
  assert.equal(describeProblem(problem("No channel named ~news.")), "No channel named ~news.");
  assert.equal(
    describeProblem(problem("No channel named ~news.", "Send !channels to see them.")),
    "No channel named ~news.\nSend !channels to see them.",
  );
  assert.deepEqual(problem("x"), { message: "x" });
  assert.equal("hint" in problem("x"), false);
});

Deno.test("fail is a failed result carrying a problem; ok and err wrap as they say", () => {
  assert.deepEqual(fail("bad", "fix it"), { ok: false, error: { message: "bad", hint: "fix it" } });
  assert.deepEqual(err("e"), { ok: false, error: "e" });
  assert.deepEqual(ok(1), { ok: true, value: 1 });
});
