import assert from "node:assert/strict";
import { mattermostIdProblem } from "@postbot/framework";
import {
  decideGroupInput,
  type GroupDefinition,
  type GroupInputOptions,
  groupInputProblem,
  type InputError,
  MAX_GROUP_INPUT_LENGTH,
  MAX_IDS_PER_GROUP,
  parseGroupInput,
} from "./group_input.ts";

const A = "abcdefghijklmnopqrstuvwxyz";
const B = "0123456789abcdefghijklmnop";

function groups(input: string): GroupDefinition[] {
  const r = parseGroupInput(input);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

function refusal(input: string, options?: GroupInputOptions): InputError {
  const r = parseGroupInput(input, options);
  assert.equal(r.ok, false, `expected a refusal of ${JSON.stringify(input)}`);
  const error = (r as { error: InputError }).error;
  // Every refusal shows how to do it right.
  assert.match(error.message, /Example:\n```\n!add\w* "Engineering" = \["[a-z0-9]{26}", /);
  return error;
}

Deno.test("one group, quoted or bare name", () => {
  assert.deepEqual(groups(`"All offices" = ["${A}", "${B}"]`), [
    { name: "All offices", channelIds: [A, B] },
  ]);
  assert.deepEqual(groups(`Engineering = ["${A}"]`), [{ name: "Engineering", channelIds: [A] }]);
  assert.deepEqual(groups(`'lit\\eral' = ["${A}"]`), [{ name: "lit\\eral", channelIds: [A] }]);
});

Deno.test("several groups, multi-line arrays, comments, CRLF", () => {
  const input =
    `# offices\r\nParis = [\r\n  "${A}", # main\r\n  "${B}",\r\n]\r\n"New York" = ["${B}"]\r\n`;
  assert.deepEqual(groups(input), [
    { name: "Paris", channelIds: [A, B] },
    { name: "New York", channelIds: [B] },
  ]);
});

Deno.test("duplicate ids within a group are collapsed", () => {
  assert.deepEqual(groups(`g = ["${A}", "${B}", "${A}", "${B}"]`), [
    { name: "g", channelIds: [A, B] },
  ]);
});

Deno.test("Markdown code formatting around the TOML is ignored", () => {
  assert.deepEqual(groups("```toml\n" + `g = ["${A}"]\n` + "```"), [
    { name: "g", channelIds: [A] },
  ]);
  assert.deepEqual(groups("`" + `g = ["${A}"]` + "`"), [{ name: "g", channelIds: [A] }]);
  // Line numbers still match what the user sent.
  const e = refusal("```\n" + `g = ["${A}"]\nh = [1]\n` + "```");
  assert.equal(e.line, 3);
});

Deno.test("unicode and punctuation in names are kept exactly", () => {
  for (const name of ["Ünïcødé 👩‍💻", 'say "hi"', "back\\slash", "]#[", "a.b", "日本語"]) {
    const input = `${JSON.stringify(name)} = ["${A}"]`;
    assert.deepEqual(groups(input), [{ name, channelIds: [A] }], input);
  }
});

Deno.test("syntax errors are quoted back with line, column and a caret", () => {
  const e = refusal(`g = ["${A}"]\nh = ["${A}" "${B}"]`);
  assert.equal(e.line, 2);
  assert.equal(e.column, 35);
  assert.match(e.message, /^Line 2, column 35: expected "," between items/);
  assert.ok(e.message.includes("```\n" + `h = ["${A}" "${B}"]\n${" ".repeat(34)}^\n` + "```"));

  const unclosed = refusal(`g = ["${A}]`);
  assert.equal(unclosed.line, 1);
  assert.match(unclosed.message, /not closed/);

  const spaces = refusal(`My group = ["${A}"]`);
  assert.match(spaces.message, /double quotes/);
});

Deno.test("typographic quotes get a hint", () => {
  const e = refusal(`“Eng” = [“${A}”]`);
  assert.match(e.message, /straight quotes/);
});

Deno.test("headers, tables and dotted keys are refused", () => {
  const header = refusal(`[groups]\ng = ["${A}"]`);
  assert.equal(header.line, 1);
  assert.match(header.message, /section headers/);
  assert.match(refusal(`g = ["${A}"]\n[[x]]`).message, /section headers/);

  const dotted = refusal(`a.b = ["${A}"]`);
  assert.match(dotted.message, /has a dot/);
  assert.match(dotted.message, /"a\.b" = \[/);

  assert.match(refusal(`g = { x = ["${A}"] }`).message, /a table/);
});

Deno.test("values must be non-empty lists of text ids", () => {
  assert.match(refusal(`g = "${A}"`).message, /must be a list of channel ids.*single text/);
  assert.match(refusal(`g = 42`).message, /must be a list/);
  assert.match(refusal(`g = []`).message, /has no channel ids/);
  const e = refusal(`g = ["${A}", 42]`);
  assert.match(e.message, /item 2 is not text/);
  assert.equal(e.column, 36);
  assert.match(refusal(`g = [["${A}"]]`).message, /item 1 is not text/);
});

Deno.test("every bad id is named", () => {
  const e = refusal(`g = ["${A}", "sh rt", "${A.toUpperCase()}", "${A.slice(1)}."]`);
  assert.match(e.message, /these are not channel ids nor names/);
  assert.match(e.message, /- "sh rt" \(it contains " "/);
  assert.match(e.message, new RegExp(`- "${A.toUpperCase()}" \\(it has uppercase letters`));
  assert.match(e.message, new RegExp(`- "${A.slice(1)}\\." \\(it contains "\\."`));
  assert.equal(e.column, 36, "points at the first bad id");

  const many = Array.from({ length: 15 }, (_, i) => `"bad ${i}"`).join(", ");
  const m = refusal(`g = [${many}]`);
  assert.match(m.message, /- "bad 9"/);
  assert.doesNotMatch(m.message, /- "bad 10"/);
  assert.match(m.message, /and 5 more/);
});

Deno.test("names: empty, blank, too long, control characters and line breaks are refused", () => {
  assert.match(refusal(`"" = ["${A}"]`).message, /name is empty/);
  assert.match(refusal(`"   " = ["${A}"]`).message, /name is empty/);
  assert.match(refusal(`" padded" = ["${A}"]`).message, /spaces/);
  assert.match(refusal(`"${"n".repeat(101)}" = ["${A}"]`).message, /101 characters/);
  assert.deepEqual(groups(`"${"n".repeat(100)}" = ["${A}"]`)[0].name.length, 100);
  assert.match(refusal(`"a\\nb" = ["${A}"]`).message, /line break/);
  assert.match(refusal(`"a\\u2028b" = ["${A}"]`).message, /line break/);
  assert.match(refusal(`"a\\u0000b" = ["${A}"]`).message, /control/);
  assert.match(refusal(`"a\\tb" = ["${A}"]`).message, /control/);
  // Injection attempts stay inside the quoted name or fail to parse.
  assert.match(refusal(`"a" = 1\n[x]`).message, /section headers|must be a list/);
  assert.match(refusal(`"a\\"] = 1\\n[x]" = ["${A}"]`).message, /line break/);
});

Deno.test("a name may appear only once, ignoring case", () => {
  const same = refusal(`g = ["${A}"]\ng = ["${B}"]`);
  assert.equal(same.line, 2);
  assert.match(same.message, /already given on line 1/);
  const cased = refusal(`Eng = ["${A}"]\n"eng" = ["${B}"]`);
  assert.match(cased.message, /as "Eng" \(names are compared ignoring case\)/);
});

Deno.test("limits: 1,000 ids per group, 20,000 characters", () => {
  assert.equal(MAX_IDS_PER_GROUP, 1000);
  assert.equal(MAX_GROUP_INPUT_LENGTH, 20000);
  const ids = (n: number) =>
    Array.from({ length: n }, (_, i) => `"${i.toString(36).padStart(26, "0")}"`).join(",");
  assert.equal(groups(`g = [${ids(600)}]`)[0].channelIds.length, 600);
  // 1,001 ids do not fit in 20,000 characters: the id limit matters with a larger input limit.
  const more = { maxInputLength: 100_000 };
  assert.match(refusal(`g = [${ids(1001)}]`, more).message, /1,001 channel ids; at most 1,000/);
  const r = parseGroupInput(`g = [${ids(1000)}]`, more);
  assert.ok(r.ok && r.value[0].channelIds.length === 1000);
  const long = `g = [${ids(1000)}]`;
  assert.ok(long.length > MAX_GROUP_INPUT_LENGTH);
  const e = refusal(long);
  assert.match(e.message, /characters long; the limit is 20,000/);
  assert.equal(e.line, undefined);
});

Deno.test("empty input and the command name in examples", () => {
  assert.match(refusal("").message, /nothing to add/);
  assert.match(refusal("  \n ").message, /nothing to add/);
  const e = refusal("x", { command: "!add_private_group" });
  assert.match(e.message, /!add_private_group "Engineering" = /);
});

Deno.test("decideGroupInput: each refusal is a typed outcome with its place, worded separately", () => {
  const decided = (input: string) => {
    const r = decideGroupInput(input, MAX_GROUP_INPUT_LENGTH);
    if (r.ok) return "ok";
    const refusal = r.error.refusal;
    if (!("at" in refusal) || refusal.at === undefined) return refusal;
    return { ...refusal, at: { line: refusal.at.line, column: refusal.at.column } };
  };
  assert.deepEqual(decided("  "), { kind: "empty" });
  assert.deepEqual(decided("[groups]"), { kind: "section_header", at: { line: 1, column: 1 } });
  assert.deepEqual(decided(`g = ["${A}"]\nG = ["${B}"]`), {
    kind: "repeated_name",
    name: "G",
    previous: { name: "g", line: 1 },
    at: { line: 2, column: 1 },
  });
  assert.deepEqual(decided(`g = ["${A}", "no pe"]`), {
    kind: "bad_ids",
    name: "g",
    bad: [{ id: "no pe", problem: mattermostIdProblem("no pe")! }],
    at: { line: 1, column: 36 },
  });
  assert.equal(decided(`g = ["${A}"]`), "ok");
  const r = decideGroupInput("[groups]", MAX_GROUP_INPUT_LENGTH);
  assert.ok(!r.ok);
  const problem = groupInputProblem(r.error, "!add_group");
  assert.deepEqual([problem.line, problem.column], [1, 1]);
  assert.match(problem.message, /^Line 1, column 1: section headers like \[groups\]/);
});

Deno.test("the table form on one line: rules checked as at startup", () => {
  const [g] = groups(`Board = { channels = ["${A}"], senders = ["@bob"], approvers = ["carol"] }`);
  assert.deepEqual(g, {
    name: "Board",
    channelIds: [A],
    rules: { senders: ["@bob"], approvers: ["carol"], approvals: 1 },
  });
  // Channels only: the short form, no rules kept.
  assert.deepEqual(groups(`Board = { channels = ["${A}"] }`), [{ name: "Board", channelIds: [A] }]);
  const refused = (input: string) => {
    const r = parseGroupInput(input);
    assert.ok(!r.ok);
    return r.error.message;
  };
  assert.match(refused(`Board = { channel = ["${A}"] }`), /unknown key "channel"/);
  assert.match(refused(`Board = { approvers = ["carol"] }`), /no channels = \[\.\.\.\]/);
  assert.match(
    refused(`Board = { channels = ["${A}"], approvers = ["carol"], approvals = 0 }`),
    /approvals must be a whole number from 1/,
  );
  assert.match(
    refused(`Board = { channels = ["${A}"], senders = ["carol"], approvers = ["carol"] }`),
    /leaves only 0 other approvers/,
  );
});
