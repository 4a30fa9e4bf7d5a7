/**
 * What target resolution reads and decides: its context (channels.toml, the channel list, the
 * team's people, the sender's view), the channels and people an answer leads to, and the typed
 * problems and remarks that targets_text.ts words. Types only, so the deciding and the wording
 * both import it.
 *
 * @module
 */

import type { ChannelCache } from "../channel_cache.ts";
import type { ChannelsConfig } from "../channels/parse.ts";
import type { Viewer } from "../privacy.ts";
import type { ChannelTarget, PersonTarget } from "../broadcast/model.ts";

/** A recipient channel and the tokens that selected it. */
export interface ResolvedChannel extends ChannelTarget {
  readonly via: readonly string[];
  readonly botIsMember: boolean;
  readonly type: "O" | "P";
  /** A private channel the sender may not see named (reached through a private group). */
  readonly hidden?: boolean;
}

/** A recipient person and the tokens that selected them. */
export interface ResolvedPerson extends PersonTarget {
  readonly via: readonly string[];
  /** Named by the sender (`@alice`): the preview names them. */
  readonly named: boolean;
  /** Reached only as a member of a private channel the sender may not see: never named. */
  readonly hidden?: boolean;
}

/** A recipient as resolved: a channel or a person. */
export type ResolvedTarget = ResolvedChannel | ResolvedPerson;

/** A person of the team as resolution reads them. */
export interface TeamPerson {
  readonly id: string;
  readonly username: string;
  /** Full name (or nickname), else the username. */
  readonly displayName: string;
  readonly isBot: boolean;
}

/** The team's people as resolution reads them (from the server, see targets/people.ts). */
export interface PeopleLookup {
  /** The active members of the team (bots flagged), by user id: one snapshot per call. */
  teamPeople(): Promise<ReadonlyMap<string, TeamPerson>>;
  /** The user ids of a channel's members (throws when the bot may not read them). */
  channelMemberIds(channelId: string): Promise<string[]>;
}

/** The recipients, plus remarks for the preview (skipped channels and people). */
export interface Resolution {
  readonly targets: readonly ResolvedTarget[];
  readonly warnings: readonly string[];
  /** `everyone` was named: the big-send guard applies whatever the threshold. */
  readonly everyone: boolean;
}

/** The channel list as resolution reads it (the {@link ChannelCache} in production). */
export type ChannelLookup = Pick<ChannelCache, "all" | "find" | "lookup" | "lookupByName">;

/** What resolution needs to know. */
export interface ResolveContext {
  readonly config: ChannelsConfig;
  readonly cache: ChannelLookup;
  /** Whether the sender is a member of a channel (for raw ids). */
  readonly senderIsMember: (channelId: string) => Promise<boolean>;
  /** The sender's view: which private channels may be named to them. */
  readonly viewer: Viewer;
  /** BOT_LOG_CHANNEL_ID ("" when none): never a target. */
  readonly auditChannelId: string;
  /** The team's people; absent, no person can be named (unit tests of channels). */
  readonly people?: PeopleLookup;
  /** The sender's username, for the `senders` of channels.toml (the viewer has their id). */
  readonly senderName?: string;
}

/** Something wrong with the answer or one of its names; each names what to do instead. */
export type TargetProblem =
  | { readonly kind: "answer_too_long"; readonly length: number; readonly limit: number }
  | { readonly kind: "no_names" }
  | { readonly kind: "too_many_names"; readonly count: number; readonly limit: number }
  /** Unknown, or a private channel the sender may not see (the two read alike). */
  | { readonly kind: "unknown"; readonly token: string; readonly ideas: readonly string[] }
  | { readonly kind: "alias_broken"; readonly token: string; readonly alias: string }
  | { readonly kind: "archived_by_name"; readonly name: string }
  | { readonly kind: "not_whitelisted"; readonly name: string }
  | { readonly kind: "id_unseen"; readonly token: string }
  | { readonly kind: "id_archived"; readonly token: string; readonly name: string }
  | { readonly kind: "bot_not_member"; readonly token: string; readonly name: string }
  | { readonly kind: "sender_not_member"; readonly token: string; readonly name: string }
  | { readonly kind: "audit_channel"; readonly via: readonly string[] }
  /** A group or list whose `senders` do not name the sender (nor are they an admin). */
  | { readonly kind: "not_a_sender"; readonly audience: string; readonly senders: string }
  | PeopleProblem
  /** Every name was fine, yet none leads to a channel (the remarks say why). */
  | { readonly kind: "nothing_postable"; readonly remarks: readonly TargetRemark[] };

/** A remark for the preview: what is skipped, or may fail. */
export type TargetRemark =
  /** To an admin: a group lists a channel the bot cannot see. */
  | { readonly kind: "group_lists_unseen"; readonly group: string; readonly id: string }
  | { readonly kind: "group_channel_archived"; readonly group: string; readonly name: string }
  /** To others: how many channels of a group the bot cannot see. */
  | { readonly kind: "group_unseen"; readonly group: string; readonly count: number }
  | { readonly kind: "group_hidden_archived"; readonly group: string; readonly count: number }
  | {
    readonly kind: "bot_not_in";
    readonly names: readonly string[];
    /** Private channels the sender may not see named. */
    readonly hidden: number;
  }
  /** Some channels were found by asking the server: the channel list is behind. */
  | { readonly kind: "list_behind" }
  /** People of a list who are not active members of the team (or are bots): skipped. */
  | { readonly kind: "list_unreachable"; readonly list: string; readonly count: number }
  /** "members of" a channel or group that has no active people (bots aside). */
  | { readonly kind: "no_members"; readonly token: string };

/** Something wrong with a name that leads to people. */
export type PeopleProblem =
  /** `@` with no username. */
  | { readonly kind: "no_username"; readonly token: string }
  /** No active person of the team has that username (or it is not one). */
  | { readonly kind: "person_unknown"; readonly token: string }
  | { readonly kind: "person_bot"; readonly token: string }
  | { readonly kind: "everyone_admins_only" }
  /** `members of` with nothing after it. */
  | { readonly kind: "members_of_what"; readonly token: string }
  /** `members of X`: no channel or group X the sender may see. */
  | { readonly kind: "members_unknown"; readonly token: string; readonly ideas: readonly string[] }
  /** The bot may not read the channel's members (not a member of it). */
  | { readonly kind: "members_unreadable"; readonly token: string; readonly channel?: string }
  /** The team's people (or a channel's members) could not be read from the server. */
  | { readonly kind: "people_unavailable"; readonly why: string };

/** The targets an answer leads to, with typed remarks (rendered by targets_text.ts). */
export interface TargetChoice {
  readonly targets: readonly ResolvedTarget[];
  readonly remarks: readonly TargetRemark[];
  /** `everyone` was named: the big-send guard applies whatever the threshold. */
  readonly everyone: boolean;
}
