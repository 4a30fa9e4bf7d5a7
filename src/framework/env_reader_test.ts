import assert from "node:assert/strict";
import { EnvReader, formatProblems } from "./env_reader.ts";

function reader(values: Record<string, string>): EnvReader {
  return new EnvReader((name) => values[name]);
}

Deno.test("EnvReader.raw: trimmed, and blank counts as unset", () => {
  const r = reader({ A: "  x  ", B: "   ", C: "" });
  assert.equal(r.raw("A"), "x");
  assert.equal(r.raw("B"), undefined);
  assert.equal(r.raw("C"), undefined);
  assert.equal(r.raw("D"), undefined);
  assert.deepEqual(r.problems, []);
});

Deno.test("EnvReader.required: records a problem naming what is expected", () => {
  const r = reader({ A: "here" });
  assert.equal(r.required("A", "something"), "here");
  assert.equal(r.required("B", "the team's URL name"), "");
  assert.deepEqual(r.problems, [{ variable: "B", message: "is required: the team's URL name" }]);
});

Deno.test("EnvReader.string: default when unset", () => {
  const r = reader({ A: "set" });
  assert.equal(r.string("A", "default"), "set");
  assert.equal(r.string("B", "default"), "default");
});

Deno.test("EnvReader.integer: bounds are inclusive; anything else is a problem", () => {
  const r = reader({
    LOW: "10",
    HIGH: "20",
    MID: " 15 ",
    NEG: "-1",
    DEC: "1.5",
    WORD: "ten",
    BIG: "21",
  });
  assert.equal(r.integer("LOW", 0, 10, 20), 10);
  assert.equal(r.integer("HIGH", 0, 10, 20), 20);
  assert.equal(r.integer("MID", 0, 10, 20), 15);
  assert.equal(r.integer("UNSET", 12, 10, 20), 12);
  assert.equal(r.problems.length, 0);
  for (const name of ["NEG", "DEC", "WORD", "BIG"]) assert.equal(r.integer(name, 12, 10, 20), 12);
  assert.deepEqual(r.problems.map((p) => p.variable), ["NEG", "DEC", "WORD", "BIG"]);
  assert.equal(r.problems[2].message, 'must be a whole number from 10 to 20, got "ten"');
});

Deno.test("EnvReader.optionalInteger: undefined when unset, checked when set", () => {
  const r = reader({ PORT: "8080", BAD: "0" });
  assert.equal(r.optionalInteger("PORT", 1, 65_535), 8080);
  assert.equal(r.optionalInteger("UNSET", 1, 65_535), undefined);
  r.optionalInteger("BAD", 1, 65_535);
  assert.deepEqual(r.problems.map((p) => p.variable), ["BAD"]);
});

Deno.test("EnvReader.choice: case-insensitive, returns the canonical spelling", () => {
  const r = reader({ A: "FOOTER", B: "sideways" });
  assert.equal(r.choice("A", ["none", "footer"], "none"), "footer");
  assert.equal(r.choice("UNSET", ["none", "footer"], "none"), "none");
  assert.equal(r.choice("B", ["none", "footer"], "none"), "none");
  assert.deepEqual(r.problems, [{
    variable: "B",
    message: 'must be one of none, footer, got "sideways"',
  }]);
});

Deno.test("EnvReader.list: comma separated, blanks dropped", () => {
  const r = reader({ A: " alice , ,bob,, carol ", B: "," });
  assert.deepEqual(r.list("A"), ["alice", "bob", "carol"]);
  assert.deepEqual(r.list("B"), []);
  assert.deepEqual(r.list("UNSET"), []);
});

Deno.test("formatProblems: one line per problem, count and the way to fix it", () => {
  const one = formatProblems([{ variable: "URL", message: "is required: the server" }], {
    app: "hellobot",
  });
  assert.match(
    one,
    /^hellobot cannot start: the configuration has 1 problem:\n {2}- URL is required: the server\n/,
  );
  assert.match(one, /Set them in \.env/);
  const two = formatProblems([
    { variable: "URL", message: "is required" },
    { variable: "TOKEN", message: "is required" },
  ], { app: "hellobot" });
  assert.match(two, /has 2 problems:\n {2}- URL is required\n {2}- TOKEN is required\n/);
});
