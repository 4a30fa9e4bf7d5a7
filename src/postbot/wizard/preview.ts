/**
 * The texts of the wizard: the question for targets and the preview before sending.
 *
 * @module
 */

import { defuseEveryMention, excerpt } from "@postbot/framework/text";
import { type ChannelsConfig, nameKey } from "../channels/parse.ts";
import { code, plural, quote, size } from "../format.ts";
import type { Draft } from "./conversation.ts";
import { hiddenChannelsText } from "../privacy.ts";
import type { ResolvedTarget } from "../targets/resolution.ts";

/** Channels listed by name in a preview before the rest is summarised. */
const LISTED = 60;

/**
 * Asks where the draft goes, listing public groups and aliases (never private groups), and
 * the whitelisted channels except `hidden` ones (private channels the sender is not in).
 */
export function targetQuestion(
  config: ChannelsConfig,
  draft: Draft,
  hidden: ReadonlySet<string> = new Set(),
): string {
  const whitelist = config.whitelist.filter((w) => !hidden.has(w));
  const lines = [
    `Where should I send this${
      draft.files.length > 0 ? ` (with ${plural(draft.files.length, "file")})` : ""
    }? Answer with groups, aliases or channels, separated by commas.`,
  ];
  if (config.groups.size > 0) {
    lines.push(
      "**Groups:** " +
        [...config.groups].map(([name, ids]) => `${quote(name, 100)} (${ids.length})`).join(", "),
    );
  }
  if (config.aliases.size > 0) {
    // Alias targets are matched ignoring case, like everything the user types.
    const publicTargets = new Set([...config.groups.keys(), ...whitelist].map(nameKey));
    const aliases = [...config.aliases].filter(([, target]) => publicTargets.has(nameKey(target)));
    if (aliases.length > 0) {
      lines.push(
        "**Aliases:** " + aliases.map(([a, t]) => `${code(a)} \u2192 ${quote(t, 60)}`).join(", "),
      );
    }
  }
  if (whitelist.length > 0) {
    lines.push("**Channels:** " + whitelist.map((w) => `~${quote(w, 64)}`).join(", "));
  }
  lines.push("Send `cancel` to stop; nothing is sent before you confirm.");
  return lines.join("\n");
}

/** The preview: recipients, files, the start of the message, and the question. */
export function previewText(
  draft: Draft,
  targets: readonly ResolvedTarget[],
  warnings: readonly string[],
  question = "Send it? Answer **yes** or **no**.",
  notice?: string,
): string {
  const shown = targets.filter((t) => !t.hidden);
  const hidden = targets.length - shown.length;
  const names = shown.slice(0, LISTED).map((t) => quote(t.displayName, 64));
  const more = [
    shown.length > LISTED ? `${shown.length - LISTED} more` : "",
    hidden > 0 ? hiddenChannelsText(hidden) : "",
  ].filter((m) => m !== "");
  const list = [names.join(", "), ...more].filter((m) => m !== "").join(", and ");
  const lines = [`**Ready to send to ${plural(targets.length, "channel")}:** ${list}`];
  if (notice !== undefined) lines.push(notice);
  if (draft.files.length > 0) {
    lines.push(
      "**Files:** " + draft.files.map((f) => `${quote(f.name, 80)} (${size(f.size)})`).join(", "),
    );
  }
  if (draft.message.trim() === "") {
    lines.push("**Message:** _(no text, files only)_");
  } else {
    const start = excerpt(draft.message, 300).split("\n").map((l) => `> ${defuseEveryMention(l)}`)
      .join("\n");
    lines.push("**Message:**", start);
  }
  for (const w of warnings) lines.push(`:warning: ${w}`);
  lines.push(question);
  return lines.join("\n");
}
