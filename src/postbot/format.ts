/**
 * Small helpers for writing replies in Mattermost markdown, so user-supplied text cannot
 * break the formatting of a reply (or ping @channel).
 *
 * @module
 */

import { defuseEveryMention, inlineCode, oneLine } from "@postbot/framework/text";
import type { CachedChannel } from "./channel_cache.ts";

/** A short code span for a reply (an id, a command, a name typed): {@link inlineCode}, 80 runes. */
export function code(text: string, max = 80): string {
  return inlineCode(text, max);
}

/**
 * Text quoted from the user outside code: one line of at most `max` runes, invisible characters
 * shown (see {@link oneLine}), markdown-active characters escaped, mentions defused.
 */
export function quote(text: string, max = 80): string {
  return defuseEveryMention(oneLine(text.replace(/[\r\n]+/g, " "), max))
    .replace(/([\\*_~`[\]()#>|])/g, "\\$1");
}

/** One line describing a channel: display name, ~name, id. */
export function channelLine(c: CachedChannel): string {
  const marks = [c.type === "P" ? "private" : "", c.archived ? "archived" : ""]
    .filter((m) => m !== "");
  return `- **${quote(c.displayName, 64)}** \u00b7 ~${c.name} \u00b7 \`${c.id}\`${
    marks.length > 0 ? ` (${marks.join(", ")})` : ""
  }`;
}

/** "1 channel" / "3 channels". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** A byte count for people: 1.2 MB, 830 KB, 12 bytes. */
export function size(bytes: number): string {
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  if (bytes >= 1_000) return `${Math.round(bytes / 1_000)} KB`;
  return plural(bytes, "byte");
}

/**
 * The end of a "saved to channels.toml" reply when the change could not be shared with the
 * other instances (`warning` from `ChannelsStore`'s share); empty when it was.
 */
export function sharingWarning(warning: string | undefined): string {
  return warning === undefined ? "" : `\n\n**Warning:** ${defuseEveryMention(warning)}`;
}
