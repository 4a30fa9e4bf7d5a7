import type { BroadcastRecord, ChannelDelivery, DeliveryStatus } from "./model.ts";
/**
 * A broadcast and its deliveries as the unit tests of reports and audit lines read them. A
 * `_test` module holding no tests itself, so test data stays out of the app's import graph.
 *
 * @module
 */

/** A broadcast with a mention, markdown and one file. */
export const RECORD: BroadcastRecord = {
  id: "k3m9x2qa",
  senderId: "u".repeat(26),
  senderUsername: "alice",
  createdAt: Date.UTC(2025, 2, 4, 9, 30),
  finishedAt: null,
  targetAnswer: "all",
  message: "Heads up @channel: the **office** closes early today.",
  files: [{ id: "f".repeat(26), name: "plan_[v2].pdf", size: 10, mimeType: "application/pdf" }],
  sourcePostId: null,
  status: "done",
  error: null,
};

/** A delivery to a channel named `name`. */
export function delivery(
  name: string,
  status: DeliveryStatus,
  error: string | null = null,
): ChannelDelivery {
  return {
    kind: "channel" as const,
    channelId: name.padEnd(26, "x").slice(0, 26),
    name,
    displayName: name.replace(/-/g, " "),
    status,
    postId: status === "delivered" ? "p".repeat(26) : null,
    error,
    attempts: 1,
    updatedAt: 0,
  };
}

/** Two delivered, two failed with reasons that name their channels. */
export const MIXED = [
  delivery("office-berlin", "delivered"),
  delivery("office-paris", "delivered"),
  delivery("town-hall", "failed", "the bot is not a member of ~town-hall"),
  delivery("old-news", "failed", "~old-news was archived"),
];
