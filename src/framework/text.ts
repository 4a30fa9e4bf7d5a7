/**
 * Fitting text into Mattermost posts, whose message limit counts runes (code points), not
 * UTF-16 units, and quoting text in them without notifying anyone, hiding anything or breaking
 * out of a code span: the one place for those rules, used by the app and the task plugins
 * alike. No imports: a task's Worker gets some of these functions as source text.
 *
 * @module
 */

/** Mattermost's maximum message length, in runes. */
export const MAX_POST_RUNES = 16_383;

/** Number of runes (Unicode code points) in a string, as Mattermost counts them. */
export function runeLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The first `max` runes of `text`, with an ellipsis when it was cut. */
export function excerpt(text: string, max: number): string {
  const runes = Array.from(text);
  return runes.length <= max ? text : `${runes.slice(0, Math.max(0, max - 1)).join("")}\u2026`;
}

/**
 * Splits text into posts of at most `limit` runes, cutting at line breaks where possible and
 * never inside a line unless the line alone is too long. Self-contained but for
 * {@link runeLength} and {@link MAX_POST_RUNES}: a task's Worker gets its source as text.
 */
export function splitIntoPosts(text: string, limit: number = MAX_POST_RUNES): string[] {
  if (runeLength(text) <= limit) return [text];
  const posts: string[] = [];
  let current: string[] = [];
  let size = 0;
  const flush = () => {
    if (current.length > 0) posts.push(current.join("\n"));
    current = [];
    size = 0;
  };
  for (const line of text.split("\n")) {
    const runes = Array.from(line);
    if (runes.length > limit) {
      flush();
      for (let i = 0; i < runes.length; i += limit) posts.push(runes.slice(i, i + limit).join(""));
      continue;
    }
    const added = runes.length + (current.length > 0 ? 1 : 0);
    if (size + added > limit) flush();
    size += runes.length + (current.length > 0 ? 1 : 0);
    current.push(line);
  }
  flush();
  return posts;
}

/** An `@` that Mattermost would read as the start of a mention (`@name`, `@all`, `@a.b-c`). */
const MENTION = /@(?=[\p{L}\p{N}_.-])/gu;

/** Markdown code: fenced blocks and inline spans, where Mattermost never notifies anyone. */
const CODE = /(`{3,})[\s\S]*?\1|`[^`\n]*`/g;

/**
 * `text` with every `@mention` made inert by a zero-width space after the `@`: it reads the
 * same but notifies nobody. For text whose markdown is escaped or put in a code span by the
 * caller, and for quotes that must stay inert wherever they end up.
 */
export function defuseEveryMention(text: string): string {
  return text.replace(MENTION, "@\u200b");
}

/**
 * `text` with every `@mention` outside code spans and fenced blocks made inert (see
 * {@link defuseEveryMention}); code is left as written, since it notifies nobody anyway.
 * For replies that echo what the user typed (a group name, a TOML line).
 */
export function defuseMentions(text: string): string {
  let out = "";
  let at = 0;
  for (const match of text.matchAll(CODE)) {
    out += defuseEveryMention(text.slice(at, match.index)) + match[0];
    at = match.index + match[0].length;
  }
  return out + defuseEveryMention(text.slice(at));
}

/**
 * What a reader cannot see or what rewrites the display: control characters (newlines,
 * terminal escapes), format characters (bidi overrides, zero-width marks), private use,
 * unassigned and default-ignorable code points, lone surrogates, line and paragraph separators.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Default_Ignorable_Code_Point}\u2028\u2029]/gu;

/** `c` named as the reader is shown it: `<U+202E>`. */
function codePointName(c: string): string {
  return `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`;
}

/**
 * `text` with every {@link INVISIBLE} character shown by name (`<U+202E>`) instead of obeying
 * it, so an echo cannot reorder or hide text; tab, line feed and carriage return are kept (the
 * caller decides about lines). For text echoed in a reply, a quote or an error excerpt.
 */
export function visible(text: string): string {
  return text.replace(
    INVISIBLE,
    (c) => c === "\n" || c === "\r" || c === "\t" ? c : codePointName(c),
  );
}

/**
 * At most `max` runes of `text` (see {@link excerpt}) on one line: every {@link INVISIBLE}
 * character but tab, line breaks included, shown by name, so the text cannot start a line of
 * its own, hide itself or rewrite the display. For a log line or one line of a reply.
 */
export function oneLine(text: string, max = 2_000): string {
  return excerpt(text, max).replace(INVISIBLE, (c) => c === "\t" ? c : codePointName(c));
}

/**
 * Prose in one Markdown code span (an id, a task's description, an error): line breaks and
 * backticks become spaces, at most `max` runes, invisible characters shown (see
 * {@link oneLine}). A code span can neither mention anyone nor format the reply.
 */
export function inlineCode(text: string, max = 80): string {
  return "`" + oneLine(text.replace(/[`\r\n]+/g, " ").trim(), max) + "`";
}

/**
 * A name as written (a file name, a path, a permission key) in one code span, faithfully:
 * what {@link oneLine} shows by name, and backticks too (`<U+0060>`), so nothing is lost or
 * changed and nothing breaks out of the span. The one rule for names in replies, alerts and
 * log lines.
 */
export function shownName(name: string, max = 200): string {
  return "`" + oneLine(name, max).replaceAll("`", codePointName("`")) + "`";
}
