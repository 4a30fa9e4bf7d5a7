import assert from "node:assert/strict";
import { A, B, C, SAMPLE_CHANNELS_TOML } from "./fixtures_test.ts";
import fc from "fast-check";
import { parse } from "smol-toml";
import {
  detectLineEnding,
  type EditableTable,
  insertIntoTable,
  positionAt,
  quoteTomlString,
  scanTomlLayout,
  TomlEditError,
} from "./toml_text.ts";

/** Sets an own property, even one named `__proto__`. */
function setOwn(o: object, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Plain-object copy of a value, for deepEqual (smol-toml's tables have a null prototype).
 * Not via JSON.parse: Deno 2.9.6's V8 can mis-parse escaped object keys
 * (`JSON.parse('{"c":1,"\\\\":1}')` then `JSON.parse('{"c":1,"\\n":1}')` yields key "\\").
 */
function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (typeof v !== "object" || v === null || v instanceof Date) return v;
  const o = {};
  for (const [k, x] of Object.entries(v)) setOwn(o, k, toPlain(x));
  return o;
}

/** The parsed text as plain objects. */
function plain(text: string): unknown {
  return toPlain(parse(text));
}

Deno.test("insertIntoTable appends after the table's last entry, nothing else changes", () => {
  const out = insertIntoTable(SAMPLE_CHANNELS_TOML, "groups", [["Sales", [A, B]]]);
  assert.equal(
    out,
    `# Channels anyone may target by name
whitelist = ["town-square", "announcements"]

[groups]            # public groups: listed to every user
"All offices" = ["${A}", "${B}"]   # ids are 26 lowercase alphanumerics
Engineering = ["${A}"]
"Sales" = ["${A}", "${B}"]

[private_groups]    # usable by name, never listed in the wizard
"Managers" = ["${C}"]

[aliases]           # lowercase alias -> group name or whitelisted channel name
all = "All offices"
`,
  );
});

Deno.test("insertIntoTable adds several entries, to the last table too", () => {
  const out = insertIntoTable(SAMPLE_CHANNELS_TOML, "aliases", [["eng", "Engineering"], [
    "mgr",
    "Managers",
  ]]);
  assert.equal(
    out,
    SAMPLE_CHANNELS_TOML + `"eng" = "Engineering"\n"mgr" = "Managers"\n`,
  );
  assert.equal(insertIntoTable(SAMPLE_CHANNELS_TOML, "aliases", []), SAMPLE_CHANNELS_TOML);
});

Deno.test("insertIntoTable keeps blank lines and comments that lead into the next header", () => {
  const text = `[groups]
a = ["${A}"]
# b = ["${A}"]  (disabled)
c = ["${A}"]

# --- private ---

[private_groups]
`;
  assert.equal(
    insertIntoTable(text, "groups", [["d", [B]]]),
    `[groups]
a = ["${A}"]
# b = ["${A}"]  (disabled)
c = ["${A}"]
"d" = ["${B}"]

# --- private ---

[private_groups]
`,
  );
  assert.equal(
    insertIntoTable(text, "private_groups", [["p", [B]]]),
    text + `"p" = ["${B}"]\n`,
  );
});

Deno.test("insertIntoTable puts entries right after the header of an empty table", () => {
  const text = `[groups] # none yet\n\n# comment\n[aliases]\n`;
  assert.equal(
    insertIntoTable(text, "groups", [["g", [A]]]),
    `[groups] # none yet\n"g" = ["${A}"]\n\n# comment\n[aliases]\n`,
  );
});

Deno.test("insertIntoTable creates a missing table at the end after a blank line", () => {
  assert.equal(
    insertIntoTable(`whitelist = ["x"]\n`, "groups", [["g", [A]]]),
    `whitelist = ["x"]\n\n[groups]\n"g" = ["${A}"]\n`,
  );
  // Already ends with a blank line: no second one.
  assert.equal(
    insertIntoTable(`whitelist = ["x"]\n\n`, "groups", [["g", [A]]]),
    `whitelist = ["x"]\n\n[groups]\n"g" = ["${A}"]\n`,
  );
  // No trailing newline.
  assert.equal(
    insertIntoTable(`whitelist = ["x"] # end`, "aliases", [["x", "x"]]),
    `whitelist = ["x"] # end\n\n[aliases]\n"x" = "x"\n`,
  );
  // Empty and comment-only files.
  assert.equal(insertIntoTable("", "groups", [["g", [A]]]), `[groups]\n"g" = ["${A}"]\n`);
  assert.equal(
    insertIntoTable("# nothing yet\n", "groups", [["g", [A]]]),
    `# nothing yet\n\n[groups]\n"g" = ["${A}"]\n`,
  );
});

Deno.test("insertIntoTable handles a last line without newline", () => {
  assert.equal(
    insertIntoTable(`[groups]\na = ["${A}"] # last`, "groups", [["b", [B]]]),
    `[groups]\na = ["${A}"] # last\n"b" = ["${B}"]\n`,
  );
  assert.equal(
    insertIntoTable(`[groups]`, "groups", [["b", [B]]]),
    `[groups]\n"b" = ["${B}"]\n`,
  );
});

Deno.test("insertIntoTable keeps CRLF line endings", () => {
  const text = `# c\r\n[groups]\r\na = [\r\n  "${A}",\r\n]\r\n\r\n[aliases]\r\nx = "a"\r\n`;
  const out = insertIntoTable(text, "groups", [["b", [B]]]);
  assert.equal(
    out,
    `# c\r\n[groups]\r\na = [\r\n  "${A}",\r\n]\r\n"b" = ["${B}"]\r\n\r\n[aliases]\r\nx = "a"\r\n`,
  );
  assert.equal(out.replaceAll("\r\n", "").includes("\n"), false, "no bare LF added");
  const created = insertIntoTable(`whitelist = []\r\n`, "private_groups", [["p", [A]]]);
  assert.equal(created, `whitelist = []\r\n\r\n[private_groups]\r\n"p" = ["${A}"]\r\n`);
  assert.equal(detectLineEnding(text), "\r\n");
  assert.equal(detectLineEnding("a = 1\n"), "\n");
  assert.equal(detectLineEnding(""), "\n");
});

Deno.test("insertIntoTable recognises quoted and spaced headers", () => {
  for (const header of ["[ groups ]", '["groups"]', "[ 'groups' ]", '[\t"groups"\t]']) {
    const text = `${header}\na = ["${A}"]\n\n[aliases]\n`;
    assert.equal(
      insertIntoTable(text, "groups", [["b", [B]]]),
      `${header}\na = ["${A}"]\n"b" = ["${B}"]\n\n[aliases]\n`,
      header,
    );
  }
  // Not the groups table: a sub-table, a different name.
  const other = `["groups.x"]\n[groupsx]\n`;
  assert.equal(
    insertIntoTable(other, "groups", [["b", [B]]]),
    `${other}\n[groups]\n"b" = ["${B}"]\n`,
  );
});

Deno.test("insertIntoTable is not fooled by brackets, quotes and # inside values", () => {
  const text = `[groups]
"a]#[x]" = [ # comment ] with bracket
  "${A}", # "quoted" ]
  # [aliases]
  "${B}"
]
'lit\\' = ["${A}"]
"esc\\"]" = ["${A}"]

[aliases]
n = """
[groups]
x = 1
"""
m = '''it''s'''
`;
  const out = insertIntoTable(text, "groups", [["new", [B]]]);
  const at = text.indexOf("\n\n[aliases]") + 1;
  assert.equal(out, text.slice(0, at) + `"new" = ["${B}"]\n` + text.slice(at));
  const parsed = parse(out) as { groups: Record<string, string[]> };
  assert.deepEqual(parsed.groups["new"], [B]);
  assert.equal(Object.keys(parsed.groups).length, 4);
});

Deno.test("insertIntoTable reuses the indentation of the table's entries", () => {
  const text = `[groups]\n  a = ["${A}"]\n`;
  assert.equal(
    insertIntoTable(text, "groups", [["b", [B]]]),
    `[groups]\n  a = ["${A}"]\n  "b" = ["${B}"]\n`,
  );
});

Deno.test("insertIntoTable writes long arrays one id per line", () => {
  const ids = [A, B, A.toUpperCase().toLowerCase().replace("a", "0"), "z".repeat(26)];
  const out = insertIntoTable("", "groups", [["Long group", ids]]);
  assert.equal(
    out,
    `[groups]\n"Long group" = [\n${ids.map((id) => `  "${id}",\n`).join("")}]\n`,
  );
  assert.deepEqual(plain(out), { groups: { "Long group": ids } });
});

Deno.test("insertIntoTable extends a table written as root dotted keys", () => {
  const text = `whitelist = []\ngroups.a = ["${A}"] # dotted\n\n[aliases]\n`;
  const out = insertIntoTable(text, "groups", [["b c", [B]]]);
  assert.equal(
    out,
    `whitelist = []\ngroups.a = ["${A}"] # dotted\ngroups."b c" = ["${B}"]\n\n[aliases]\n`,
  );
  assert.deepEqual(plain(out), {
    whitelist: [],
    groups: { a: [A], "b c": [B] },
    aliases: {},
  });
});

Deno.test("insertIntoTable refuses what it cannot extend in place", () => {
  assert.throws(
    () => insertIntoTable(`groups = { a = ["${A}"] }\n`, "groups", [["b", [B]]]),
    TomlEditError,
  );
  assert.throws(
    () => insertIntoTable(`[[groups]]\na = 1\n`, "groups", [["b", [B]]]),
    TomlEditError,
  );
  assert.throws(() => insertIntoTable(`[groups\n`, "groups", [["b", [B]]]), TomlEditError);
  assert.throws(() => insertIntoTable("", "groups", [["\ud800", [B]]]), TomlEditError);
});

Deno.test("quoteTomlString escapes what could end the string or the line", () => {
  assert.equal(quoteTomlString("plain"), '"plain"');
  assert.equal(quoteTomlString('a"b'), '"a\\"b"');
  assert.equal(quoteTomlString("a\\b"), '"a\\\\b"');
  assert.equal(quoteTomlString("a\nb\r\tc"), '"a\\nb\\r\\tc"');
  assert.equal(quoteTomlString("\0\x1b\x7f\x85"), '"\\u0000\\u001B\\u007F\\u0085"');
  assert.equal(quoteTomlString("\u2028\u202e\ufeff"), '"\\u2028\\u202E\\uFEFF"');
  assert.equal(quoteTomlString("Ünïcødé 👩‍💻 日本"), '"Ünïcødé 👩‍💻 日本"');
  assert.equal(quoteTomlString("#]['x'"), "\"#]['x'\"");
  assert.throws(() => quoteTomlString("\udc00"), TomlEditError);
});

Deno.test("hostile keys are inserted as exactly one key", () => {
  const base = `[groups]\na = ["${A}"]\n\n[aliases]\nx = "a"\n`;
  const hostile = [
    `a" = 1\n[x]`,
    `"] = ["${B}"]\n[aliases]\nevil = "`,
    "back\\slash\\",
    "]#[",
    `'single' "double"`,
    "line\r\nbreak",
    "\u0000nul",
    "a.b",
    "=",
    "__proto__",
    "constructor",
    "",
    " ",
    "\t",
    "😀".repeat(50),
  ];
  for (const key of hostile) {
    const out = insertIntoTable(base, "groups", [[key, [B]]]);
    assert.deepEqual(
      plain(out),
      { groups: { a: [A], [key]: [B] }, aliases: { x: "a" } },
      JSON.stringify(key),
    );
    const aliasOut = insertIntoTable(base, "aliases", [[key, key]]);
    assert.deepEqual(
      plain(aliasOut),
      { groups: { a: [A] }, aliases: { x: "a", [key]: key } },
      JSON.stringify(key),
    );
  }
});

Deno.test("scanTomlLayout finds statements, decoded keys and positions", () => {
  const text =
    `\ufeff# c\nwhitelist = ["a",\n  "b"]\n[ "gr\\u006fups" ]\n"x\\ty" . 'z' = 1979-05-27 07:32:00 # d\n[[arr]]\nk = {a = [1, "]"]}\n`;
  const layout = scanTomlLayout(text);
  assert.ok(layout);
  const [wl, groups, xy, arr, k] = layout.statements;
  assert.equal(layout.statements.length, 5);
  assert.ok(wl.kind === "keyValue");
  assert.deepEqual(wl.key, ["whitelist"]);
  assert.deepEqual(wl.table, []);
  assert.equal(wl.valueKind, "array");
  assert.deepEqual(wl.items.map((p) => [p.line, p.column]), [[2, 14], [3, 3]]);
  assert.deepEqual([wl.keyPos.line, wl.keyPos.column], [2, 1]);
  assert.ok(groups.kind === "header");
  assert.deepEqual(groups.path, ["groups"]);
  assert.ok(xy.kind === "keyValue");
  assert.deepEqual(xy.key, ["x\ty", "z"]);
  assert.deepEqual(xy.table, ["groups"]);
  assert.equal(xy.valueKind, "other");
  assert.equal(text.slice(xy.lineStart, xy.end), `"x\\ty" . 'z' = 1979-05-27 07:32:00 # d\n`);
  assert.ok(arr.kind === "header" && arr.arrayOfTables);
  assert.ok(k.kind === "keyValue" && k.tableIsArray && k.valueKind === "inlineTable");
  assert.equal(k.end, text.length);
});

Deno.test("scanTomlLayout gives up on text that is not TOML", () => {
  for (
    const bad of [
      "a = ",
      "[a",
      'a = "x',
      "a = [1, 2",
      "= 1",
      "a b = 1",
      "a = 1\rb = 2",
      'a = """x',
      "[a]]",
    ]
  ) {
    assert.equal(scanTomlLayout(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("positionAt counts lines at LF and columns from 1", () => {
  const text = "ab\r\ncd\nef";
  assert.deepEqual(positionAt(text, 0), { offset: 0, line: 1, column: 1 });
  assert.deepEqual(positionAt(text, 5), { offset: 5, line: 2, column: 2 });
  assert.deepEqual(positionAt(text, 8), { offset: 8, line: 3, column: 2 });
});

// Base documents for the property test: the layouts the insert must cope with.
const BASES: readonly string[] = [
  "",
  SAMPLE_CHANNELS_TOML,
  SAMPLE_CHANNELS_TOML.replaceAll("\n", "\r\n"),
  SAMPLE_CHANNELS_TOML.trimEnd(),
  `whitelist = ["a"] # no tables`,
  `[ groups ]\n"m" = [\n  "${A}", # one\n  "${B}",\n]\n# trailing comment\n\n[ 'private_groups' ]\n`,
  `groups.a = ["${A}"]\nprivate_groups.b = ["${B}"]\naliases.c = "a"`,
  `[aliases]\n\n[private_groups]\n\n[groups]`,
];

const idArb = fc.stringMatching(/^[a-z0-9]{26}$/);
const nameArb = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.constantFrom('"', "\\", "]", "#", "\n[x]\n", `a" = 1\n[x]`, "__proto__", "a.b"),
);

Deno.test("property: insert then parse gives old content plus exactly the new entry", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...BASES),
      fc.constantFrom<EditableTable>("groups", "private_groups", "aliases"),
      nameArb,
      fc.array(idArb, { minLength: 1, maxLength: 6 }),
      (base, table, name, ids) => {
        const before = plain(base) as Record<string, Record<string, unknown>>;
        fc.pre(!Object.hasOwn(before[table] ?? {}, name));
        const value = table === "aliases" ? name : ids;
        const out = insertIntoTable(base, table, [[name, value]]);
        const expected = plain(base) as Record<string, Record<string, unknown>>;
        expected[table] ??= {};
        setOwn(expected[table], name, value);
        assert.deepEqual(plain(out), expected);
        // Only an insertion: the original text is a prefix plus a suffix of the result.
        let head = 0;
        while (head < base.length && base[head] === out[head]) head++;
        assert.ok(out.endsWith(base.slice(head)), "the rest of the file is unchanged");
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("insertIntoTable writes a group with rules as a one-line inline table", () => {
  const text = '# mine\n[groups]\nA = ["x"] # kept\n';
  const out = insertIntoTable(text, "groups", [[
    "All staff",
    { inline: [["channels", ["town-square"]], ["approvers", ['ceo"']], ["approvals", 1]] },
  ]]);
  assert.equal(
    out,
    '# mine\n[groups]\nA = ["x"] # kept\n"All staff" = { channels = ["town-square"], ' +
      'approvers = ["ceo\\""], approvals = 1 }\n',
  );
  assert.deepEqual({ ...(parse(out) as { groups: Record<string, object> }).groups["All staff"] }, {
    channels: ["town-square"],
    approvers: ['ceo"'],
    approvals: 1,
  });
});
