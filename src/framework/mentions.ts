/**
 * When a Mattermost post notifies a whole channel (`@all`, `@channel`, `@here`), decided as the
 * server decides it and, for a guard, as any server could.
 *
 * The server splits a post's text into words at every character that is not a letter, a number
 * or one of `: . - _ @`, by the Unicode tables of the Go it was built with (15.0 since Go 1.21,
 * 13.0 before), after Markdown has decoded character references (`&#64;` is an `@`) and left out
 * code. A runtime with newer tables reads letters added since as letters; the server reads them
 * as separators, so `\u{105C0}@all` notifies everyone although a guard that trusts `\p{L}` sees a
 * word. {@link channelWideMentions} errs the other way: a character is part of a word only when
 * every table agrees it is a letter or number. (The emulator holds the server's own reading.)
 *
 * @module
 */

import { WORD_RANGES_UNICODE_13, WORD_RANGES_UNICODE_15 } from "./unicode_words.ts";

/** A mention that notifies every member of a channel (`@here`: those online). */
export type ChannelWideMention = "@all" | "@channel" | "@here";

/** A set of code points given as sorted, comma-separated base-36 ranges (`"1c-1l,4q"`). */
class CodePointRanges {
  readonly #bounds: Uint32Array;

  constructor(encoded: string) {
    const parts = encoded.split(",");
    this.#bounds = new Uint32Array(parts.length * 2);
    parts.forEach((part, i) => {
      const [lo, hi = lo] = part.split("-").map((n) => parseInt(n, 36));
      this.#bounds[2 * i] = lo;
      this.#bounds[2 * i + 1] = hi;
    });
  }

  has(cp: number): boolean {
    let lo = 0;
    let hi = this.#bounds.length / 2 - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cp < this.#bounds[2 * mid]) hi = mid - 1;
      else if (cp > this.#bounds[2 * mid + 1]) lo = mid + 1;
      else return true;
    }
    return false;
  }
}

let unicode15: CodePointRanges | undefined;
let unicode13: CodePointRanges | undefined;
const RUNTIME_WORD = /^[\p{L}\p{N}]$/u;

/** Whether every table a server or this runtime may hold calls `cp` a letter or number. */
function wordCharEverywhere(cp: number): boolean {
  unicode15 ??= new CodePointRanges(WORD_RANGES_UNICODE_15);
  unicode13 ??= new CodePointRanges(WORD_RANGES_UNICODE_13);
  return unicode15.has(cp) && unicode13.has(cp) && RUNTIME_WORD.test(String.fromCodePoint(cp));
}

/** The code point that ends just before UTF-16 index `at` (undefined at the start). */
function codePointBefore(text: string, at: number): number | undefined {
  if (at <= 0) return undefined;
  const low = text.charCodeAt(at - 1);
  if (low >= 0xdc00 && low <= 0xdfff && at >= 2) {
    const high = text.charCodeAt(at - 2);
    if (high >= 0xd800 && high <= 0xdbff) return text.codePointAt(at - 2);
  }
  return low;
}

const CANDIDATE = /@(all|channel|here)/gi;

/** Candidates in `text` whose neighbours are not word characters by `isWord`. */
function collect(text: string, isWord: (cp: number) => boolean, into: Set<string>): void {
  for (const m of text.matchAll(CANDIDATE)) {
    const before = codePointBefore(text, m.index);
    const after = text.codePointAt(m.index + m[0].length);
    if (before !== undefined && isWord(before)) continue;
    if (after !== undefined && isWord(after)) continue;
    into.add(`@${m[1].toLowerCase()}`);
  }
}

/**
 * The channel-wide mentions that any Mattermost server could read in `text`, lowercased, in
 * order of appearance: in the text as written and with its character references decoded; in
 * code too (to be safe); with a neighbour counted as part of the word only when every Unicode
 * table agrees. It may see a mention the server would not (`a_@all`, `:@all:`); never the other
 * way round.
 */
export function channelWideMentions(text: string): ChannelWideMention[] {
  const found = new Set<string>();
  collect(text, wordCharEverywhere, found);
  if (text.includes("&")) {
    // The server's Markdown joins a reference's character to the text before it and starts a
    // new run of text after it (`&#108;@al&#108;` reads `@all`): check that reading, and the
    // text with every reference decoded in place, to be safe.
    collect(decodeCharacterReferences(text, "\n"), wordCharEverywhere, found);
    collect(decodeCharacterReferences(text), wordCharEverywhere, found);
  }
  return [...found] as ChannelWideMention[];
}

const CHARACTER_REFERENCE = /&([^;&]*);/g;

/** What `&ref;` stands for, as the server's Markdown reads it (`""` when nothing). */
function characterReference(ref: string): string {
  const hex = /^#[xX]([0-9a-fA-F]{1,8})$/.exec(ref);
  const dec = hex ? null : /^#([0-9]{1,8})$/.exec(ref);
  if (hex || dec) {
    const n = hex ? parseInt(hex[1], 16) : parseInt(dec![1], 10);
    const valid = n > 0 && n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff);
    return valid ? String.fromCodePoint(n) : "\ufffd";
  }
  // Of the named references, only this one yields a character a mention is made of.
  return ref === "commat" ? "@" : "";
}

/**
 * `text` with the numeric character references (`&#64;`, `&#x40;`) and `&commat;` replaced by
 * what the server's Markdown reads them as, each followed by `after`; other named references
 * are left as written.
 */
export function decodeCharacterReferences(text: string, after = ""): string {
  if (!text.includes("&")) return text;
  return text.replace(CHARACTER_REFERENCE, (whole, ref: string) => {
    const decoded = characterReference(ref);
    return decoded === "" ? whole : decoded + after;
  });
}
