/**
 * Replies often quote what the user typed (a group name, a TOML line). Outside code, an
 * `@channel` or `@name` in such an echo would notify people; this defuses every mention
 * outside code spans and fenced blocks (where Mattermost never notifies) with a zero-width
 * space, so an echo reads the same but pings nobody.
 *
 * @module
 */

const CODE = /(`{3,})[\s\S]*?\1|`[^`\n]*`/g;

/** `text` with every `@mention` outside code made inert. */
export function defuseMentions(text: string): string {
  let out = "";
  let at = 0;
  for (const match of text.matchAll(CODE)) {
    out += defuse(text.slice(at, match.index)) + match[0];
    at = match.index + match[0].length;
  }
  return out + defuse(text.slice(at));
}

function defuse(plain: string): string {
  return plain.replace(/@(?=[\p{L}\p{N}_.-])/gu, "@\u200b");
}
