/**
 * What every step of the wizard works with: the few things it reads and calls
 * ({@link WizardDeps}) and the users' conversations. The {@link Wizard} builds it once and
 * hands it to each step.
 *
 * @module
 */

import {
  isChannelMember,
  type MessageContext,
  type RestTransport,
  type SessionStore,
} from "@postbot/framework";
import type { Editor } from "../broadcast/editor.ts";
import type { Approvals } from "../broadcast/approval/approvals.ts";
import type { Reminders } from "../broadcast/reminder_service.ts";
import type { SendLater } from "../broadcast/scheduled/send_later.ts";
import type { BroadcastService } from "../broadcast/service.ts";
import type { ChannelsStore } from "../channels/channels_file.ts";
import type { PostbotConfig } from "../config.ts";
import type { Notifier } from "../notifier.ts";
import type { ChannelPrivacy, Viewer } from "../privacy.ts";
import type { ChannelLookup, PeopleLookup } from "../targets/resolution.ts";
import type { Conversation } from "./conversation.ts";

/** The settings the wizard reads. */
export type WizardConfig = Pick<
  PostbotConfig,
  | "broadcastAttribution"
  | "broadcastChannelMentions"
  | "broadcastConfirmThreshold"
  | "botLogChannelId"
  | "sessionTtlSeconds"
>;

/** What the wizard reads and calls; nothing more. */
export interface WizardDeps {
  readonly config: WizardConfig;
  /** channels.toml as loaded now (groups, aliases, whitelist). */
  readonly channels: Pick<ChannelsStore, "config">;
  readonly cache: ChannelLookup;
  /** The team's people, for targets that are people; absent, no person can be named. */
  readonly people?: PeopleLookup;
  readonly privacy: Pick<ChannelPrivacy, "viewer">;
  /** File infos, member counts and memberships, read from the server. */
  readonly transport: RestTransport;
  /** The broadcast rules: sends, and the undo a `yes` confirms. */
  readonly broadcasts: Pick<BroadcastService, "send" | "undo" | "undoWindowSeconds">;
  readonly notifier: Pick<Notifier, "rememberDm" | "dm">;
  /** Approval of broadcasts to audiences with approvers; absent, such sends are refused. */
  readonly approvals?: Pick<Approvals, "submit">;
  /** Send later (`at ...` at the preview); absent, only yes/no are offered. */
  readonly later?: SendLater;
  /** `!edit`; absent, edits are refused. */
  readonly editor?: Pick<Editor, "check" | "apply">;
  /** Sends the reminders a `!remind` asked about; absent, reminders are refused. */
  readonly reminders?: Pick<Reminders, "send">;
  /** Command names and aliases (without `!`): typed bare with nothing open, they are hinted. */
  readonly commandNames?: () => ReadonlySet<string>;
}

/** What a step works with: the wizard's dependencies and one conversation per user. */
export interface WizardParts {
  readonly deps: WizardDeps;
  readonly sessions: SessionStore<Conversation>;
}

/** The sender's view of the channels, for one answer. */
export function viewerOf(deps: WizardDeps, ctx: MessageContext): Viewer {
  return deps.privacy.viewer(ctx.userId, ctx.isAdmin);
}

/** Whether the sender is a member of a channel (asked for raw channel ids). */
export function senderIsMember(
  deps: WizardDeps,
  ctx: MessageContext,
): (channelId: string) => Promise<boolean> {
  return (channelId) => isChannelMember(deps.transport, channelId, ctx.userId);
}
