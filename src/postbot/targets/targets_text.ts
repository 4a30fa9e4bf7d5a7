/**
 * Target resolution's outcomes in words (see {@link ./targets.ts}): each problem says what
 * to answer instead, each remark what the preview should warn about.
 *
 * @module
 */

import { unreachable } from "@postbot/framework";
import { auditTargetRefusal } from "../audit_channel.ts";
import { code, quote } from "../format.ts";
import type { PeopleProblem, TargetProblem, TargetRemark } from "./resolution.ts";
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
      return ["I need at least one group, alias, channel or person, separated by commas."];
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
    case "not_a_sender":
      return [
        `Only ${p.senders} may send to ${p.audience}. Ask one of them, or name other ` +
        "groups, channels or people.",
      ];
    case "nothing_postable":
      return [
        "None of those names leads to a channel I can post to or a person I can reach.",
        ...p.remarks.map(remarkText),
      ];
    default:
      return [peopleProblemText(p)];
  }
}

/** A problem with a name that leads to people. */
function peopleProblemText(p: PeopleProblem): string {
  switch (p.kind) {
    case "no_username":
      return `${shown(p.token)} names nobody: write the username after the @, like \`@alice\`.`;
    case "person_unknown": {
      const everyone = /^@(?:all|everyone|channel|here)$/i.test(p.token.trim())
        ? " To reach every person of the team, write `everyone` (administrators only)."
        : "";
      return `I don't know ${shown(p.token)} among the active people of this team.${everyone}`;
    }
    case "person_bot":
      return `${shown(p.token)} is a bot account; broadcasts go to people.`;
    case "everyone_admins_only":
      return "Only administrators may send to `everyone` (every person of the team). Name " +
        "groups, lists, channels or people instead.";
    case "members_of_what":
      return `${shown(p.token)}: members of which channel or group? Write it like ` +
        "`members of ~town-square` or `members of Engineering`.";
    case "members_unknown":
      return `${shown(p.token)}: I know no channel or group by that name that you can see.` +
        (p.ideas.length > 0 ? ` Did you mean ${p.ideas.map((i) => code(i)).join(", ")}?` : "");
    case "members_unreadable":
      return `${shown(p.token)}: I can't read who is in ` +
        (p.channel !== undefined ? `~${p.channel}` : "one of its channels") +
        " (I am not a member); add me with /invite, or name the people another way.";
    case "people_unavailable":
      return `I could not read the team's people from the server (${p.why}); try again in a ` +
        "moment.";
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
    case "list_unreachable":
      return `List ${quoteName(r.list)} names ${r.count} ${
        r.count === 1 ? "person who is" : "people who are"
      } not an active member of this team (deactivated, gone, or a bot); ${
        r.count === 1 ? "they" : "they"
      } will be skipped.`;
    case "no_members":
      return `${shown(r.token)} has no active people (bots aside) to send to.`;
    default:
      return unreachable(r);
  }
}
