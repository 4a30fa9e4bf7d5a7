import assert from "node:assert/strict";
import { NO_OPTIONS, optionWords } from "../broadcast/options.ts";
import { parsePreviewAnswer, type PreviewAnswer, previewRefusalText } from "./preview_answer.ts";

const yes = (count: number | undefined, options = {}): PreviewAnswer => ({
  kind: "yes",
  count,
  options: { ...NO_OPTIONS, ...options },
});

Deno.test("parsePreviewAnswer reads yes, yes <n>, no, who, at and in", () => {
  assert.deepEqual(parsePreviewAnswer("yes"), yes(undefined));
  assert.deepEqual(parsePreviewAnswer(" Y 42. "), yes(42));
  assert.deepEqual(parsePreviewAnswer("no"), { kind: "no" });
  assert.deepEqual(parsePreviewAnswer("cancel"), { kind: "no" });
  assert.deepEqual(parsePreviewAnswer("Who"), { kind: "who" });
  assert.deepEqual(parsePreviewAnswer("at monday 9:00"), {
    kind: "later",
    expression: "monday 9:00",
    options: NO_OPTIONS,
  });
  assert.deepEqual(parsePreviewAnswer("In 2h"), {
    kind: "later",
    expression: "in 2h",
    options: NO_OPTIONS,
  });
  assert.deepEqual(parsePreviewAnswer("sure"), { kind: "other" });
  assert.deepEqual(parsePreviewAnswer("yesterday"), { kind: "other" });
  assert.deepEqual(parsePreviewAnswer("yes42"), { kind: "other" });
});

Deno.test("the options after yes, in any order and case, with the count anywhere", () => {
  assert.deepEqual(parsePreviewAnswer("yes ack"), yes(undefined, { ack: true }));
  assert.deepEqual(
    parsePreviewAnswer("YES Urgent, ACK 12"),
    yes(12, { ack: true, priority: "urgent" }),
  );
  assert.deepEqual(parsePreviewAnswer("yes 12 important"), yes(12, { priority: "important" }));
  assert.deepEqual(
    parsePreviewAnswer("yes ack remind after 24h"),
    yes(undefined, { ack: true, remindAfterMs: 86_400_000 }),
  );
  assert.deepEqual(
    parsePreviewAnswer("yes remind after 1 day and 2 hours 42 ack"),
    yes(42, { ack: true, remindAfterMs: 93_600_000 }),
  );
  assert.deepEqual(
    parsePreviewAnswer("yes remind after 2h 42"),
    yes(42, { remindAfterMs: 7_200_000 }),
    "a bare number after the duration is the count",
  );
  assert.deepEqual(parsePreviewAnswer("y acknowledge acknowledge"), yes(undefined, { ack: true }));
  assert.deepEqual(
    parsePreviewAnswer("yes remind in 1h30m"),
    yes(undefined, { remindAfterMs: 5_400_000 }),
  );
});

Deno.test("the options after a send time end the time", () => {
  assert.deepEqual(parsePreviewAnswer("at monday 9:00, ack urgent"), {
    kind: "later",
    expression: "monday 9:00",
    options: { ack: true, priority: "urgent", remindAfterMs: null },
  });
  assert.deepEqual(parsePreviewAnswer("in 2 h remind after 3 days"), {
    kind: "later",
    expression: "in 2 h",
    options: { ack: false, priority: "", remindAfterMs: 3 * 86_400_000 },
  });
});

Deno.test("a yes or a send time with an option it cannot read is refused, with why", () => {
  const refusal = (text: string) => {
    const a = parsePreviewAnswer(text);
    assert.equal(a.kind, "refused", `${text}: ${JSON.stringify(a)}`);
    return a.kind === "refused" ? a.refusal : assert.fail();
  };
  assert.deepEqual(refusal("yes please"), { kind: "unknown_word", word: "please", later: false });
  assert.deepEqual(refusal("yes -3"), { kind: "unknown_word", word: "-3", later: false });
  assert.deepEqual(refusal("yes ackk"), { kind: "unknown_word", word: "ackk", later: false });
  assert.deepEqual(refusal("at 9:00 ack 42"), { kind: "unknown_word", word: "42", later: true });
  assert.deepEqual(refusal("yes important urgent"), { kind: "two_priorities" });
  assert.deepEqual(refusal("yes 12 13"), { kind: "two_counts" });
  assert.deepEqual(refusal("yes remind"), { kind: "remind_without_duration" });
  assert.deepEqual(refusal("yes remind me"), { kind: "remind_without_duration" });
  assert.deepEqual(refusal("yes remind after"), { kind: "remind_without_duration" });
  assert.deepEqual(refusal("yes remind after soon"), {
    kind: "remind_duration",
    refusal: { kind: "unreadable_delay", text: "soon" },
  });
  assert.deepEqual(refusal("yes remind after 2 constructor"), {
    kind: "remind_duration",
    refusal: { kind: "unreadable_delay", text: "2 constructor" },
  });
  assert.deepEqual(refusal("yes remind after 2constructor"), {
    kind: "remind_duration",
    refusal: { kind: "unknown_unit", unit: "constructor" },
  });
  assert.deepEqual(refusal("yes remind after 0h"), {
    kind: "remind_duration",
    refusal: { kind: "zero_delay" },
  });
  assert.deepEqual(refusal("yes remind after 5s"), { kind: "remind_too_soon", ms: 5_000 });
  assert.deepEqual(refusal("yes remind after 31d"), {
    kind: "remind_too_late",
    ms: 31 * 86_400_000,
  });
  assert.deepEqual(refusal("yes remind after 1h remind after 2h"), { kind: "two_reminders" });
  for (
    const text of [
      "yes please",
      "yes important urgent",
      "yes remind",
      "yes remind after 2constructor",
      "yes remind after 0h",
      "yes remind after 5s",
      "yes remind after 31d",
    ]
  ) {
    const words = previewRefusalText(refusal(text));
    assert.match(words, /Nothing was sent\. Options after \*\*yes\*\*/, text);
  }
  assert.match(previewRefusalText(refusal("yes `@all` <b>")), /I don't know `@all`/);
  assert.doesNotMatch(previewRefusalText(refusal("yes " + "x".repeat(300))), /x{60}/);
});

Deno.test("a very long answer is no answer to the preview", () => {
  assert.deepEqual(parsePreviewAnswer("yes " + "ack ".repeat(200)), { kind: "other" });
});

Deno.test("optionWords says the options back as they are typed, and they read back the same", () => {
  for (const ms of [10_000, 90_000, 3_600_000, 86_400_000, 93_600_000, 45_500]) {
    const options = { ack: true, priority: "urgent" as const, remindAfterMs: ms };
    const again = parsePreviewAnswer(`yes ${optionWords(options)} 3`);
    assert.equal(again.kind, "yes");
    if (again.kind === "yes") {
      assert.equal(again.count, 3);
      assert.equal(again.options.remindAfterMs! >= ms, true, optionWords(options));
    }
  }
  assert.equal(optionWords(NO_OPTIONS), "");
});
