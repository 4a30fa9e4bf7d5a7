/**
 * Splits a byte stream into text lines without ever holding more than a bounded amount: a
 * line longer than the limit is cut there (and the rest of it dropped), so a task writing
 * gigabytes without a newline cannot grow the bot's memory.
 *
 * @module
 */

import { excerpt } from "@postbot/framework/text";

/** Turns chunks into complete lines, each at most `maxBytes` long (roughly; UTF-8 aware). */
export class LineSplitter {
  readonly #decoder = new TextDecoder();
  readonly #maxChars: number;
  #pending = "";
  #skipping = false;

  constructor(maxBytes: number) {
    this.#maxChars = maxBytes;
  }

  /** The lines completed by `chunk`. */
  push(chunk: Uint8Array): string[] {
    return this.#take(this.#decoder.decode(chunk, { stream: true }));
  }

  /** The last, unterminated line, if any. */
  end(): string[] {
    const rest = this.#take(this.#decoder.decode());
    if (this.#pending !== "" && !this.#skipping) rest.push(this.#pending);
    this.#pending = "";
    return rest;
  }

  #take(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    while (true) {
      const newline = text.indexOf("\n", start);
      if (!this.#skipping) {
        this.#pending += newline === -1 ? text.slice(start) : text.slice(start, newline);
        if (this.#pending.length > this.#maxChars) {
          lines.push(`${this.#pending.slice(0, this.#maxChars)}\u2026 (line cut)`);
          this.#pending = "";
          this.#skipping = true;
        }
      }
      if (newline === -1) return lines;
      if (!this.#skipping) lines.push(this.#pending.replace(/\r$/, ""));
      this.#pending = "";
      this.#skipping = false;
      start = newline + 1;
    }
  }
}

/**
 * What a reader cannot see or what rewrites the display: control characters (newlines,
 * terminal escapes; tab is kept), format characters (bidi overrides, zero-width marks), private
 * use, unassigned and default-ignorable code points, lone surrogates, line and paragraph
 * separators. The same class as the app's `visible()` (src/postbot/format.ts).
 */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Default_Ignorable_Code_Point}\u2028\u2029]/gu;

/** `c` as a `\u{...}` escape. */
function escaped(c: string): string {
  return `\\u{${c.codePointAt(0)!.toString(16)}}`;
}

/**
 * Text from a task made safe for one log line or message: every {@link UNSAFE} character
 * except tab is shown as a `\u{...}` escape, so the text cannot start a line of its own, hide
 * itself or rewrite the display.
 */
export function oneLine(text: string, max = 2_000): string {
  return excerpt(text, max + 1).replace(UNSAFE, (c) => c === "\t" ? c : escaped(c));
}

/**
 * Prose from a task (a description, an error) in a Markdown code span: one line (newlines and
 * backticks become spaces), bounded, invisible characters escaped. A code span can neither
 * mention anyone nor format the reply.
 */
export function inlineCode(text: string, max = 400): string {
  const line = text.replace(/[`\r\n]+/g, " ").trim();
  return "`" + oneLine(line, max) + "`";
}

/**
 * A name as written on disk or in a task's PERMISSIONS (a file name, a path, a permission
 * key), shown faithfully in one code span: everything {@link oneLine} escapes, and backticks
 * too, as `\u{...}`. The one rule for names in replies, alerts and log lines.
 */
export function shownName(name: string, max = 200): string {
  return "`" + oneLine(name, max).replaceAll("`", escaped("`")) + "`";
}
