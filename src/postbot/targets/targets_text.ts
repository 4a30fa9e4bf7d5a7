/**
 * Target resolution's outcomes in words (see {@link ./targets.ts}): each problem says what
 * to answer instead, each remark what the preview should warn about.
 *
 * @module
 */

import { unreachable } from "@postbot/framework";
import { auditTargetRefusal } from "../audit_channel.ts";
import { code, quote } from "../format.ts";
import type { TargetProblem, TargetRemark } from "./resolution.ts";
import { hiddenChannelsText } from "../privacy.ts";

/** Channels named in the "I am not a member" warning before the rest is counted. */
const WARNED_NAMES = 10;

/** A token as echoed back: control characters (NUL, ESC...) would garble the reply. */
function shown(token: string): string {
  return code(token.replace(/\p{Cc}+/gu, " "));
}

/** A group name as echoed back: quoted, inert. */
function quoteName(name: string): string {
  return `"${quote(name, 100)}"`;
}

/** A problem as the lines the user reads (one, or more when remarks explain it). */
export function targetProblemText(p: TargetProblem): string[] {
  switch (p.kind) {
    case "answer_too_long":
      return [
        `That answer is ${p.length} characters long; I accept up to ${p.limit}. ` +
        "Name groups instead of many single channels.",
      ];
    case "no_names":
      return ["I need at least one group, alias or channel, separated by commas."];
    case "too_many_names":
      return [`That is ${p.count} names; I accept up to ${p.limit} in one answer.`];
    case "unknown":
      return [
        `I don't know ${shown(p.token)}.` +
        (p.ideas.length > 0 ? ` Did you mean ${p.ideas.map((i) => code(i)).join(", ")}?` : ""),
      ];
    case "alias_broken":
      return [
        `${shown(p.token)} is an alias for "${quote(p.alias, 100)}", which is no longer a ` +
        "group or whitelisted channel. Ask an administrator to fix channels.toml.",
      ];
    case "archived_by_name":
      return [`~${p.name} is archived, so nothing can be posted there.`];
    case "not_whitelisted":
      return [
        `~${p.name} is not on the whitelist, so I can't post there by name. Use a group, or ` +
        "ask an administrator to whitelist it.",
      ];
    default:
      return channelProblemText(p);
  }
}

/** The problems of a channel id, the audit channel, and an answer that leads nowhere. */
function channelProblemText(
  p: Exclude<
    TargetProblem,
    {
      kind:
        | "answer_too_long"
        | "no_names"
        | "too_many_names"
        | "unknown"
        | "alias_broken"
        | "archived_by_name"
        | "not_whitelisted";
    }
  >,
): string[] {
  switch (p.kind) {
    case "id_unseen":
      return [`${shown(p.token)} is not a channel I can see in this team.`];
    case "id_archived":
      return [`~${p.name} (${shown(p.token)}) is archived.`];
    case "bot_not_member":
      return [
        `I am not a member of ~${p.name} (${shown(p.token)}), so I can't post there. ` +
        "Add me with /invite, or choose another channel.",
      ];
    case "sender_not_member":
      return [
        `You are not a member of ~${p.name} (${shown(p.token)}), and it is neither ` +
        "whitelisted nor in a group, so I won't post there for you.",
      ];
    case "audit_channel":
      return [auditTargetRefusal(p.via.map(shown).join(", "))];
    case "nothing_postable":
      return [
        "None of those names leads to a channel I can post to.",
        ...p.remarks.map(remarkText),
      ];
    default:
      return unreachable(p);
  }
}

/** A remark as the preview shows it. */
export function remarkText(r: TargetRemark): string {
  switch (r.kind) {
    case "group_lists_unseen":
      return `Group ${quoteName(r.group)} lists \`${r.id}\`, a channel I can't see; it will ` +
        "be skipped.";
    case "group_channel_archived":
      return `~${r.name} in group ${quoteName(r.group)} is archived; it will be skipped.`;
    case "group_unseen":
      return `Group ${quoteName(r.group)} lists ${r.count} channel${
        r.count === 1 ? "" : "s"
      } I can't see; ${r.count === 1 ? "it" : "they"} will be skipped.`;
    case "group_hidden_archived":
      return `In group ${quoteName(r.group)}, ${hiddenChannelsText(r.count)} ${
        r.count === 1 ? "is" : "are"
      } archived and will be skipped.`;
    case "bot_not_in": {
      // One line however many: a group of 300 such channels must not bury the preview.
      const names = r.names.map((n) => `~${n}`);
      const shownNames = [
        names.slice(0, WARNED_NAMES).join(", ") +
        (names.length > WARNED_NAMES ? ` and ${names.length - WARNED_NAMES} more` : ""),
        r.hidden > 0 ? hiddenChannelsText(r.hidden) : "",
      ].filter((p) => p !== "").join(" and ");
      return `I am not a member of ${shownNames}; delivery there will fail unless I am added ` +
        "(/invite).";
    }
    case "list_behind":
      return "Some of these channels are newer than my channel list; send `!refresh_channels` " +
        "so that I know them by name too.";
    default:
      return unreachable(r);
  }
}
