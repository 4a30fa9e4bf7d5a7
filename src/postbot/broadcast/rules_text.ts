/**
 * The decisions of {@link ./rules.ts} in words: what a user reads when a broadcast cannot be
 * found, sent, undone, retried or edited. Decisions stay typed until they reach a reply.
 *
 * @module
 */

import { MAX_POST_RUNES } from "@postbot/framework/text";
import { unreachable } from "@postbot/framework";
import { code, plural } from "../format.ts";
import { channelMentionRefusal } from "./channel_mentions.ts";
import { describeDuration, SETTING } from "@postbot/framework/duration";
import { undoWindowClosedText, when } from "./report.ts";
import {
  type DraftDecision,
  type EditDecision,
  type EditTarget,
  MAX_FILES,
  type NotFound,
  type RetryOutcome,
  type UndoAtYes,
  type UndoDecision,
} from "./rules.ts";

/** Why `!undo` or `!retry` found no broadcast to act on. */
export function notFoundText(nf: NotFound, command: "undo" | "retry"): string {
  switch (nf.kind) {
    case "none_yet":
      return `You have no broadcasts to ${command}.`;
    case "not_an_id":
      return `${
        code(nf.raw)
      } is not a broadcast id. Ids look like \`k3m9x2qa\`; \`!history\` lists yours.`;
    case "scheduled": {
      const id = nf.scheduled.id;
      return `Broadcast ${code(id)} has not gone out yet (it is scheduled), so there is ` +
        `nothing to ${command}. \`!cancel ${id}\` cancels it; \`!edit ${id}\` changes its text.`;
    }
    case "unknown":
      return `I have no broadcast ${code(nf.id)} of yours. \`!history\` lists your broadcasts.`;
    default:
      return unreachable(nf);
  }
}

/** Why `!undo` does not ask (every outcome but `ask`). */
export function undoRefusalText(
  d: Exclude<UndoDecision, { kind: "ask" }>,
  undoWindowSeconds: number,
): string {
  switch (d.kind) {
    case "busy":
      return `Broadcast \`${d.id}\` is still being delivered; try again when I have reported.`;
    case "window_closed":
      return undoWindowClosedText(d.record, undoWindowSeconds);
    case "nothing_delivered":
      return `Broadcast \`${d.id}\` is in no channel, so there is nothing to undo.`;
    case "none_yet":
    case "not_an_id":
    case "scheduled":
    case "unknown":
      return notFoundText(d, "undo");
    default:
      return unreachable(d);
  }
}

/** Why the `yes` to an undo question deleted nothing. */
export function undoAtYesText(
  d: Exclude<UndoAtYes, { kind: "go" }>,
  undoWindowSeconds: number,
): string {
  switch (d.kind) {
    case "busy":
      return `Broadcast ${code(d.id)} is still being delivered; send \`!undo ${d.id}\` again ` +
        "when it has finished.";
    case "window_closed":
      return undoWindowClosedText(d.record, undoWindowSeconds);
    case "unknown":
      return notFoundText(d, "undo");
    default:
      return unreachable(d);
  }
}

/** What `!retry` answers. */
export function retryText(r: RetryOutcome): string {
  switch (r.kind) {
    case "busy":
      return `Broadcast \`${r.id}\` is still being delivered; wait for my report.`;
    case "undone":
      return `Broadcast \`${r.id}\` was undone; send a new broadcast instead.`;
    case "nothing_failed":
      return `Broadcast \`${r.id}\` has no failed channels; nothing to retry.`;
    case "retrying":
      return `Retrying broadcast \`${r.id}\` in ${
        plural(r.channels, "channel")
      } that failed\u2026 ` +
        "I'll report when it's done.";
    case "none_yet":
    case "not_an_id":
    case "scheduled":
    case "unknown":
      return notFoundText(r, "retry");
    default:
      return unreachable(r);
  }
}

/** Why a broadcast cannot be edited (every outcome but an edit target). */
export function editRefusalText(d: Exclude<EditDecision, EditTarget>): string {
  switch (d.kind) {
    case "unknown":
      return `I have no broadcast ${code(d.id)}.`;
    case "scheduled_over":
      return `Scheduled broadcast ${code(d.id)} was ${d.status}, so there is nothing to edit.`;
    case "busy":
      return `Broadcast ${code(d.id)} is still being delivered; wait for my report.`;
    case "window_closed":
      return `Broadcast ${code(d.record.id)} went out ${when(d.record.createdAt)}, more than ` +
        `${describeDuration(d.windowSeconds * 1000, SETTING)} ago, so I can no longer edit it.`;
    case "in_no_channel":
      return `Broadcast ${code(d.id)} is in no channel.`;
    default:
      return unreachable(d);
  }
}

/** Why a message cannot start a broadcast (every outcome but `ok`). */
export function draftRefusalText(d: Exclude<DraftDecision, { kind: "ok" }>): string {
  switch (d.kind) {
    case "blank":
      return "Your message has no text I can see (only spaces or invisible characters), so " +
        "there is nothing to broadcast. Send the text you want to broadcast (with its files, " +
        "if any), or `!help` to see what I can do.";
    case "too_many_files":
      return `That message has ${d.files} files; a post can carry at most ${MAX_FILES}. ` +
        "Send it again with fewer files (or as several broadcasts).";
    case "too_long":
      return `That message is ${d.runes.toLocaleString("en-US")} characters long` +
        (d.withFooter ? " with the sender line" : "") +
        `; Mattermost allows ${MAX_POST_RUNES.toLocaleString("en-US")}. Shorten it and send ` +
        "it again.";
    case "mentions_refused":
      return channelMentionRefusal(d.mentions, d.policy);
    default:
      return unreachable(d);
  }
}
