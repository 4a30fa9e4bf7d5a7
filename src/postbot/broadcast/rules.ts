/**
 * The rules of the broadcast domain as pure decisions: who may act on which broadcast, and
 * whether a broadcast may be sent, undone, retried or edited now, and how a delivery run
 * ended. Each decision is a typed
 * outcome (a discriminated union); turning it into words is {@link ./rules_text.ts}'s job,
 * and gathering the facts (the log, the scheduled store, what is running) is
 * {@link BroadcastService}'s.
 *
 * @module
 */

import { MAX_POST_RUNES, runeLength } from "@postbot/framework/text";
import { channelWideMentions } from "@postbot/framework/mentions";
import type { ChannelMentionPolicy } from "../config.ts";
import { mayMentionChannels } from "./channel_mentions.ts";
import type { BroadcastRecord, DeliveryRecord, ScheduledBroadcast } from "./model.ts";

/** Most files Mattermost allows on one post. */
export const MAX_FILES = 10;

/** Who is asking: users act on their own broadcasts, administrators on anyone's. */
export interface Asker {
  readonly id: string;
  readonly username: string;
  readonly admin: boolean;
}

/** Whether `asker` may act on a broadcast sent (or scheduled) by `ownerId`. */
export function mayActOn(asker: Asker, ownerId: string): boolean {
  return ownerId === asker.id || asker.admin;
}

/** Whether something sent at `sentAt` is still inside a window of `seconds` at `now`. */
export function withinWindow(sentAt: number, seconds: number, now: number): boolean {
  return now - sentAt <= seconds * 1000;
}

/** True when a message shows nothing: only whitespace, control or invisible characters. */
export function isBlank(text: string): boolean {
  return text.replace(/[\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu, "") === "";
}

/** The broadcast a command named (`""` = the asker's latest), or why there is none. */
export type Lookup =
  | { readonly kind: "found"; readonly record: BroadcastRecord }
  /** No id given, and the asker has sent nothing yet. */
  | { readonly kind: "none_yet" }
  /** The text is not shaped like a broadcast id. */
  | { readonly kind: "not_an_id"; readonly raw: string }
  /** The asker's, but still scheduled: nothing has gone out. */
  | { readonly kind: "scheduled"; readonly scheduled: ScheduledBroadcast }
  /** No such broadcast, or not the asker's (the two read alike). */
  | { readonly kind: "unknown"; readonly id: string; readonly raw: string };

/** A {@link Lookup} that found nothing to act on. */
export type NotFound = Exclude<Lookup, { kind: "found" }>;

/** What `!undo` may do with the broadcast it found. */
export type UndoDecision =
  | NotFound
  | { readonly kind: "busy"; readonly id: string }
  | { readonly kind: "window_closed"; readonly record: BroadcastRecord }
  | { readonly kind: "nothing_delivered"; readonly id: string }
  /** Ask for confirmation: it is in these channels. */
  | {
    readonly kind: "ask";
    readonly record: BroadcastRecord;
    readonly delivered: readonly DeliveryRecord[];
  };

/** Decides `!undo` for a broadcast that was found. */
export function decideUndo(facts: {
  readonly record: BroadcastRecord;
  readonly deliveries: readonly DeliveryRecord[];
  readonly busy: boolean;
  readonly windowSeconds: number;
  readonly now: number;
}): UndoDecision {
  const { record } = facts;
  if (facts.busy || record.status === "pending") return { kind: "busy", id: record.id };
  if (!withinWindow(record.createdAt, facts.windowSeconds, facts.now)) {
    return { kind: "window_closed", record };
  }
  const delivered = facts.deliveries.filter((d) => d.status === "delivered");
  if (delivered.length === 0) return { kind: "nothing_delivered", id: record.id };
  return { kind: "ask", record, delivered };
}

/** What the `yes` to an undo question may do (it may come long after the question). */
export type UndoAtYes =
  | { readonly kind: "busy"; readonly id: string }
  | { readonly kind: "window_closed"; readonly record: BroadcastRecord }
  | { readonly kind: "unknown"; readonly id: string; readonly raw: string }
  | { readonly kind: "go" };

/** Decides the `yes` to an undo question: the window counts until now. */
export function decideUndoAtYes(facts: {
  readonly id: string;
  readonly record: BroadcastRecord | undefined;
  readonly busy: boolean;
  readonly windowSeconds: number;
  readonly now: number;
}): UndoAtYes {
  if (facts.busy) return { kind: "busy", id: facts.id };
  const { record } = facts;
  if (record === undefined) return { kind: "unknown", id: facts.id, raw: facts.id };
  if (!withinWindow(record.createdAt, facts.windowSeconds, facts.now)) {
    return { kind: "window_closed", record };
  }
  return { kind: "go" };
}

/** What `!retry` may do with the broadcast it found. */
export type RetryDecision =
  | NotFound
  | { readonly kind: "busy"; readonly id: string }
  /** Its posts were taken back on purpose: sending to the failed channels would leave it only there. */
  | { readonly kind: "undone"; readonly id: string }
  | { readonly kind: "retry"; readonly record: BroadcastRecord };

/** Decides `!retry` for a broadcast that was found (whether anything failed is the log's). */
export function decideRetry(facts: {
  readonly record: BroadcastRecord;
  readonly deliveries: readonly DeliveryRecord[];
  readonly busy: boolean;
}): RetryDecision {
  const { record } = facts;
  if (facts.busy || record.status === "pending") return { kind: "busy", id: record.id };
  if (facts.deliveries.some((d) => d.status === "deleted")) {
    return { kind: "undone", id: record.id };
  }
  return { kind: "retry", record };
}

/** The outcome of a retry the rules allowed. */
export type RetryOutcome =
  | Exclude<RetryDecision, { kind: "retry" }>
  | { readonly kind: "nothing_failed"; readonly id: string }
  | { readonly kind: "retrying"; readonly id: string; readonly channels: number };

/** What an edit applies to, or why it cannot be edited. */
export type EditDecision =
  | { readonly kind: "unknown"; readonly id: string; readonly raw: string }
  | { readonly kind: "scheduled_over"; readonly id: string; readonly status: string }
  | { readonly kind: "busy"; readonly id: string }
  | {
    readonly kind: "window_closed";
    readonly record: BroadcastRecord;
    readonly windowSeconds: number;
  }
  | { readonly kind: "in_no_channel"; readonly id: string }
  /** Still scheduled: the new text is what will go out. */
  | {
    readonly kind: "scheduled";
    readonly id: string;
    readonly message: string;
    readonly sender: string;
    /** The target answer, resolved again when it goes out. */
    readonly answer: string;
  }
  /** Sent: these posts are changed. */
  | {
    readonly kind: "sent";
    readonly record: BroadcastRecord;
    readonly posts: readonly DeliveryRecord[];
  };

/** An {@link EditDecision} that allows the edit. */
export type EditTarget = Extract<EditDecision, { kind: "scheduled" | "sent" }>;

/** Decides whether broadcast `id` can be edited now. */
export function decideEdit(facts: {
  readonly id: string;
  readonly scheduled: ScheduledBroadcast | undefined;
  readonly record: BroadcastRecord | undefined;
  readonly deliveries: readonly DeliveryRecord[];
  readonly busy: boolean;
  readonly windowSeconds: number;
  readonly now: number;
}): EditDecision {
  const { id, scheduled, record } = facts;
  if (scheduled?.status === "scheduled" || scheduled?.status === "awaiting_approval") {
    return {
      kind: "scheduled",
      id,
      message: scheduled.message,
      sender: scheduled.senderUsername,
      answer: scheduled.targetAnswer,
    };
  }
  if (record === undefined) {
    return scheduled === undefined
      ? { kind: "unknown", id, raw: id }
      : { kind: "scheduled_over", id, status: scheduled.status };
  }
  if (facts.busy || record.status === "pending") return { kind: "busy", id };
  if (!withinWindow(record.createdAt, facts.windowSeconds, facts.now)) {
    return { kind: "window_closed", record, windowSeconds: facts.windowSeconds };
  }
  const posts = facts.deliveries.filter((d) => d.status === "delivered" && d.postId !== null);
  if (posts.length === 0) return { kind: "in_no_channel", id };
  return { kind: "sent", record, posts };
}

/** How one delivery run ended. */
export type RunEnd =
  /** The files could not be downloaded: nothing was sent. */
  | { readonly kind: "no_files"; readonly reason: string }
  /** Shutdown stopped it before every channel was started. */
  | { readonly kind: "interrupted"; readonly notStarted: number }
  /** Every pending channel was tried. */
  | { readonly kind: "finished" }
  /** The sender may send nothing any more (or that could not be checked): nothing was sent. */
  | {
    readonly kind: "refused";
    /** Why, for the sender and the actor. */
    readonly reason: string;
    /** Why, for the audit channel: no server error text (it might name a channel). */
    readonly audited: string;
    readonly dmSender: boolean;
  };

/** How a run that got its files ended: `started` of `pending` channels were begun. */
export function runEnd(started: number, pending: number, shuttingDown: boolean): RunEnd {
  return shuttingDown && started < pending
    ? { kind: "interrupted", notStarted: pending - started }
    : { kind: "finished" };
}

/** Whether a message may start a broadcast, and if not, why. */
export type DraftDecision =
  | { readonly kind: "ok"; readonly posted: string }
  | { readonly kind: "blank" }
  | { readonly kind: "too_many_files"; readonly files: number }
  | { readonly kind: "too_long"; readonly runes: number; readonly withFooter: boolean }
  | {
    readonly kind: "mentions_refused";
    readonly mentions: readonly string[];
    readonly policy: ChannelMentionPolicy;
  };

/** Decides whether a DM may become a broadcast (send eligibility). */
export function decideDraft(draft: {
  readonly message: string;
  readonly fileCount: number;
  /** The message as it would be posted (with the sender line, if any). */
  readonly posted: string;
  readonly admin: boolean;
  readonly policy: ChannelMentionPolicy;
}): DraftDecision {
  if (isBlank(draft.message) && draft.fileCount === 0) return { kind: "blank" };
  if (draft.fileCount > MAX_FILES) return { kind: "too_many_files", files: draft.fileCount };
  const runes = runeLength(draft.posted);
  if (runes > MAX_POST_RUNES) {
    return { kind: "too_long", runes, withFooter: draft.posted !== draft.message };
  }
  return decideMentions(draft.posted, draft.admin, draft.policy) ??
    { kind: "ok", posted: draft.posted };
}

/** The refusal of channel-wide mentions a text carries, or undefined when it may go out. */
export function decideMentions(
  text: string,
  admin: boolean,
  policy: ChannelMentionPolicy,
): Extract<DraftDecision, { kind: "mentions_refused" }> | undefined {
  const mentions = channelWideMentions(text);
  if (mentions.length === 0 || mayMentionChannels(policy, admin)) return undefined;
  return { kind: "mentions_refused", mentions, policy };
}

/** The asker behind a message (its sender, and whether they are an administrator). */
export function askerOf(ctx: {
  readonly userId: string;
  readonly username: string;
  readonly isAdmin: boolean;
}): Asker {
  return { id: ctx.userId, username: ctx.username, admin: ctx.isAdmin };
}
