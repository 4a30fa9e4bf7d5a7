import { describeProblem } from "@postbot/framework";
import assert from "node:assert/strict";
import { A, B, C, SAMPLE_CHANNELS_TOML } from "./fixtures_test.ts";
import {
  aliasProblem,
  type ChannelsConfig,
  channelsFaultError,
  type ChannelsFileError,
  decideChannelsConfig,
  EMPTY_CHANNELS_CONFIG,
  excerptAt,
  findNameClash,
  groupNameProblem,
  nameKey,
  parseChannelsToml,
  sameChannelsConfig,
} from "./parse.ts";

function parsed(text: string): ChannelsConfig {
  const r = parseChannelsToml(text, "channels.toml");
  if (!r.ok) assert.fail(describeProblem(r.error));
  return r.value;
}

function failure(text: string): ChannelsFileError {
  const r = parseChannelsToml(text, "channels.toml");
  assert.equal(r.ok, false, "expected an error");
  return (r as { error: ChannelsFileError }).error;
}

/** Asserts the error's place and that its message carries it and mentions `words`. */
function assertError(
  e: ChannelsFileError,
  line: number | undefined,
  column: number | undefined,
  ...words: RegExp[]
): void {
  assert.equal(e.file, "channels.toml");
  assert.equal(e.line, line, e.message);
  assert.equal(e.column, column, e.message);
  const prefix = line === undefined ? "channels.toml: " : `channels.toml:${line}:${column}: `;
  assert.ok(e.message.startsWith(prefix), e.message);
  assert.equal(e.message, prefix + e.detail);
  for (const w of words) assert.match(e.message, w);
}

Deno.test("parseChannelsToml reads the documented example", () => {
  const config = parsed(SAMPLE_CHANNELS_TOML);
  assert.deepEqual(config.whitelist, ["town-square", "announcements"]);
  assert.deepEqual([...config.groups], [["All offices", [A, B]], ["Engineering", [A]]]);
  assert.deepEqual([...config.privateGroups], [["Managers", [C]]]);
  assert.deepEqual([...config.aliases], [["all", "All offices"]]);
});

Deno.test("empty, comment-only and partial files are valid", () => {
  for (const text of ["", "\n\n", "# nothing here\n", "\ufeff", "[groups]\n[aliases]\n"]) {
    assert.ok(sameChannelsConfig(parsed(text), EMPTY_CHANNELS_CONFIG), JSON.stringify(text));
  }
  const onlyWhitelist = parsed(`whitelist = ["town-square"]`);
  assert.deepEqual(onlyWhitelist.whitelist, ["town-square"]);
  assert.equal(onlyWhitelist.groups.size, 0);
  const crlf = parsed(SAMPLE_CHANNELS_TOML.replaceAll("\n", "\r\n"));
  assert.ok(sameChannelsConfig(crlf, parsed(SAMPLE_CHANNELS_TOML)));
});

Deno.test("duplicate ids in a group and duplicate whitelist entries are collapsed", () => {
  const config = parsed(`whitelist = ["a", "a"]\n[groups]\ng = ["${A}", "${B}", "${A}"]\n`);
  assert.deepEqual(config.whitelist, ["a"]);
  assert.deepEqual(config.groups.get("g"), [A, B]);
});

Deno.test("names that are special in JavaScript are ordinary group names", () => {
  const config = parsed(
    `[groups]\n"__proto__" = ["${A}"]\nconstructor = ["${B}"]\n"hasOwnProperty" = ["${C}"]\n`,
  );
  assert.deepEqual([...config.groups.keys()].sort(), [
    "__proto__",
    "constructor",
    "hasOwnProperty",
  ]);
  assert.deepEqual(config.groups.get("__proto__"), [A]);
});

Deno.test("syntax errors report line, column and the offending line", () => {
  const e = failure(`[groups]\nEng = ["${A}" "${B}"]\n`);
  assertError(e, 2, 37, /expected "," between items/);
  assert.equal(e.hint, `Eng = ["${A}" "${B}"]\n${" ".repeat(36)}^`);
  assert.equal(describeProblem(e), `${e.message}\n${e.hint}`);

  assertError(failure(`whitelist = ["a"\n`), 2, 1, /bracket/);
  assertError(failure(`[groups]\nEng = ["${A}]\n`), 2, 8, /unterminated string.*not closed/);
  assertError(failure(`[groups]\nMy group = ["${A}"]\n`), 2, 4, /double quotes/);
  assertError(failure(`[groups]\na = ["${A}"]\na = ["${B}"]\n`), 3, 1, /already defined/);
});

Deno.test("unknown top-level keys are named", () => {
  assertError(failure(`whitelst = ["a"]\n`), 1, 1, /unknown setting "whitelst"/);
  const e = failure(`whitelist = []\n\n[group]\n[alias]\n`);
  assertError(e, 3, 1, /unknown settings "group", "alias"/, /\[groups\]/);
  // A key placed under the wrong header is reported through its table.
  assertError(failure(`[extra.groups]\n`), 1, 1, /"extra"/);
});

Deno.test("whitelist must be a list of names", () => {
  assertError(failure(`whitelist = "town-square"\n`), 1, 1, /list of channel names/);
  assertError(
    failure(`whitelist = [\n  "a",\n  42,\n]\n`),
    3,
    3,
    /double quotes/,
    /number 42/,
  );
  assertError(failure(`whitelist = ["a", " "]\n`), 1, 19, /empty/);
});

Deno.test("groups must be tables of lists of channel ids", () => {
  assertError(failure(`groups = ["${A}"]\n`), 1, 1, /section \[groups\]/);
  assertError(
    failure(`[groups]\nEng = "${A}"\n`),
    2,
    7,
    /group "Eng" in \[groups\] must be a list/,
  );
  assertError(failure(`[groups]\nEng = []\n`), 2, 7, /no channel ids/);
  assertError(failure(`[private_groups]\nEng = ["${A}", 1]\n`), 2, 38, /\[private_groups\]/);
  // A table is the form with rules: a key it does not know is named.
  assertError(failure(`[groups]\nEng.sub = ["${A}"]\n`), 2, 1, /unknown key "sub"/);
  assertError(failure(`[groups]\n"" = ["${A}"]\n`), 2, 1, /name is empty/);
  assertError(failure(`[groups]\n"a\\nb" = ["${A}"]\n`), 2, 1, /line break/);
  assertError(failure(`[groups]\n"${"x".repeat(101)}" = ["${A}"]\n`), 2, 1, /101 characters/);
});

Deno.test("a bad id is reported with its group, its text and its place", () => {
  const text = `[groups]\nEng = [\n  "${A}",\n  "${A.toUpperCase()}", # typo\n]\n`;
  const e = failure(text);
  assertError(
    e,
    4,
    3,
    /group "Eng"/,
    new RegExp(`"${A.toUpperCase()}" is not a Mattermost channel id`),
    /uppercase/,
  );
  assertError(failure(`[groups]\nx = ["${A}", "sh rt"]\n`), 2, 36, /"sh rt"/, /contains " "/);
  // Root dotted keys are located too.
  assertError(failure(`groups.x = ["no pe"]\n`), 1, 13, /"no pe"/);
  // Inline tables: the item itself, as in the [groups] form.
  assertError(failure(`groups = { x = ["no pe"] }\n`), 1, 17, /"no pe"/);
});

Deno.test("errors point at the entry at fault, in the [table] form and the inline form", () => {
  // [shape, table form, inline form, what the message says]; in each text, the place the
  // error must point at is the last occurrence of the text after the "|" (the mark is removed).
  const cases: [string, string, string, RegExp][] = [
    [
      "bad value type",
      `[groups]\nA = ["${A}"]\n\n# note\nB = |5\n`,
      `groups = { A = ["${A}"], B = |5 }\n`,
      /group "B" .* not the number 5/,
    ],
    [
      "not a channel id",
      `[private_groups]\nA = ["${A}"]\nB = [\n  "${B}",\n  |"no pe",\n]\n`,
      `private_groups = { A = ["${A}"], B = [\n  "${B}",\n  |"no pe",\n] }\n`,
      /"no pe" is not a Mattermost channel id .* nor a channel name/,
    ],
    [
      "duplicate key",
      `[groups]\nA = ["${A}"]\nB = ["${B}"]\n|A = ["${B}"]\n`,
      `groups = { A = ["${A}"], B = ["${B}"], |A = ["${B}"] }\n`,
      /already defined above/,
    ],
    [
      "bad alias target",
      `[groups]\nEveryone = ["${A}"]\n\n[aliases]\nall = "Everyone"\nx = |"Nobody"\n`,
      `aliases = { all = "Everyone", x = |"Nobody" }\n[groups]\nEveryone = ["${A}"]\n`,
      /alias "x" .* points to "Nobody"/,
    ],
    [
      "alias not text",
      `[groups]\nEveryone = ["${A}"]\n[aliases]\nall = "Everyone"\nx = |["Everyone"]\n`,
      `aliases = { all = "Everyone", x = |["Everyone"] }\n[groups]\nEveryone = ["${A}"]\n`,
      /alias "x" .* not a list/,
    ],
    [
      "name clash",
      `whitelist = ["town-square"]\n[groups]\nA = ["${A}"]\n|"Town-Square" = ["${A}"]\n`,
      `whitelist = ["town-square"]\ngroups = { A = ["${A}"], |"Town-Square" = ["${A}"] }\n`,
      /group "Town-Square" .* same name as whitelisted channel "town-square"/,
    ],
    [
      "bad alias name",
      `[groups]\nEveryone = ["${A}"]\n[aliases]\nall = "Everyone"\n|BIG = "Everyone"\n`,
      `aliases = { all = "Everyone", |BIG = "Everyone" }\n[groups]\nEveryone = ["${A}"]\n`,
      /must be lowercase/,
    ],
  ];
  for (const [shape, table, inline, what] of cases) {
    for (const [form, marked] of [["table", table], ["inline", inline]]) {
      const at = marked.indexOf("|");
      const text = marked.slice(0, at) + marked.slice(at + 1);
      const line = text.slice(0, at).split("\n").length;
      const column = at - text.lastIndexOf("\n", at - 1);
      const e = failure(text);
      assert.equal(`${e.line}:${e.column}`, `${line}:${column}`, `${shape}, ${form}: ${e.message}`);
      assert.match(e.message, what, `${shape}, ${form}`);
      // The quoted line is the offending one, with the caret under the column.
      const [quoted, caret] = (e.hint ?? "").split("\n");
      assert.equal(quoted, text.split("\n")[line - 1], `${shape}, ${form}`);
      assert.equal(caret.indexOf("^"), column - 1, `${shape}, ${form}`);
    }
  }
});

Deno.test("a group name may not be used twice, across tables or in another case", () => {
  assertError(
    failure(`[groups]\nEng = ["${A}"]\n[private_groups]\nEng = ["${B}"]\n`),
    4,
    1,
    /group "Eng" in \[private_groups\] has the same name as group "Eng" in \[groups\]/,
  );
  assertError(
    failure(`[groups]\nEng = ["${A}"]\neng = ["${B}"]\n`),
    3,
    1,
    /ignoring case/,
  );
  assertError(
    failure(`whitelist = ["sales"]\n[groups]\nSales = ["${A}"]\n`),
    3,
    1,
    /whitelisted channel "sales"/,
  );
  // Same text in two Unicode normal forms.
  assertError(
    failure(`[groups]\n"caf\u00e9" = ["${A}"]\n"cafe\u0301" = ["${B}"]\n`),
    3,
    1,
    /same name/,
  );
});

Deno.test("aliases must be lowercase, point to a group or channel, and not hide a name", () => {
  const base = `whitelist = ["town-square"]\n[groups]\nEng = ["${A}"]\n[aliases]\n`;
  const ok = parsed(base + `e = "Eng"\nts = "town-square"\nlower = "eng"\n`);
  assert.deepEqual([...ok.aliases], [["e", "Eng"], ["ts", "town-square"], ["lower", "eng"]]);
  assertError(failure(base + `E = "Eng"\n`), 5, 1, /lowercase/, /write "e"/);
  assertError(failure(base + `e = "Nope"\n`), 5, 5, /"Nope", which is neither/);
  assertError(failure(base + `e = ["Eng"]\n`), 5, 5, /double quotes/);
  assertError(failure(base + `eng = "Eng"\n`), 5, 1, /same name as group "Eng"/);
  assertError(failure(base + `town-square = "Eng"\n`), 5, 1, /whitelisted channel/);
  assertError(failure(base + `a = "Eng"\nb = "a"\n`), 6, 5, /neither a group/);
  assertError(failure(`aliases = "x"\n`), 1, 1, /section \[aliases\]/);
});

Deno.test("the file name given is the one in messages", () => {
  const r = parseChannelsToml("x = 1", "/etc/postbot/channels.toml");
  assert.ok(!r.ok);
  assert.match(r.error.message, /^\/etc\/postbot\/channels\.toml:1:1: /);
});

Deno.test("groupNameProblem, aliasProblem and nameKey", () => {
  assert.equal(groupNameProblem("All offices"), undefined);
  assert.equal(groupNameProblem('Ünïcødé 👩‍💻 "quoted" [x] # y'), undefined);
  assert.equal(groupNameProblem("x".repeat(100)), undefined);
  assert.equal(groupNameProblem("😀".repeat(100)), undefined, "length counts characters");
  assert.match(groupNameProblem("")!, /empty/);
  assert.match(groupNameProblem(" \t")!, /empty/);
  assert.match(groupNameProblem(" a")!, /spaces/);
  assert.match(groupNameProblem("a\nb")!, /line break/);
  assert.match(groupNameProblem("a\u2028b")!, /line break/);
  assert.match(groupNameProblem("a\u0007")!, /control/);
  assert.match(groupNameProblem("a\ud800")!, /Unicode/);
  assert.match(groupNameProblem("x".repeat(101))!, /101 characters/);
  assert.equal(aliasProblem("all"), undefined);
  assert.match(aliasProblem("All")!, /lowercase/);
  assert.match(aliasProblem("")!, /the alias is empty/);
  assert.equal(nameKey("Café"), nameKey("CAFE\u0301"));
});

Deno.test("findNameClash names what already uses a name", () => {
  const config = parsed(SAMPLE_CHANNELS_TOML);
  assert.equal(findNameClash(config, "engineering"), 'group "Engineering" in [groups]');
  assert.equal(findNameClash(config, "MANAGERS"), 'group "Managers" in [private_groups]');
  assert.equal(findNameClash(config, "All"), 'alias "all"');
  assert.equal(findNameClash(config, "Town-Square"), 'whitelisted channel "town-square"');
  assert.equal(findNameClash(config, "Sales"), undefined);
});

Deno.test("sameChannelsConfig compares content, not map order", () => {
  const a = parsed(`[groups]\nx = ["${A}"]\ny = ["${B}"]\n`);
  const b = parsed(`[groups]\ny = ["${B}"]\nx = ["${A}"]\n`);
  const c = parsed(`[groups]\nx = ["${A}"]\ny = ["${C}"]\n`);
  const d = parsed(`[private_groups]\nx = ["${A}"]\ny = ["${B}"]\n`);
  assert.equal(sameChannelsConfig(a, b), true);
  assert.equal(sameChannelsConfig(a, c), false);
  assert.equal(sameChannelsConfig(a, d), false);
});

Deno.test("excerptAt aligns the caret under tabs", () => {
  assert.equal(excerptAt("a\n\tb = x\n", 2, 6), "\tb = x\n\t    ^");
  assert.equal(excerptAt("a", 5, 1), undefined);
});

Deno.test("decideChannelsConfig: faults are typed outcomes, worded and placed separately", () => {
  const fault = (raw: Record<string, unknown>) => {
    const r = decideChannelsConfig(raw);
    return r.ok ? "ok" : r.error;
  };
  assert.deepEqual(fault({ colour: "red" }), { kind: "unknown_keys", keys: ["colour"] });
  assert.deepEqual(fault({ whitelist: ["a", 3] }), {
    kind: "whitelist_entry_not_text",
    index: 1,
    found: 3,
  });
  assert.deepEqual(fault({ groups: { Eng: [] } }), {
    kind: "group_empty",
    group: { table: "groups", name: "Eng" },
  });
  assert.deepEqual(fault({ whitelist: ["eng"], private_groups: { ENG: [A] } }), {
    kind: "group_clash",
    group: { table: "private_groups", name: "ENG" },
    owner: { kind: "whitelisted", name: "eng" },
  });
  assert.deepEqual(fault({ groups: { Eng: [A] }, aliases: { e: "Sales" } }), {
    kind: "alias_unknown_target",
    alias: "e",
    target: "Sales",
  });
  assert.equal(fault({ groups: { Eng: [A] }, aliases: { e: "eng" } }), "ok");
  const text = `[groups]\nEng = []\n`;
  const e = channelsFaultError(
    { kind: "group_empty", group: { table: "groups", name: "Eng" } },
    "c.toml",
    text,
  );
  assert.equal(
    describeProblem(e),
    'c.toml:2:7: group "Eng" in [groups] has no channel ids; add at least one, or remove the line\n' +
      "Eng = []\n      ^",
  );
});

Deno.test("groups, lists and everyone in table form carry senders and approvers", () => {
  const text = `[groups."All staff"]
channels = ["${A}"]   # as the short form
senders = ["bob", "@Carol"]
approvers = ["alice", "dave"]
approvals = 1

[groups]
Short = ["${A}"]

[lists]
Night = { people = ["bob"], senders = ["alice"] }

[everyone]
approvers = ["alice", "bob"]
approvals = 2
`;
  const config = parsed(text);
  assert.deepEqual(config.groups.get("All staff"), [A]);
  assert.deepEqual(config.groups.get("Short"), [A]);
  assert.deepEqual(config.lists.get("Night"), ["bob"]);
  assert.deepEqual(config.rules?.get("all staff"), {
    senders: ["bob", "@Carol"],
    approvers: ["alice", "dave"],
    approvals: 1,
  });
  assert.deepEqual(config.rules?.get("night"), { senders: ["alice"], approvers: [], approvals: 0 });
  assert.equal(config.rules?.has("short"), false);
  assert.deepEqual(config.everyone, { approvers: ["alice", "bob"], approvals: 2 });
  assert.ok(sameChannelsConfig(config, parsed(text)));
});

Deno.test("rules are validated: unknown keys, users, approvals beyond the approvers", () => {
  const head = `[groups."All staff"]\nchannels = ["${A}"]\n`;
  assertError(failure(`${head}sender = ["bob"]\n`), 3, 1, /unknown key "sender"/);
  assertError(failure(`${head}senders = ["bob", "@"]\n`), 3, 19, /senders: item 2/);
  assertError(failure(`${head}approvers = []\n`), 3, 1, /approvers names nobody/);
  assertError(failure(`${head}approvers = ["bob"]\napprovals = 0\n`), 4, 1, /whole number/);
  assertError(failure(`${head}approvers = ["bob"]\napprovals = 1.5\n`), 4, 1, /whole number/);
  assertError(failure(`${head}approvals = 1\n`), 1, 1, /no approvers are named/);
  assertError(
    failure(`${head}approvers = ["bob"]\napprovals = 2\n`),
    4,
    1,
    /approvals = 2 but only 1 approvers/,
  );
  // The only approver besides a sender: that sender could never send.
  assertError(
    failure(`${head}senders = ["bob", "carol"]\napprovers = ["bob", "carol"]\napprovals = 2\n`),
    5,
    1,
    /the sender "bob" leaves only 1 other approvers/,
  );
  assertError(failure(`[groups."X"]\nsenders = ["bob"]\n`), 1, 1, /has no channels = \[/);
  assertError(failure(`[lists.N]\npeople = ["bob"]\napprovers = ["7"]\n`), 3, 14, /approvers/);
  assertError(failure(`everyone = 1\n`), 1, 1, /section \[everyone\]/);
  assertError(failure(`[everyone]\npeople = ["bob"]\n`), 2, 1, /unknown key "people"/);
});
