/**
 * Whom a post notifies, as the server computes it: every other member of a DM; everyone for
 * `@all`/`@channel`, those online for `@here`, and `@username` outside code.
 *
 * Which channel-wide mentions (`@all`, `@channel`, `@here`) the server reads in a post: the
 * runs of text its Markdown yields, split into words at every character Go's Unicode 15.0 tables
 * do not call a letter or number (but `: . - _ @`), trimmed as `StandardMentionParser.ProcessText`
 * does. Pinned against a real server by tests/mention_corpus_test.ts.
 *
 * @module
 */

import { WORD_RANGES_UNICODE_15 } from "./unicode_words.ts";

/** A mention that notifies every member of a channel (`@here`: those online). */
export type ChannelWideMention = "@all" | "@channel" | "@here";

const WIDE = new Set<string>(["@all", "@channel", "@here"]);

let wordClass: RegExp | undefined;

/** Go's `unicode.IsLetter || unicode.IsNumber`, or one of the four marks words keep. */
function inWord(ch: string): boolean {
  wordClass ??= new RegExp(
    `^[:.\\-_@${
      WORD_RANGES_UNICODE_15.split(",").map((part) =>
        part.split("-").map((n) => `\\u{${parseInt(n, 36).toString(16)}}`).join("-")
      ).join("")
    }]$`,
    "u",
  );
  return wordClass.test(ch);
}

const FENCED = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[^\n]*$|(?![\s\S]))/gm;
const CODE_SPAN = /(`+)[\s\S]*?\1/g;
const ESCAPED = /\\([!-/:-@[-`{-~])/g;
const LINK_DESTINATION = /\]\([^)\s]*(?:\s+"[^"]*")?\)/g;
const REFERENCE = /&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,8}|commat);/g;

/** Lines of an indented code block (4 spaces or a tab, not continuing a paragraph), blanked. */
function withoutIndentedCode(text: string): string {
  let paragraph = false;
  return text.split("\n").map((line) => {
    if (line.trim() === "") {
      paragraph = false;
      return line;
    }
    if (!paragraph && /^(?: {4}|\t| {1,3}\t)/.test(line)) return "";
    paragraph = true;
    return line;
  }).join("\n");
}

/** What a numeric reference or `&commat;` stands for (U+FFFD when not a valid rune). */
function referenced(ref: string): string {
  if (ref === "commat") return "@";
  const n = /^#[xX]/.test(ref) ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
  return n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : "\ufffd";
}

/**
 * The runs of text the mention parser reads, joined by line breaks: Markdown leaves out fenced
 * and indented code, code spans and link destinations, and ends a run at a character reference
 * (decoded, and joined to the text before it) and before a backslash escape.
 */
function textRuns(message: string): string {
  return withoutIndentedCode(message.replace(FENCED, "\n"))
    .replace(CODE_SPAN, "\n")
    .replace(LINK_DESTINATION, "]\n")
    .replace(REFERENCE, (_, ref: string) => `${referenced(ref)}\n`)
    .replace(ESCAPED, "\n$1");
}

/** The channel-wide mentions the server reads in a post's message. */
export function serverChannelMentions(message: string): Set<ChannelWideMention> {
  const found = new Set<ChannelWideMention>();
  let word = "";
  for (const ch of textRuns(message) + " ") {
    if (inWord(ch)) {
      word += ch;
    } else if (word !== "") {
      processWord(word, found);
      word = "";
    }
  }
  return found;
}

/** One word of `ProcessText`, as far as channel-wide mentions go. */
function processWord(raw: string, found: Set<ChannelWideMention>): void {
  if (raw.startsWith(":") && raw.endsWith(":")) return; // read as an emoji
  const word = raw.replace(/^[:.\-_]+/, "");
  const check = (w: string) => {
    const lower = w.toLowerCase();
    if (WIDE.has(lower)) found.add(lower as ChannelWideMention);
    return WIDE.has(lower);
  };
  if (check(word)) return;
  for (let w = word; w !== "" && /[.\-:_]$/.test(w);) {
    w = w.slice(0, -1);
    if (check(w)) return;
  }
  if (!WIDE.has(word) && word.startsWith("@")) return;
  if (/[.\-:]/.test(word)) {
    for (const piece of word.split(/[.\-:]/)) if (piece !== "") check(piece);
  }
}

/** What {@link notifiedMembers} needs to know of a channel's members. */
export interface MentionLookups {
  /** A member's username (undefined when the user is unknown). */
  username(userId: string): string | undefined;
  /** Whether `@here` reaches the member. */
  isOnline(userId: string): boolean;
}

/**
 * The members a post notifies (what `posted` events carry as `mentions`): in a DM the other
 * member; elsewhere, like the server, code never notifies; @all and @channel notify every
 * member, @here those online, as its mention parser splits words (Unicode 15.0 letters and
 * `:.-_@`), and `@username` its owner. `others` are the channel's members but the poster.
 */
export function notifiedMembers(
  message: string,
  direct: boolean,
  others: readonly string[],
  lookups: MentionLookups,
): string[] {
  if (direct) return [...others];
  const wide = serverChannelMentions(message);
  if (wide.has("@all") || wide.has("@channel")) return [...others];
  const text = message.replace(/(`{3,})[\s\S]*?\1|`[^`\n]*`/g, " ");
  return others.filter((id) => {
    if (wide.has("@here") && lookups.isOnline(id)) return true;
    const name = lookups.username(id);
    if (name === undefined) return false;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\w.-])@${escaped}(?![\\w-])`, "i").test(text);
  });
}
