/**
 * What target resolution reads and decides: its context (channels.toml, the channel list, the
 * sender's view), the channels an answer leads to, and the typed problems and remarks that
 * targets_text.ts words. Types only, so the deciding and the wording both import it.
 *
 * @module
 */

import type { ChannelCache } from "../channel_cache.ts";
import type { ChannelsConfig } from "../channels/parse.ts";
import type { Viewer } from "../privacy.ts";
import type { BroadcastTarget } from "../broadcast/model.ts";

/** A recipient channel and the tokens that selected it. */
export interface ResolvedTarget extends BroadcastTarget {
  readonly via: readonly string[];
  readonly botIsMember: boolean;
  readonly type: "O" | "P";
  /** A private channel the sender may not see named (reached through a private group). */
  readonly hidden?: boolean;
}

/** The recipients, plus remarks for the preview (skipped channels). */
export interface Resolution {
  readonly targets: readonly ResolvedTarget[];
  readonly warnings: readonly string[];
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
  | { readonly kind: "list_behind" };

/** The targets an answer leads to, with typed remarks (rendered by targets_text.ts). */
export interface TargetChoice {
  readonly targets: readonly ResolvedTarget[];
  readonly remarks: readonly TargetRemark[];
}
