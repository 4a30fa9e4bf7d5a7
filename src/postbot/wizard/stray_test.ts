import assert from "node:assert/strict";
import { bareWords } from "./conversation.ts";
import { strayAnswer, strayAnswerText } from "./stray.ts";

const COMMANDS = new Set(["help", "undo", "status", "cancel", "history", "refresh_channels"]);
const kind = (text: string) => strayAnswer(text, COMMANDS)?.kind;

Deno.test("bareWords: case, surrounding punctuation, quotes and emphasis go", () => {
  assert.equal(bareWords("  No.  "), "no");
  assert.equal(bareWords("**Cancel!**"), "cancel");
  assert.equal(bareWords("`yes`"), "yes");
  assert.equal(bareWords("\u201cstop\u201d"), "stop");
  assert.equal(bareWords("_never   mind_..."), "never mind");
  assert.equal(bareWords("(ok)"), "ok");
});

Deno.test("strayAnswer: cancels in any dress", () => {
  for (
    const text of [
      "cancel",
      "No.",
      "Cancel!",
      " STOP ",
      "abort",
      "quit",
      "n",
      "nope",
      "Nevermind",
      "never mind",
      "no thanks",
      "cancel that",
      "Stop it!",
      "forget it",
    ]
  ) {
    assert.equal(kind(text), "cancel", JSON.stringify(text));
  }
});

Deno.test("strayAnswer: confirmations, with or without a count", () => {
  for (
    const text of [
      "yes",
      "Y",
      "**Yes**",
      "yes 3",
      "YES 1200.",
      "ok",
      "Okay!",
      "sure",
      "send it",
      "go ahead",
      "yes please",
      "confirm",
      "yes ack",
      "Yes, urgent ack 12",
      "yes remind after 2h",
    ]
  ) {
    assert.equal(kind(text), "confirm", JSON.stringify(text));
  }
});

Deno.test("strayAnswer: thanks, send times and bare command names", () => {
  for (
    const text of ["thanks", "Thank you!", "thx", "great", ":+1:", "\u{1F44D}", "thanks a lot"]
  ) {
    assert.equal(kind(text), "thanks", JSON.stringify(text));
  }
  for (
    // strayAnswer reads the time against the real clock: a bare "at 9:00" has passed after
    // 09:00 UTC, so the times here are never in the past.
    const text of [
      "in 2h",
      "at tomorrow 9:00",
      "At monday 9:00",
      "in 30 minutes",
      "at tomorrow 9:00 ack urgent",
    ]
  ) {
    assert.equal(kind(text), "schedule", JSON.stringify(text));
  }
  assert.deepEqual(strayAnswer("undo", COMMANDS), { kind: "command", name: "undo" });
  assert.deepEqual(strayAnswer("/status", COMMANDS), { kind: "command", name: "status" });
  assert.deepEqual(strayAnswer("Status?", COMMANDS), { kind: "command", name: "status" });
  assert.deepEqual(strayAnswer("refresh_channels", COMMANDS), {
    kind: "command",
    name: "refresh_channels",
  });
});

Deno.test("strayAnswer: real messages are left alone", () => {
  for (
    const text of [
      "Stop the presses: we ship on Monday",
      "No meeting today",
      "yes we can",
      "Yes, the office is closed tomorrow",
      "in the kitchen there is cake",
      "at last, the release is out",
      "undo the changes from yesterday, please",
      "status report attached",
      "okay everyone, listen up",
      "Thanks to everyone who came yesterday!",
      "hello",
      "",
      "   ",
      "...",
      "no".repeat(30),
    ]
  ) {
    assert.equal(kind(text), undefined, JSON.stringify(text));
  }
});

Deno.test("strayAnswerText: says there is nothing open and how to broadcast", () => {
  const text = (k: Parameters<typeof strayAnswerText>[0]) => strayAnswerText(k, 300);
  assert.match(text({ kind: "cancel" }), /nothing to cancel.*`!cancel <id>`/s);
  assert.match(text({ kind: "confirm" }), /nothing to confirm.*nothing was sent.*5 minutes/s);
  assert.match(text({ kind: "schedule" }), /nothing to schedule/);
  assert.match(text({ kind: "thanks" }), /welcome/);
  assert.match(text({ kind: "command", name: "undo" }), /Did you mean `!undo`\?/);
  for (const k of ["cancel", "confirm", "thanks", "command"] as const) {
    assert.match(text({ kind: k, name: "undo" } as never), /send me the message itself/);
  }
});
