/**
 * Splits a byte stream into text lines without ever holding more than a bounded amount: a
 * line longer than the limit is cut there (and the rest of it dropped), so a task writing
 * gigabytes without a newline cannot grow the bot's memory.
 *
 * @module
 */

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
