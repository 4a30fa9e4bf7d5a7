/**
 * The broadcast's model: what a broadcast, its deliveries and a scheduled broadcast are, how
 * ids look, and the text as it is posted. Pure types and helpers, no I/O: persistence
 * (log.ts, scheduled/), the delivery engine, target resolution, the wizard and the commands
 * all import it, and it imports nothing of theirs.
 *
 * @module
 */

import type { Attribution } from "../config.ts";

/** A file of the original DM. `id` is the DM's file id (the source for re-downloads). */
export interface BroadcastFile {
  readonly id: string;
  readonly name: string;
  readonly size: number;
  readonly mimeType: string;
}

/** A recipient channel as it was resolved when the broadcast was confirmed. */
export interface BroadcastTarget {
  readonly channelId: string;
  readonly name: string;
  readonly displayName: string;
}

/** Where a delivery to one channel stands. */
export type DeliveryStatus = "pending" | "sending" | "delivered" | "failed" | "deleted";

/** One channel's delivery. */
export interface DeliveryRecord extends BroadcastTarget {
  readonly status: DeliveryStatus;
  readonly postId: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly updatedAt: number;
}

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
}

/** A broadcast with its per-status channel counts, for `!history`. */
export interface BroadcastSummary extends BroadcastRecord {
  readonly channels: number;
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
}

/** Where a scheduled broadcast stands. */
export type ScheduledStatus = "scheduled" | "sent" | "cancelled" | "failed";

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
  /** Channels the answer reached at confirmation (re-resolved when it goes out). */
  readonly channels: number;
  readonly message: string;
  readonly files: readonly BroadcastFile[];
  readonly sourcePostId: string | null;
  readonly status: ScheduledStatus;
  readonly startedAt: number | null;
  readonly error: string | null;
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
