/**
 * Small helpers for writing replies in Mattermost markdown, so user-supplied text cannot
 * break the formatting of a reply (or ping @channel).
 *
 * @module
 */

import { defuseEveryMention, excerpt } from "@postbot/framework/text";
import type { CachedChannel } from "./channel_cache.ts";

/**
 * User text with what a reader cannot see made visible: bidi overrides, zero-width and other
 * invisible or control characters become `<U+202E>`, so an echo cannot reorder or hide text.
 */
export function visible(text: string): string {
  return text.replace(
    /[\p{Cf}\p{Cc}\p{Co}\p{Cn}\p{Default_Ignorable_Code_Point}\u2028\u2029]/gu,
    (c) =>
      c === "\n" || c === "\r" || c === "\t"
        ? c
        : `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}>`,
  );
}

/** Text shown inside backticks: backticks and newlines removed, length bounded. */
export function code(text: string, max = 80): string {
  return "`" + excerpt(visible(text.replace(/[`\r\n]+/g, " ")), max) + "`";
}

/** Text quoted from the user: markdown-active characters escaped, mentions defused. */
export function quote(text: string, max = 80): string {
  return defuseEveryMention(excerpt(visible(text.replace(/[\r\n]+/g, " ")), max))
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
