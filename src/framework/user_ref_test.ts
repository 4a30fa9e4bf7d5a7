import assert from "node:assert/strict";
import { parseUserRef, refersTo } from "./user_ref.ts";

const ID = "abcdefghijklmnopqrstuvwxyz";

Deno.test("parseUserRef: the form decides id or username", () => {
  assert.deepEqual(parseUserRef(ID), { ok: true, value: { kind: "id", id: ID } });
  assert.deepEqual(parseUserRef("@Alice"), {
    ok: true,
    value: { kind: "username", username: "alice" },
  });
  assert.deepEqual(parseUserRef("bob.smith-2_x"), {
    ok: true,
    value: { kind: "username", username: "bob.smith-2_x" },
  });
});

Deno.test("parseUserRef: refuses what is neither, saying why", () => {
  for (
    const [entry, pattern] of [
      [`@${ID}`, /at most 22 characters.*without @/],
      ["@0bcdefghijklmnopqrstuvwxyz", /at most 22 characters.*without @/],
      [ID.toUpperCase(), /at most 22 characters/],
      ["al", /2 characters/],
      ["9lives", /not a user id .* or a username/],
      ["bob smith", /not a user id/],
      ["b\u200bob", /not a user id/],
      ["@all", /reserves/],
      ["here", /reserves/],
      ["x".repeat(23), /23 characters/],
    ] as const
  ) {
    const r = parseUserRef(entry);
    assert.equal(r.ok, false, entry);
    if (!r.ok) assert.match(r.error.message, pattern, entry);
  }
});

Deno.test("refersTo: ids match ids only, usernames usernames only", () => {
  const id = parseUserRef(ID);
  const name = parseUserRef("alice");
  assert.ok(id.ok && name.ok);
  assert.equal(refersTo(id.value, ID, "zed"), true);
  assert.equal(refersTo(id.value, "other", ID), false);
  assert.equal(refersTo(name.value, "u1", "@ALICE"), true);
  assert.equal(refersTo(name.value, "alice", "bob"), false);
});
