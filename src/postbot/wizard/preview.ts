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
import type { ResolvedPerson, ResolvedTarget } from "../targets/resolution.ts";
import { channelsOf, peopleOf, recipientsText } from "../broadcast/model.ts";
import { hiddenPeopleText } from "../broadcast/report.ts";

/** People named one by one in an answer to `who` before the rest are counted. */
const WHO_LISTED = 500;

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
    }? Answer with groups, aliases or channels, separated by commas; people too: ` +
    "`@alice`, a list, `members of ~channel`" + ".",
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
  if (config.lists.size > 0) {
    lines.push(
      "**Lists:** " +
        [...config.lists].map(([name, people]) => `${quote(name, 100)} (${people.length})`)
          .join(", "),
    );
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
  const channels = channelsOf(targets);
  const people = peopleOf(targets);
  const shown = channels.filter((t) => !t.hidden);
  const hidden = channels.length - shown.length;
  const names = shown.slice(0, LISTED).map((t) => quote(t.displayName, 64));
  const more = [
    shown.length > LISTED ? `${shown.length - LISTED} more` : "",
    hidden > 0 ? hiddenChannelsText(hidden) : "",
  ].filter((m) => m !== "");
  const list = [names.join(", "), ...more].filter((m) => m !== "").join(", and ");
  const lines = [
    `**Ready to send to ${recipientsText(channels.length, people.length)}:** ${list}`.trimEnd(),
  ];
  if (people.length > 0) lines.push(peopleLine(people));
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

/**
 * The people of a preview: those the sender named (`@alice`), then the others counted with
 * the names that reached them (a list, `members of ~channel`, `everyone`); names of those only
 * on request (`who`).
 */
function peopleLine(people: readonly ResolvedPerson[]): string {
  const named = people.filter((p) => p.named);
  const others = people.length - named.length;
  const sources = [...new Set(people.filter((p) => !p.named).flatMap((p) => p.via))];
  const parts = [
    ...named.slice(0, LISTED).map((p) => `@${p.username}`),
    named.length > LISTED ? `${named.length - LISTED} more named` : "",
    others > 0
      ? `${others} ${named.length > 0 ? "more " : ""}${others === 1 ? "person" : "people"} ` +
        `through ${sources.slice(0, 10).map((s) => quote(s, 60)).join(", ")}` +
        (sources.length > 10 ? ", \u2026" : "")
      : "",
  ].filter((p) => p !== "");
  return `**People (one direct message each):** ${parts.join(", ")}` +
    (others > 0 ? " \u2014 answer `who` to see their names." : "");
}

/** The answer to `who` at the preview: the people, by username, hidden ones counted. */
export function whoText(targets: readonly ResolvedTarget[], question: string): string {
  const people = peopleOf(targets);
  if (people.length === 0) return "This broadcast goes to no person, only to channels.";
  const shown = people.filter((p) => !p.hidden)
    .sort((a, b) => a.username.localeCompare(b.username));
  const hidden = people.length - shown.length;
  const names = shown.slice(0, WHO_LISTED).map((p) =>
    p.displayName !== p.username ? `@${p.username} (${quote(p.displayName, 64)})` : `@${p.username}`
  );
  if (shown.length > WHO_LISTED) names.push(`and ${shown.length - WHO_LISTED} more`);
  if (hidden > 0) names.push(hiddenPeopleText(hidden));
  return `**${plural(people.length, "person", "people")}** (one direct message each): ` +
    `${names.join(", ")}\n${question}`;
}
