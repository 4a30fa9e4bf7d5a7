/**
 * `@postbot/framework/toml`: TOML syntax errors (from smol-toml) in words a non-programmer can
 * act on, with line and column, for every TOML a bot reads (its configuration files, TOML typed
 * into a DM), so each says "unterminated string" (where the string starts) instead of
 * smol-toml's "control characters are not allowed in strings" at the line break. A subpath:
 * only a bot that reads TOML loads smol-toml.
 *
 * @module
 */

import { TomlError } from "smol-toml";
import type { Problem } from "./result.ts";

/** A TOML syntax error in words a non-programmer can act on, with its place (1-based). */
export interface TomlSyntaxProblem extends Problem {
  readonly line: number;
  readonly column: number;
}

const FRIENDLY_TOML_ERRORS: ReadonlyArray<readonly [RegExp, string]> = [
  [/unfinished string/, 'unterminated string: this string is not closed; add the closing "'],
  [
    /trying to redefine an already defined/,
    "this name (or table) is already defined above; each may appear only once",
  ],
  [/expected comma or end of structure/, 'expected "," between items, or the closing bracket'],
  [/unfinished (array|table)/, "this bracket is never closed"],
  [
    /each key-value declaration must be followed by an end-of-line/,
    "expected the end of the line here: one `name = value` per line",
  ],
  [/incomplete key-value: cannot find end of key/, 'expected "=" after the name'],
  [
    /illegal character in key/,
    'this character cannot appear in an unquoted name; put the name in double quotes, like "My group"',
  ],
  [/unexpected end of key|illegal empty bare key/, "a name is missing here"],
  [/invalid value/, 'invalid value: text must be in double quotes, like "town-square"'],
  [/unrecognised escape sequence/, 'invalid escape after "\\": write a backslash as \\\\'],
];

/**
 * Turns a smol-toml `TomlError` into a {@link TomlSyntaxProblem}; `undefined` for any other
 * thrown value. smol-toml's own messages ("unfinished string", "illegal character in key")
 * are reworded, with the original kept in brackets.
 */
export function explainTomlError(e: unknown, text: string): TomlSyntaxProblem | undefined {
  if (!(e instanceof TomlError)) return undefined;
  const raw = e.message.replace(/^Invalid TOML document: /, "").split("\n\n")[0];
  let detail = FRIENDLY_TOML_ERRORS.find(([re]) => re.test(raw))?.[1];
  let column = e.column;
  if (/control characters are not allowed in strings/.test(raw)) {
    const lineText = text.split("\n")[e.line - 1] ?? "";
    const c = lineText[e.column - 1];
    if (c === undefined || c === "\r") {
      // smol-toml stops at the line break; the user's mistake is the quote never closed.
      const open = openingQuote(lineText);
      if (open !== undefined) column = open + 1;
      return {
        line: e.line,
        column,
        message: `unterminated string: the text starting with ${
          lineText[column - 1] ?? '"'
        } at column ${column} is not closed before the end of the line; add the closing ${
          lineText[column - 1] === "'" ? "'" : '"'
        } (a string cannot span lines, except between """)`,
      };
    }
    detail = "control characters are not allowed in strings; write them as escapes like \\t";
  }
  return {
    line: e.line,
    column,
    message: detail === undefined ? `invalid TOML: ${raw}` : `${detail} (TOML: ${raw})`,
  };
}

/** 0-based index of the quote that opens the string left unterminated on `line`. */
function openingQuote(line: string): number | undefined {
  let open: { at: number; quote: string } | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (open === undefined) {
      if (ch === "#") return undefined;
      if (ch === '"' || ch === "'") open = { at: i, quote: ch };
    } else if (ch === "\\" && open.quote === '"') {
      i++;
    } else if (ch === open.quote) {
      open = undefined;
    }
  }
  return open?.at;
}
