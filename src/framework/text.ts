/**
 * Fitting text into Mattermost posts, whose message limit counts runes (code points), not
 * UTF-16 units, and quoting text in them without notifying anyone. No imports: the task
 * processes may use it too.
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
 * {@link runeLength} and {@link MAX_POST_RUNES}: the task sandbox gets its source as text.
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
