import assert from "node:assert/strict";
import { LineSplitter } from "./lines.ts";

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
