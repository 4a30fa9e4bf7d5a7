import assert from "node:assert/strict";
import { typedDecision } from "./approval.ts";

Deno.test("typedDecision: the word and an id; anything else stays a message", () => {
  assert.deepEqual(typedDecision("approve K3M9X2QA"), {
    id: "k3m9x2qa",
    decision: { kind: "approve" },
  });
  assert.deepEqual(typedDecision("reject k3m9x2qa  wrong date\nsee below"), {
    id: "k3m9x2qa",
    decision: { kind: "reject", reason: "wrong date\nsee below" },
  });
  assert.deepEqual(typedDecision("reject k3m9x2qa"), {
    id: "k3m9x2qa",
    decision: { kind: "reject", reason: "" },
  });
  assert.equal(typedDecision("approve"), undefined);
  assert.equal(typedDecision("approve the budget for next year"), undefined);
  assert.equal(typedDecision("Please approve k3m9x2qa"), undefined);
});
