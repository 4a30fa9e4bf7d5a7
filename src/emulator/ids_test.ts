import assert from "node:assert/strict";
import { isValidId, newId } from "./ids.ts";

Deno.test("newId produces 26 lowercase alphanumeric characters", () => {
  for (let i = 0; i < 200; i++) {
    const id = newId();
    assert.match(id, /^[a-z0-9]{26}$/);
    assert.ok(isValidId(id));
  }
});

Deno.test("newId does not repeat", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) seen.add(newId());
  assert.equal(seen.size, 1000);
});

Deno.test("isValidId rejects wrong lengths and symbols", () => {
  assert.equal(isValidId("me"), false);
  assert.equal(isValidId("a".repeat(25)), false);
  assert.equal(isValidId("a".repeat(27)), false);
  assert.equal(isValidId("a".repeat(25) + "-"), false);
  assert.equal(isValidId("A".repeat(26)), true);
});
