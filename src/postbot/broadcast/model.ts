/**
 * The broadcast's model: what a broadcast, its deliveries and a scheduled broadcast are, how
 * ids look, and the text as it is posted. Pure types and helpers, no I/O: persistence
 * (log.ts, scheduled/), the delivery engine, target resolution, the wizard and the commands
 * all import it, and it imports nothing of theirs.
 *
 * @module
 */

import type { Attribution } from "../config.ts";
import type { BroadcastOptions } from "./options.ts";

/** A file of the original DM. `id` is the DM's file id (the source for re-downloads). */
export interface BroadcastFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly mimeType: string;
}

/** A recipient channel as it was resolved when the broadcast was confirmed. */
export interface ChannelTarget {
  readonly kind: "channel";
  readonly channelId: string;
  readonly name: string;
  readonly displayName: string;
}

/**
 * How a person came to be a recipient, which decides who may send to them again later
 * (authority.ts) and who may read their name (reports): named (`@alice`) and lists are open
 * to every sender; "members of" a channel follows that channel's visibility (a group's
 * channels are the operator's choice, like groups); `everyone` is for administrators only.
 */
export type PersonReach =
  | { readonly by: "name" }
  | { readonly by: "list"; readonly list: string }
  | {
    readonly by: "members";
    readonly channelId: string;
    readonly channelName: string;
    /** Set when reached as "members of" this group (the operator's choice). */
    readonly group?: string;
  }
  | { readonly by: "everyone" };

/** A person, reached in their direct message channel with the bot. */
export interface PersonTarget {
  readonly kind: "person";
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly reach: PersonReach;
}

/** A recipient: a channel, or a person (one DM each). */
export type BroadcastTarget = ChannelTarget | PersonTarget;

/** What names one recipient of a broadcast: a channel id or a user id, with its kind. */
export type TargetRef =
  | { readonly kind: "channel"; readonly channelId: string }
  | { readonly kind: "person"; readonly userId: string };

/** The one key of a recipient in maps and sets (`c:<channel id>`, `p:<user id>`). */
export function targetKey(t: TargetRef): string {
  return t.kind === "channel" ? `c:${t.channelId}` : `p:${t.userId}`;
}

/** The recipient a key names (see {@link targetKey}), or undefined when it is not one. */
export function parseTargetKey(key: string): TargetRef | undefined {
  const m = /^([cp]):([a-z0-9]{26})$/.exec(key);
  if (m === null) return undefined;
  return m[1] === "c" ? { kind: "channel", channelId: m[2] } : { kind: "person", userId: m[2] };
}

/** A recipient as a sentence names it: `~town-square`, `@alice`. */
export function targetLabel(t: BroadcastTarget): string {
  return t.kind === "channel" ? `~${t.name}` : `@${t.username}`;
}

/** The channel targets among `targets`. */
export function channelsOf<T extends BroadcastTarget>(
  targets: readonly T[],
): Extract<T, ChannelTarget>[] {
  return targets.filter((t): t is Extract<T, ChannelTarget> => t.kind === "channel");
}

/** The person targets among `targets`. */
export function peopleOf<T extends BroadcastTarget>(
  targets: readonly T[],
): Extract<T, PersonTarget>[] {
  return targets.filter((t): t is Extract<T, PersonTarget> => t.kind === "person");
}

/** "3 channels and 120 people", "1 channel", "2 people": recipients counted by kind. */
export function recipientsText(channels: number, people: number): string {
  const c = `${channels} channel${channels === 1 ? "" : "s"}`;
  const p = `${people} ${people === 1 ? "person" : "people"}`;
  if (people === 0) return c;
  return channels === 0 ? p : `${c} and ${p}`;
}

/** Where a delivery to one recipient stands. */
export type DeliveryStatus = "pending" | "sending" | "delivered" | "failed" | "deleted";

/** What is recorded of a delivery to one recipient. */
export interface DeliveryState {
  readonly status: DeliveryStatus;
  readonly postId: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly updatedAt: number;
}

/** A channel's delivery. */
export type ChannelDelivery = ChannelTarget & DeliveryState;

/** One recipient's delivery. */
export type DeliveryRecord = (ChannelTarget & DeliveryState) | (PersonTarget & DeliveryState);

/** Where a broadcast stands as a whole. */
export type BroadcastStatus = "pending" | "done" | "interrupted" | "aborted";

/** A broadcast as logged. */
export interface BroadcastRecord {
  readonly id: string;
  readonly senderId: string;
  readonly senderUsername: string;
  readonly createdAt: number;
  readonly finishedAt: number | null;
  readonly targetAnswer: string;
  readonly message: string;
  readonly files: readonly BroadcastFile[];
  readonly sourcePostId: string | null;
  readonly status: BroadcastStatus;
  readonly error: string | null;
  /** What the sender chose at the preview (absent: none, as before options existed). */
  readonly options?: BroadcastOptions;
}

/** A broadcast with its per-status recipient counts, for `!history`. */
export interface BroadcastSummary extends BroadcastRecord {
  /** Recipients of every kind. */
  readonly channels: number;
  /** The people among them. */
  readonly people: number;
  readonly delivered: number;
  readonly failed: number;
  readonly deleted: number;
}

/** Who asked for a broadcast (or an undo, retry or edit). */
export interface Actor {
  readonly id: string;
  readonly username: string;
}

/** A confirmed broadcast, ready to go out. */
export interface BroadcastRequest {
  readonly sender: Actor;
  readonly message: string;
  readonly files: readonly BroadcastFile[];
  readonly sourcePostId: string;
  readonly answer: string;
  readonly targets: readonly BroadcastTarget[];
  /** What the sender chose at the preview; absent: none. */
  readonly options?: BroadcastOptions;
}

/**
 * Where a scheduled broadcast stands. A broadcast that needs approval waits as
 * `awaiting_approval` until it is approved (`scheduled`: it goes out at its time, or now),
 * `rejected` or `expired`.
 */
export type ScheduledStatus =
  | "awaiting_approval"
  | "scheduled"
  | "sent"
  | "cancelled"
  | "failed"
  | "rejected"
  | "expired";

/** A person who may approve, as resolved at the sender's yes. */
export interface Approver {
  readonly id: string;
  readonly username: string;
}

/** One audience's approval: who may give it (never the sender), and how many must. */
export interface ApprovalRequirement {
  /** `group "All staff"`, `list "Night shift"`, `everyone`. */
  readonly audience: string;
  readonly approvers: readonly Approver[];
  readonly approvals: number;
}

/** What a broadcast that needs approval waits for. */
export interface ApprovalState {
  readonly requirements: readonly ApprovalRequirement[];
  /** Starts at 0; an edit of the awaiting broadcast starts the next (earlier decisions lapse). */
  readonly round: number;
  /** When the request lapses unanswered. */
  readonly expiresAt: number;
  /** Sent as soon as approved (the sender said yes), rather than at a time they chose. */
  readonly immediate: boolean;
}

/** A scheduled broadcast as stored. */
export interface ScheduledBroadcast {
  readonly id: string;
  readonly senderId: string;
  readonly senderUsername: string;
  readonly createdAt: number;
  readonly dueAt: number;
  /** The zone the sender's time was read in (shown back in that zone). */
  readonly zone: string;
  readonly targetAnswer: string;
  /** Recipients the answer reached at confirmation (re-resolved when it goes out). */
  readonly channels: number;
  readonly message: string;
  readonly files: readonly BroadcastFile[];
  readonly sourcePostId: string | null;
  readonly status: ScheduledStatus;
  readonly startedAt: number | null;
  readonly error: string | null;
  /** What the sender chose at the preview; it goes out with them. Absent: none. */
  readonly options?: BroadcastOptions;
  /** Present when the broadcast needed approval (kept after it was decided). */
  readonly approval?: ApprovalState;
}

/** What is stored when a broadcast is scheduled. */
export type NewScheduled = Omit<ScheduledBroadcast, "status" | "startedAt" | "error" | "createdAt">;

/** Broadcast ids as `!undo`, `!retry`, `!status`, `!edit` and `!cancel` accept them. */
export const BROADCAST_ID = /^[a-z0-9]{4,32}$/;

/** A new broadcast id: 8 characters, easy to type in `!undo` and `!retry`. */
export function newBroadcastId(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** The text as posted in the channels. */
export function postedMessage(message: string, attribution: Attribution, sender: string): string {
  if (attribution === "none") return message;
  const footer = `_Sent by @${sender} via postbot_`;
  return message.trim() === "" ? footer : `${message}\n\n${footer}`;
}
