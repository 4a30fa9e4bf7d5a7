import assert from "node:assert/strict";
import { parseChannelsToml } from "./parse.ts";
import { parseListInput } from "./list_input.ts";

const refusal = (toml: string): string => {
  const r = parseChannelsToml(toml, "channels.toml");
  assert.equal(r.ok, false, toml);
  return r.ok ? "" : r.error.message;
};

Deno.test("[lists]: names people by username or id; an alias may name a list", () => {
  const r = parseChannelsToml(
    '[lists]\n"Night shift" = ["alice", "@Bob", "0123456789abcdefghijklmnop", "alice"]\n' +
      '[aliases]\nnight = "night shift"\n',
    "channels.toml",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.value.lists.get("Night shift"), [
    "alice",
    "@Bob",
    "0123456789abcdefghijklmnop",
  ]);
  assert.equal(r.value.aliases.get("night"), "night shift");
});

Deno.test("[lists]: every bad name or entry is refused at its place", () => {
  assert.match(
    refusal('[lists]\n"Night\u200bshift" = ["alice"]\n'),
    /channels.toml:2:1: list "Night\u200bshift" in \[lists\]: the name contains an invisible/,
  );
  assert.match(refusal('[lists]\neveryone = ["alice"]\n'), /`everyone` already means/);
  assert.match(refusal('[lists]\n"@crew" = ["alice"]\n'), /reads as a person's username/);
  assert.match(refusal('[lists]\n"Members of x" = ["alice"]\n'), /reads as a channel's members/);
  assert.match(refusal("[lists]\ncrew = []\n"), /names nobody/);
  assert.match(refusal('[lists]\ncrew = ["a b"]\n'), /channels.toml:2:9: .*item 1: "a b" is not/);
  assert.match(refusal('[lists]\ncrew = "alice"\n'), /must be a list of usernames/);
  assert.match(
    refusal('[groups]\nCrew = ["abcdefghijklmnopqrstuvwxyz"]\n[lists]\ncrew = ["alice"]\n'),
    /list "crew" in \[lists\] has the same name as group "Crew" in \[groups\]/,
  );
});

Deno.test("!add_list input: TOML lines, each checked, with an example on refusal", () => {
  const ok = parseListInput('"Night shift" = ["alice", "@bob"]\nDay = ["carol"]');
  assert.ok(ok.ok);
  assert.deepEqual(ok.value, [
    { name: "Night shift", entries: ["alice", "@bob"] },
    { name: "Day", entries: ["carol"] },
  ]);
  for (
    const [input, why] of [
      ["", /nothing to add/],
      ['[lists]\nx = ["alice"]', /section headers/],
      ['x = ["alice"', /Line 1/],
      ['"Day\u202eshift" = ["bob"]', /right-to-left/],
      ['x = ["no way"]', /item 1/],
      ["x = []", /non-empty list/],
      ["x".repeat(20_001), /limit is 20,000/],
    ] as const
  ) {
    const r = parseListInput(input);
    assert.ok(!r.ok, input);
    assert.match(r.error.message, why);
    assert.match(r.error.message, /Example:/);
  }
});
