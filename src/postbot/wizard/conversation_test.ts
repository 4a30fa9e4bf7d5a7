import assert from "node:assert/strict";
import { type Conversation, isCancel, yesNo } from "./conversation.ts";

Deno.test("yesNo reads yes and no, case-insensitively, and nothing else", () => {
  for (const text of ["yes", "Y", "YES", " y ", "Yes!", "yes."]) {
    assert.equal(yesNo(text), "yes", JSON.stringify(text));
  }
  for (const text of ["no", "N", "NO", " n\n", "No."]) {
    assert.equal(yesNo(text), "no", JSON.stringify(text));
  }
  for (
    const text of ["", "yep", "nope", "yes please", "y y", "!yes", "ja", "n0", "'; DROP TABLE"]
  ) {
    assert.equal(yesNo(text), undefined, JSON.stringify(text));
  }
});

Deno.test("isCancel recognises the words that leave the wizard", () => {
  for (const text of ["cancel", "Cancel", " ABORT ", "stop!", "cancel."]) {
    assert.equal(isCancel(text), true, JSON.stringify(text));
  }
  for (const text of ["cancel it", "stop the presses", "no", "", "cancellation"]) {
    assert.equal(isCancel(text), false, JSON.stringify(text));
  }
});

Deno.test("every conversation state survives a JSON round trip (sessions are stored as JSON)", () => {
  const draft = {
    sourcePostId: "p".repeat(26),
    message: "Hello\n@channel ü 🎉",
    files: [{ id: "f".repeat(26), name: "a b.pdf", size: 12, mimeType: "application/pdf" }],
  };
  const targets = [{
    channelId: "c".repeat(26),
    name: "town-square",
    displayName: "Town Square",
    type: "O" as const,
    botIsMember: true,
    via: ["all"],
  }];
  const states: Conversation[] = [
    { kind: "choosing_targets", draft },
    { kind: "confirming", draft, answer: "all", targets },
    { kind: "confirming_undo", broadcastId: "k3m9x2qa", resume: null },
    {
      kind: "confirming_undo",
      broadcastId: "k3m9x2qa",
      resume: { kind: "confirming", draft, answer: "all", targets },
    },
  ];
  for (const state of states) assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
});
