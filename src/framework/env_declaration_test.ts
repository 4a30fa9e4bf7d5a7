import assert from "node:assert/strict";
import {
  choice,
  custom,
  describeVariables,
  formatVariables,
  integer,
  optionalInteger,
  readDeclared,
  redescribe,
  required,
  text,
  variableNames,
} from "./env_declaration.ts";
import { EnvReader } from "./env_reader.ts";
import { fail, ok } from "./result.ts";

const DECLARATION = {
  host: required("HOST", {
    expected: "a host name",
    parse: (v) => v.includes(" ") ? fail("must not contain spaces") : ok(v.toLowerCase()),
    fallback: "",
    doc: "where to connect",
  }),
  name: required("NAME", { expected: "who the bot is", doc: "the bot's name" }),
  greeting: text("GREETING", { default: "hello", doc: "what the bot says first" }),
  data: text("DATA_DIR", {
    default: "data",
    shownDefault: "data (next to the binary)",
    paths: ["read", "write"],
    doc: "where state lives",
  }),
  retries: integer("RETRIES", { default: 3, min: 0, max: 10, doc: "attempts per post" }),
  port: optionalInteger("PORT", { min: 1, max: 65_535, shownDefault: "empty = off", doc: "port" }),
  mode: choice("MODE", { choices: ["quiet", "loud"], default: "quiet", doc: "how chatty" }),
  words: custom("WORDS", {
    aliases: ["OLD_WORDS"],
    shownDefault: "none",
    read: (reader, names) => {
      const name = names.find((n) => reader.raw(n) !== undefined);
      return name === undefined ? [] : reader.list(name);
    },
    doc: "words to watch",
  }),
};

function read(values: Record<string, string>) {
  const reader = new EnvReader((name) => values[name]);
  return { config: readDeclared(reader, DECLARATION), problems: reader.problems };
}

Deno.test("readDeclared: defaults for every optional variable, typed by the declaration", () => {
  const { config, problems } = read({ HOST: "Chat.Example.COM", NAME: "bot" });
  assert.deepEqual(problems, []);
  assert.deepEqual(config, {
    host: "chat.example.com",
    name: "bot",
    greeting: "hello",
    data: "data",
    retries: 3,
    port: undefined,
    mode: "quiet",
    words: [],
  });
});

Deno.test("readDeclared: values are read, aliases are tried after the name", () => {
  const { config, problems } = read({
    HOST: "h",
    NAME: "n",
    GREETING: "hi",
    RETRIES: "10",
    PORT: "8080",
    MODE: "LOUD",
    OLD_WORDS: "a, b",
  });
  assert.deepEqual(problems, []);
  assert.equal(config.greeting, "hi");
  assert.equal(config.retries, 10);
  assert.equal(config.port, 8080);
  assert.equal(config.mode, "loud");
  assert.deepEqual(config.words, ["a", "b"]);
  assert.deepEqual(read({ HOST: "h", NAME: "n", WORDS: "x", OLD_WORDS: "y" }).config.words, ["x"]);
});

Deno.test("readDeclared: every problem at once, in declaration order, naming the variable", () => {
  const { problems } = read({ HOST: "a b", RETRIES: "11", PORT: "0", MODE: "shouty" });
  assert.deepEqual(problems.map((p) => p.variable), ["HOST", "NAME", "RETRIES", "PORT", "MODE"]);
  assert.equal(problems[0].message, "must not contain spaces");
  assert.equal(problems[1].message, "is required: who the bot is");
  assert.match(problems[2].message, /whole number from 0 to 10, got "11"/);
  assert.match(problems[4].message, /one of quiet, loud, got "shouty"/);
});

Deno.test("variableNames: every name and alias, what --allow-env must grant", () => {
  assert.deepEqual(variableNames(DECLARATION), [
    "HOST",
    "NAME",
    "GREETING",
    "DATA_DIR",
    "RETRIES",
    "PORT",
    "MODE",
    "WORDS",
    "OLD_WORDS",
  ]);
});

Deno.test("describeVariables: one row per variable with its shown default and meaning", () => {
  const rows = describeVariables(DECLARATION);
  assert.deepEqual(rows.map((r) => [r.variable, r.shownDefault]), [
    ["`HOST`", "— (required)"],
    ["`NAME`", "— (required)"],
    ["`GREETING`", "hello"],
    ["`DATA_DIR`", "data (next to the binary)"],
    ["`RETRIES`", "3"],
    ["`PORT`", "empty = off"],
    ["`MODE`", "quiet"],
    ["`WORDS` (or `OLD_WORDS`)", "none"],
  ]);
  assert.equal(rows[2].doc, "what the bot says first");
});

Deno.test("formatVariables: a plain-text list for --help, without markdown", () => {
  const help = formatVariables(DECLARATION);
  assert.match(help, /^ {2}HOST +— \(required\)\n {6}where to connect$/m);
  assert.match(help, /^ {2}WORDS \(or OLD_WORDS\) +none\n {6}words to watch$/m);
  assert.doesNotMatch(help, /`/);
});

Deno.test("redescribe: an app's words for some meanings, everything else as declared", () => {
  const app = redescribe(DECLARATION, { retries: "attempts per broadcast channel" });
  assert.equal(app.retries.doc, "attempts per broadcast channel");
  assert.equal(app.retries.shownDefault, "3");
  assert.equal(app.greeting, DECLARATION.greeting);
  assert.equal(DECLARATION.retries.doc, "attempts per post", "the original is unchanged");
  const reader = new EnvReader((name) => ({ RETRIES: "7" })[name]);
  assert.equal(readDeclared(reader, app).retries, 7);
});
