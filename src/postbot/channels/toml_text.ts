/**
 * Surgical edits of a hand-written TOML file.
 *
 * channels.toml is edited by people (comments, ordering, blank lines, alignment) and by the
 * bot (`!add_group`, `!add_alias`). smol-toml's `stringify` would rewrite the whole file and
 * drop every comment, so the bot never re-serialises the document: it finds where a table's
 * key/value lines end and inserts new lines there, leaving every other byte untouched.
 *
 * The layout scanner below understands just enough TOML (1.0, plus the 1.1 additions that
 * smol-toml accepts) to find statements, their keys and their extents. It is meant for text
 * that smol-toml already accepted; on anything else it gives up (returns `undefined`) rather
 * than guess. Callers re-parse the edited text with smol-toml before trusting it.
 *
 * @module
 */

/** A place in a TOML text: offset in UTF-16 code units, 1-based line and column (as smol-toml). */
export interface TomlPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A `[table]` or `[[array.of.tables]]` header line, as found by {@link scanTomlLayout}. */
export interface TomlHeaderLine {
  readonly kind: "header";
  /** Decoded key segments: `[ "a b".c ]` -> `["a b", "c"]`. */
  readonly path: readonly string[];
  readonly arrayOfTables: boolean;
  /** Offset of the first character of the line (before any indentation). */
  readonly lineStart: number;
  /** Offset just after the line's end-of-line, or the text length at end of file. */
  readonly end: number;
  /** Position of the opening `[`. */
  readonly pos: TomlPosition;
}

/** A `key = value` statement (the value may span several lines), as found by {@link scanTomlLayout}. */
export interface TomlKeyValueLine {
  readonly kind: "keyValue";
  /** Path of the table header this statement is under; `[]` for the root table. */
  readonly table: readonly string[];
  /** True when that header is an `[[array of tables]]` header. */
  readonly tableIsArray: boolean;
  /** Decoded key segments: `a."b.c" = 1` -> `["a", "b.c"]`. */
  readonly key: readonly string[];
  /** Leading spaces and tabs of the statement's first line. */
  readonly indent: string;
  readonly lineStart: number;
  /** Offset just after the end-of-line that ends the statement, or the text length at end of file. */
  readonly end: number;
  readonly keyPos: TomlPosition;
  readonly valuePos: TomlPosition;
  readonly valueKind: "array" | "inlineTable" | "string" | "other";
  /** For an array value: where each element starts. Empty otherwise. */
  readonly items: readonly TomlPosition[];
  /** For an inline table value (`groups = { A = [...] }`): its entries. Empty otherwise. */
  readonly entries: readonly TomlInlineEntry[];
}

/**
 * One `key = value` inside an inline table, with positions: errors in the inline form of a
 * table point at the entry at fault, as they do in the `[table]` form.
 */
export interface TomlInlineEntry {
  /** Decoded key segments, relative to the inline table. */
  readonly key: readonly string[];
  readonly keyPos: TomlPosition;
  readonly valuePos: TomlPosition;
  readonly valueKind: TomlKeyValueLine["valueKind"];
  /** For an array value: where each element starts. Empty otherwise. */
  readonly items: readonly TomlPosition[];
  /** For an inline table value: its entries. Empty otherwise. */
  readonly entries: readonly TomlInlineEntry[];
}

/** The statements of a TOML text in order, with positions: what surgical edits and error locations need. */
export interface TomlLayout {
  readonly statements: readonly (TomlHeaderLine | TomlKeyValueLine)[];
}

/**
 * Thrown by {@link insertIntoTable} when the edit cannot be made safely: the text is not TOML
 * the scanner understands, the table is written in a form that cannot be extended in place
 * (an inline table `groups = { ... }`, an array of tables), or a string cannot be encoded.
 * These are not user typing mistakes: the store turns them into an error that asks for a
 * hand edit.
 */
export class TomlEditError extends Error {
  /** Creates the error; `message` says what to change in the file. */
  constructor(message: string) {
    super(message);
    this.name = "TomlEditError";
  }
}

class ScanFailure extends Error {}

function fail(): never {
  throw new ScanFailure();
}

/** Maps offsets to 1-based line/column; lines break at `\n` (so `\r\n` too), like smol-toml. */
class LineIndex {
  readonly #starts: number[] = [0];
  constructor(text: string) {
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
      this.#starts.push(i + 1);
    }
  }
  at(offset: number): TomlPosition {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - this.#starts[lo] + 1 };
  }
}

/** Line and column (1-based, columns in UTF-16 code units like smol-toml's errors) of `offset` in `text`. */
export function positionAt(text: string, offset: number): TomlPosition {
  return new LineIndex(text).at(offset);
}

class Scanner {
  readonly s: string;
  p = 0;
  readonly lines: LineIndex;
  constructor(s: string) {
    this.s = s;
    this.lines = new LineIndex(s);
  }

  scan(): TomlLayout {
    const s = this.s;
    const statements: (TomlHeaderLine | TomlKeyValueLine)[] = [];
    let table: readonly string[] = [];
    let tableIsArray = false;
    if (s.charCodeAt(0) === 0xfeff) this.p = 1;
    while (true) {
      this.skipSpaces();
      if (this.p >= s.length) break;
      const c = s[this.p];
      if (c === "\n") {
        this.p++;
        continue;
      }
      if (c === "\r") {
        if (s[this.p + 1] !== "\n") fail();
        this.p += 2;
        continue;
      }
      if (c === "#") {
        this.skipComment();
        continue;
      }
      const lineStart = s.lastIndexOf("\n", this.p - 1) + 1;
      const start = this.p;
      if (c === "[") {
        const arrayOfTables = s[this.p + 1] === "[";
        this.p += arrayOfTables ? 2 : 1;
        const path = this.key("]");
        if (arrayOfTables) {
          if (s[this.p] !== "]") fail();
          this.p++;
        }
        const end = this.endOfLine();
        statements.push({
          kind: "header",
          path,
          arrayOfTables,
          lineStart,
          end,
          pos: this.lines.at(start),
        });
        table = path;
        tableIsArray = arrayOfTables;
      } else {
        const key = this.key("=");
        this.skipSpaces();
        const valueStart = this.p;
        const items: TomlPosition[] = [];
        const entries: TomlInlineEntry[] = [];
        const valueKind = this.value(items, entries);
        const end = this.endOfLine();
        statements.push({
          kind: "keyValue",
          table,
          tableIsArray,
          key,
          indent: s.slice(lineStart, start),
          lineStart,
          end,
          keyPos: this.lines.at(start),
          valuePos: this.lines.at(valueStart),
          valueKind,
          items,
          entries,
        });
      }
    }
    return { statements };
  }

  skipSpaces(): void {
    while (this.s[this.p] === " " || this.s[this.p] === "\t") this.p++;
  }

  skipComment(): void {
    while (this.p < this.s.length && this.s[this.p] !== "\n" && this.s[this.p] !== "\r") this.p++;
  }

  /** Spaces, newlines and comments (inside arrays and inline tables). */
  skipVoid(): void {
    while (this.p < this.s.length) {
      const c = this.s[this.p];
      if (c === " " || c === "\t" || c === "\n") this.p++;
      else if (c === "\r" && this.s[this.p + 1] === "\n") this.p += 2;
      else if (c === "#") this.skipComment();
      else break;
    }
  }

  /** After a statement: optional spaces and comment, then an end-of-line or end of file. */
  endOfLine(): number {
    this.skipSpaces();
    if (this.s[this.p] === "#") this.skipComment();
    if (this.p >= this.s.length) return this.p;
    if (this.s[this.p] === "\n") return ++this.p;
    if (this.s[this.p] === "\r" && this.s[this.p + 1] === "\n") return this.p += 2;
    fail();
  }

  key(end: string): string[] {
    const segments: string[] = [];
    while (true) {
      this.skipSpaces();
      const c = this.s[this.p];
      if (c === '"' || c === "'") {
        if (this.s.startsWith(c.repeat(3), this.p)) fail();
        const from = this.p;
        this.string();
        const raw = this.s.slice(from + 1, this.p - 1);
        segments.push(c === "'" ? raw : decodeBasicString(raw));
      } else {
        const from = this.p;
        while (this.p < this.s.length && /[A-Za-z0-9_-]/.test(this.s[this.p])) this.p++;
        if (this.p === from) fail();
        segments.push(this.s.slice(from, this.p));
      }
      this.skipSpaces();
      if (this.s[this.p] === ".") {
        this.p++;
        continue;
      }
      if (this.s[this.p] === end) {
        this.p++;
        return segments;
      }
      fail();
    }
  }

  /** Scans one value; records an array's item positions and an inline table's entries. */
  value(items?: TomlPosition[], entries?: TomlInlineEntry[]): TomlKeyValueLine["valueKind"] {
    const c = this.s[this.p];
    if (c === "[") {
      this.p++;
      this.sequence("]", () => {
        items?.push(this.lines.at(this.p));
        this.value();
      });
      return "array";
    }
    if (c === "{") {
      this.p++;
      this.sequence("}", () => {
        const entry = this.inlineEntry();
        entries?.push(entry);
      });
      return "inlineTable";
    }
    if (c === '"' || c === "'") {
      this.string();
      return "string";
    }
    // Numbers, booleans, dates (which may contain a space), inf, nan.
    const from = this.p;
    while (this.p < this.s.length && !"\n\r#,]}".includes(this.s[this.p])) this.p++;
    while (this.p > from && (this.s[this.p - 1] === " " || this.s[this.p - 1] === "\t")) this.p--;
    if (this.p === from) fail();
    return "other";
  }

  /** One `key = value` of an inline table, at its key. */
  inlineEntry(): TomlInlineEntry {
    const keyPos = this.lines.at(this.p);
    const key = this.key("=");
    this.skipVoid();
    const valuePos = this.lines.at(this.p);
    const items: TomlPosition[] = [];
    const entries: TomlInlineEntry[] = [];
    const valueKind = this.value(items, entries);
    return { key, keyPos, valuePos, valueKind, items, entries };
  }

  /** After `[` or `{`: comma-separated items up to `close`, a trailing comma allowed. */
  sequence(close: "]" | "}", item: () => void): void {
    while (true) {
      this.skipVoid();
      if (this.s[this.p] === close) {
        this.p++;
        return;
      }
      if (this.p >= this.s.length) fail();
      item();
      this.skipVoid();
      if (this.s[this.p] === ",") this.p++;
      else if (this.s[this.p] === close) {
        this.p++;
        return;
      } else fail();
    }
  }

  string(): void {
    const s = this.s;
    const q = s[this.p];
    const basic = q === '"';
    if (s.startsWith(q.repeat(3), this.p)) {
      this.p += 3;
      while (this.p < s.length) {
        if (basic && s[this.p] === "\\") {
          this.p += 2;
          continue;
        }
        if (s.startsWith(q.repeat(3), this.p)) {
          // Up to two quotes may end the content just before the closing delimiter.
          if (s[this.p + 3] === q) this.p++;
          if (s[this.p + 3] === q) this.p++;
          this.p += 3;
          return;
        }
        this.p++;
      }
      fail();
    }
    this.p++;
    while (this.p < s.length) {
      const c = s[this.p];
      if (c === "\n" || c === "\r") fail();
      if (basic && c === "\\") {
        this.p += 2;
        continue;
      }
      this.p++;
      if (c === q) return;
    }
    fail();
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  b: "\b",
  t: "\t",
  n: "\n",
  f: "\f",
  r: "\r",
  e: "\x1b",
  '"': '"',
  "\\": "\\",
};

function decodeBasicString(raw: string): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = raw[++i];
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      continue;
    }
    const len = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    const hex = raw.slice(i + 1, i + 1 + len);
    if (len === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) fail();
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) fail();
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/**
 * Finds the statements of a TOML text with their positions, or returns `undefined` when the
 * text is not TOML this scanner understands. It does not check values (smol-toml does): it
 * exists so edits know where a table ends and errors can point at the line of a bad entry.
 */
export function scanTomlLayout(text: string): TomlLayout | undefined {
  try {
    return new Scanner(text).scan();
  } catch (e) {
    if (e instanceof ScanFailure) return undefined;
    throw e;
  }
}

/** The file's line ending: `"\r\n"` if its first line ends that way, else `"\n"`. Edits keep it. */
export function detectLineEnding(text: string): "\n" | "\r\n" {
  const i = text.indexOf("\n");
  return i > 0 && text[i - 1] === "\r" ? "\r\n" : "\n";
}

// Control characters (C0, DEL, C1), line/paragraph separators, bidi controls and the BOM are
// escaped even where TOML would allow them raw, so the file shows what it contains.
const ESCAPED = /["\\\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/gu;
const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\t": "\\t",
  "\n": "\\n",
  "\f": "\\f",
  "\r": "\\r",
};

/**
 * Encodes `s` as a TOML basic string (`"..."`), escaping quotes, backslashes and control
 * characters; any other Unicode is written as is. Used for every key and string the bot
 * writes, so no input can close the string early or start a new statement.
 * Throws {@link TomlEditError} for a string with a lone surrogate (not encodable in UTF-8).
 */
export function quoteTomlString(s: string): string {
  if (!s.isWellFormed()) {
    throw new TomlEditError(
      `cannot write ${JSON.stringify(s)}: it contains an unpaired UTF-16 surrogate`,
    );
  }
  return '"' + s.replace(ESCAPED, (c) =>
    SHORT_ESCAPES[c] ??
      "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")) +
    '"';
}

/** Tables {@link insertIntoTable} can add to. */
export type EditableTable = "groups" | "private_groups" | "lists" | "aliases";

/** Arrays longer than this (as one line, with indentation and key) are written one item per line. */
const MAX_LINE = 100;

/**
 * An inline table to write on one line (TOML wants it so): `{ channels = [...], approvals =
 * 1 }`, the keys in the order given (bare keys of letters only).
 */
export interface InlineTable {
  readonly inline: ReadonlyArray<readonly [key: string, value: readonly string[] | number]>;
}

/** A value {@link insertIntoTable} writes: a string, a list of strings, or an inline table. */
export type TomlEntryValue = readonly string[] | string | InlineTable;

function formatValue(
  value: TomlEntryValue,
  lead: string,
  indent: string,
  eol: string,
): string {
  if (typeof value === "string") return quoteTomlString(value);
  if ("inline" in value) {
    const fields = value.inline.map(([k, v]) => {
      if (!/^[a-z]+$/.test(k)) throw new TomlEditError(`cannot write the key ${k}`);
      return `${k} = ${
        typeof v === "number" ? String(Math.trunc(v)) : `[${v.map(quoteTomlString).join(", ")}]`
      }`;
    });
    return `{ ${fields.join(", ")} }`;
  }
  const items = value.map(quoteTomlString);
  const oneLine = `[${items.join(", ")}]`;
  if (items.length <= 1 || lead.length + oneLine.length <= MAX_LINE) return oneLine;
  return "[" + eol + items.map((item) => `${indent}  ${item},`).join(eol) + eol + indent + "]";
}

function endsWithBlankLine(text: string): boolean {
  // `text` ends with an end-of-line; is the line before it empty (or only spaces)?
  const lines = text.split(/\r?\n/);
  return lines.length < 2 || lines[lines.length - 2].trim() === "";
}

/**
 * Returns `text` with `key = value` lines added to `[table]`, changing no other byte.
 *
 * The lines go right after the table's last key/value statement (so after a multi-line
 * array, and before the blank lines and comments that lead into the next header), or right
 * after the header when the table is empty. A missing table is created at the end of the
 * file, after a blank line. A table defined by root dotted keys (`groups.x = [...]`) gets
 * `groups."key" = ...` lines after the last of them. Keys are always written quoted and
 * strings fully escaped; the file's line ending (LF or CRLF) and the indentation of the
 * table's last entry are reused. A file without a final newline gets one before the insert.
 *
 * Duplicate keys are not checked here: the caller re-parses the result. Throws
 * {@link TomlEditError} when the text cannot be edited safely (see there).
 */
export function insertIntoTable(
  text: string,
  table: EditableTable,
  entries: ReadonlyArray<readonly [key: string, value: TomlEntryValue]>,
): string {
  if (entries.length === 0) return text;
  const layout = scanTomlLayout(text);
  if (layout === undefined) {
    throw new TomlEditError("the file is not valid TOML; fix it by hand first");
  }
  const eol = detectLineEnding(text);
  const render = (indent: string, prefix: string) =>
    entries.map(([key, value]) => {
      const lead = `${indent}${prefix}${quoteTomlString(key)} = `;
      return lead + formatValue(value, lead, indent, eol);
    }).join(eol) + eol;
  const insertAt = (at: number, block: string) => {
    const needsEol = at === text.length && text.length > 0 && !text.endsWith("\n");
    return text.slice(0, at) + (needsEol ? eol : "") + block + text.slice(at);
  };

  const header = layout.statements.find((st): st is TomlHeaderLine =>
    st.kind === "header" && st.path.length === 1 && st.path[0] === table
  );
  if (header !== undefined) {
    if (header.arrayOfTables) {
      throw new TomlEditError(
        `[[${table}]] is an array of tables; write it as a single [${table}] table`,
      );
    }
    const inTable = layout.statements.filter((st): st is TomlKeyValueLine =>
      st.kind === "keyValue" && !st.tableIsArray && st.table.length === 1 &&
      st.table[0] === table
    );
    const last = inTable.at(-1);
    return insertAt(last?.end ?? header.end, render(last?.indent ?? "", ""));
  }

  const rootDefs = layout.statements.filter((st): st is TomlKeyValueLine =>
    st.kind === "keyValue" && st.table.length === 0 && st.key[0] === table
  );
  if (rootDefs.some((st) => st.key.length === 1)) {
    throw new TomlEditError(
      `"${table}" is written as an inline value (${table} = \u2026); ` +
        `rewrite it as a [${table}] section with one entry per line`,
    );
  }
  const lastRoot = rootDefs.at(-1);
  if (lastRoot !== undefined) {
    return insertAt(lastRoot.end, render(lastRoot.indent, `${table}.`));
  }

  let sep = text.length > 0 && !text.endsWith("\n") ? eol : "";
  if (text.length > 0 && !endsWithBlankLine(text + sep)) sep += eol;
  return text + sep + `[${table}]` + eol + render("", "");
}
