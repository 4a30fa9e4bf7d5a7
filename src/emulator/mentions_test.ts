import assert from "node:assert/strict";
import { serverChannelMentions } from "./mentions.ts";

Deno.test("serverChannelMentions: the server's word splitting and Markdown", () => {
  const cases: [string, string[]][] = [
    ["hi @all", ["@all"]],
    ["@ALL: now", ["@all"]],
    ["_@channel_", ["@channel"]],
    ["a_@all", []],
    [":@here:", []],
    ["@@all", []],
    ["me@all.example", []],
    ["x.@all", ["@all"]],
    ["@all-hands", []], // a word of its own to the server (the guard still counts it)
    ["\u{105C0}@all", ["@all"]],
    ["\u00e9@all", []],
    ["&#64;all", []],
    ["@al&#108;", ["@all"]],
    ["x\\@all", ["@all"]],
    ["`@all`", []],
    ["```\n@here\n```", []],
    ["    @all", []],
    ["text\n    @here", ["@here"]],
    ["[x](@all)", []],
    ["[@all](https://example.com)", ["@all"]],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual([...serverChannelMentions(text)], expected, JSON.stringify(text));
  }
});
