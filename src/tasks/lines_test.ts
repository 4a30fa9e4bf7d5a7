import assert from "node:assert/strict";
import { inlineCode, LineSplitter, oneLine, shownName } from "./lines.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("lines are split across chunks; the last one comes at the end", () => {
  const s = new LineSplitter(100);
  assert.deepEqual(s.push(bytes("one\ntw")), ["one"]);
  assert.deepEqual(s.push(bytes("o\r\nthr")), ["two"]);
  assert.deepEqual(s.end(), ["thr"]);
});

Deno.test("an endless line is cut at the limit and the rest of it dropped", () => {
  const s = new LineSplitter(10);
  const out = [...s.push(bytes("x".repeat(25))), ...s.push(bytes("y".repeat(25) + "\nnext\n"))];
  assert.deepEqual(out, ["xxxxxxxxxx… (line cut)", "next"]);
  assert.deepEqual(s.end(), []);
});

Deno.test("oneLine shows newlines, escapes and bidi marks instead of obeying them", () => {
  assert.equal(
    oneLine("a\nb\r\x1b[2K\u202ec\u200bd\te"),
    "a\\u{a}b\\u{d}\\u{1b}[2K\\u{202e}c\\u{200b}d\te",
  );
  assert.equal(oneLine("x".repeat(10), 4), "xxxx…");
});

Deno.test("shownName: one code span, faithful, nothing can break out of it or hide", () => {
  assert.equal(shownName("plain_task.ts"), "`plain_task.ts`");
  assert.equal(
    shownName("a\n- @here `x`\u202e\u2066.ts"),
    "`a\\u{a}- @here \\u{60}x\\u{60}\\u{202e}\\u{2066}.ts`",
  );
  // Private use, unassigned and default-ignorable code points, and a lone surrogate.
  assert.equal(shownName("\ue000\u{e0001}\u180e\ud800"), "`\\u{e000}\\u{e0001}\\u{180e}\\u{d800}`");
  assert.equal(shownName("x".repeat(10), 4), "`xxxx\u2026`");
});

Deno.test("inlineCode: prose in one code span; bidi marks escaped", () => {
  assert.equal(inlineCode("a\nb `c`\u202ed"), "`a b  c \\u{202e}d`");
});
