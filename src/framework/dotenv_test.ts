import assert from "node:assert/strict";
import { parseDotenv } from "./dotenv.ts";

function values(text: string): Record<string, string> {
  const result = parseDotenv(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

Deno.test("parseDotenv: plain assignments, comments, blank lines and export", () => {
  assert.deepEqual(
    values("# settings\n\nURL=chat.example.com\nexport TEAM_NAME=staff\n  LOG_LEVEL = DEBUG  \n"),
    { URL: "chat.example.com", TEAM_NAME: "staff", LOG_LEVEL: "DEBUG" },
  );
});

Deno.test("parseDotenv: values keep '=' and '#' that is not a comment", () => {
  assert.deepEqual(values("A=x=y\nB=val#ue\nC=value # a comment\nD=\n"), {
    A: "x=y",
    B: "val#ue",
    C: "value",
    D: "",
  });
});

Deno.test("parseDotenv: single quotes are literal, double quotes know escapes", () => {
  assert.deepEqual(
    values(`A='a "b" \\n # c'\nB="line1\\nline2\\t\\"q\\" \\\\ # not a comment"\nC="x" # comment`),
    { A: 'a "b" \\n # c', B: 'line1\nline2\t"q" \\ # not a comment', C: "x" },
  );
});

Deno.test("parseDotenv: CRLF line ends and a byte order mark are tolerated", () => {
  assert.deepEqual(values("\uFEFFURL=a\r\nTOKEN=b\r\n"), { URL: "a", TOKEN: "b" });
});

Deno.test("parseDotenv: a later assignment wins", () => {
  assert.deepEqual(values("A=1\nA=2\n"), { A: "2" });
});

Deno.test("parseDotenv: malformed lines are reported with their line number", () => {
  const cases: [string, number, RegExp][] = [
    ["A=1\njust words\n", 2, /expected KEY=value, but the line has no "="/],
    ["=value\n", 1, /the variable name is missing/],
    ["\n\n1ABC=x\n", 3, /"1ABC" is not a valid variable name/],
    ["MY-VAR=x\n", 1, /"MY-VAR" is not a valid variable name/],
    ['A="never closed\n', 1, /unterminated quoted value for A/],
    ["B='never closed\n", 1, /unterminated quoted value for B/],
  ];
  for (const [text, line, message] of cases) {
    const result = parseDotenv(text);
    assert.equal(result.ok, false, text);
    if (!result.ok) {
      assert.match(result.error.message, new RegExp(`^line ${line}: `), text);
      assert.match(result.error.message, message, text);
    }
  }
});

Deno.test("parseDotenv: a malformed line is not quoted back (it may hold the token)", () => {
  for (const text of ["TOKEN: s3cr3tvalue\n", "s3cr3tvalue\n", "export TOKEN s3cr3tvalue\n"]) {
    const result = parseDotenv(text);
    assert.equal(result.ok, false, text);
    if (!result.ok) assert.equal(result.error.message.includes("s3cr3tvalue"), false, text);
  }
});

Deno.test("parseDotenv: long invalid names are clipped in the message", () => {
  const result = parseDotenv(`${"x-".repeat(250)}=1\n`);
  assert.equal(result.ok, false);
  if (!result.ok) assert.ok(result.error.message.length < 100, result.error.message);
});
