import assert from "node:assert/strict";
import { parseAliasArgs } from "./alias.ts";

Deno.test("parseAliasArgs: alias and a one-word target", () => {
  assert.deepEqual(parseAliasArgs("news announcements"), {
    alias: "news",
    target: "announcements",
  });
  assert.deepEqual(parseAliasArgs("  News   announcements  "), {
    alias: "News",
    target: "announcements",
  });
});

Deno.test("parseAliasArgs: a target with spaces, quoted or not", () => {
  assert.deepEqual(parseAliasArgs('all "All offices"'), { alias: "all", target: "All offices" });
  assert.deepEqual(parseAliasArgs("all 'All offices'"), { alias: "all", target: "All offices" });
  assert.deepEqual(parseAliasArgs("all All offices"), { alias: "all", target: "All offices" });
  assert.deepEqual(parseAliasArgs('all "  All offices "'), { alias: "all", target: "All offices" });
});

Deno.test("parseAliasArgs: missing parts are refused", () => {
  for (const args of ["", "   ", "all", 'all ""', "all '  '"]) {
    assert.equal(parseAliasArgs(args), undefined, JSON.stringify(args));
  }
});

Deno.test("parseAliasArgs: unbalanced quotes are kept as typed (the lookup then fails)", () => {
  assert.deepEqual(parseAliasArgs('all "All offices'), { alias: "all", target: '"All offices' });
});
