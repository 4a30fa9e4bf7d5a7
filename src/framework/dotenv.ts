/**
 * A small `.env` parser. The bot reads `.env` at run time from its working directory (not with
 * `deno run --env-file`, which a compiled binary would freeze at build time, token included).
 *
 * @module
 */

import { fail, ok, type Problem, type Result } from "./result.ts";
import { excerpt } from "./text.ts";

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `KEY=value` lines. Supports `export KEY=value`, `#` comments, blank lines, single
 * quotes (literal), double quotes (with `\n`, `\t`, `\"`, `\\` escapes) and trailing comments
 * after unquoted values. The first line that cannot be understood is the problem
 * (`line 3: ...`).
 */
export function parseDotenv(text: string): Result<Record<string, string>, Problem> {
  const values: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const line = raw.startsWith("export ") ? raw.slice(7).trimStart() : raw;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      // The line is not quoted back: it may well be the token written the wrong way.
      return fail(
        `line ${i + 1}: ` +
          (eq === 0
            ? 'expected KEY=value, but the line starts with "=" (the variable name is missing)'
            : 'expected KEY=value, but the line has no "="'),
      );
    }
    const key = line.slice(0, eq).trim();
    if (!KEY.test(key)) {
      return fail(`line ${i + 1}: "${clip(key)}" is not a valid variable name`);
    }
    const value = parseValue(line.slice(eq + 1).trim());
    if (value === undefined) {
      return fail(`line ${i + 1}: unterminated quoted value for ${key}`);
    }
    values[key] = value;
  }
  return ok(values);
}

function parseValue(rest: string): string | undefined {
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    return end < 0 ? undefined : rest.slice(1, end);
  }
  if (rest.startsWith('"')) {
    let out = "";
    for (let i = 1; i < rest.length; i++) {
      const c = rest[i];
      if (c === '"') return out;
      if (c === "\\" && i + 1 < rest.length) {
        const n = rest[++i];
        out += n === "n" ? "\n" : n === "t" ? "\t" : n === "r" ? "\r" : n;
      } else {
        out += c;
      }
    }
    return undefined;
  }
  const hash = rest.search(/\s#/);
  return (hash >= 0 ? rest.slice(0, hash) : rest).trim();
}

function clip(s: string): string {
  return excerpt(s, 41);
}
