/**
 * Fitting text into Mattermost posts, whose message limit counts runes (code points), not
 * UTF-16 units.
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
  return runes.length <= max ? text : `${runes.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/**
 * Splits text into posts of at most `limit` runes, cutting at line breaks where possible and
 * never inside a line unless the line alone is too long.
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
