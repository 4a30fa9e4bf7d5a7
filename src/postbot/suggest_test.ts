import assert from "node:assert/strict";
import { editDistance, suggest } from "./suggest.ts";

Deno.test("editDistance: insertions, deletions, substitutions; runes not UTF-16 units", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("abc", "abc"), 0);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("😀a", "😃a"), 1);
});

Deno.test("suggest: close names first, case-insensitive", () => {
  const channels = ["town-square", "announcements", "office-berlin", "office-paris", "random"];
  assert.deepEqual(suggest("town-sqare", channels), ["town-square"]);
  assert.deepEqual(suggest("ANOUNCEMENTS", channels), ["announcements"]);
  assert.deepEqual(suggest("office", channels), ["office-berlin", "office-paris"]);
});

Deno.test("suggest: nothing for unrelated, empty or absurdly long input", () => {
  const channels = ["town-square", "random"];
  assert.deepEqual(suggest("zzzzzzzzzz", channels), []);
  assert.deepEqual(suggest("", channels), []);
  assert.deepEqual(suggest("   ", channels), []);
  assert.deepEqual(suggest("x".repeat(10_000), channels), []);
});

Deno.test("suggest: at most max results, no duplicates", () => {
  const names = ["ab1", "ab2", "ab3", "ab4", "ab1"];
  const result = suggest("ab", names, 3);
  assert.equal(result.length, 3);
  assert.equal(new Set(result).size, 3);
  assert.equal(suggest("ab", names, 10).length, 4);
});
