/**
 * The wizard's states. A conversation is one of these, never a mix: the type system rules
 * out "confirming without targets" or "undoing while choosing".
 *
 *     (no session) --message--> choosing_targets --valid answer--> confirming --yes--> (sent)
 *                                     ^  |                            |  \--no--> (cancelled)
 *                                     |  \--unknown names (stay)      \--other--> (ask again)
 *     !undo --> confirming_undo --yes/no--> back to the broadcast step it interrupted, if any
 *     !cancel --> confirming_cancel --yes/no--> back, likewise
 *     !remind --> confirming_remind --yes/no--> back, likewise
 *     !edit --> editing --new text--> confirming_edit --yes/no--> back, likewise
 *     confirming --at <time>--> (scheduled), or for a big send: confirming + later --yes N-->
 *
 * States are plain JSON so they can be kept in SQLite across a restart; decode.ts checks them
 * when they are read back, and one it cannot read becomes `unreadable`, which the wizard
 * answers by saying so (nothing is sent, deleted or changed).
 *
 * @module
 */

import { unreachable } from "@postbot/framework";
import type { BroadcastFile } from "../broadcast/model.ts";
import type { BroadcastOptions } from "../broadcast/options.ts";
import type { ResolvedTarget } from "../targets/resolution.ts";

/** The message being broadcast, as received in the DM. */
export interface Draft {
  readonly sourcePostId: string;
  readonly message: string;
  readonly files: readonly BroadcastFile[];
}

/** Waiting for the user to say where the draft goes. */
export interface ChoosingTargets {
  readonly kind: "choosing_targets";
  readonly draft: Draft;
}

/** Targets resolved; waiting for yes or no. */
export interface Confirming {
  readonly kind: "confirming";
  readonly draft: Draft;
  readonly answer: string;
  readonly targets: readonly ResolvedTarget[];
  /** Members of the target channels, counted for a guarded (big) send. */
  readonly members?: number;
  /** `everyone` was named: the guard applies whatever the threshold. */
  readonly everyone?: boolean;
  /** A send time given with `at ...`, waiting for the `yes <count>` of a big send. */
  readonly later?: { readonly at: number; readonly zone: string };
  /** The options given with that send time. */
  readonly options?: BroadcastOptions;
}

/** A step of the broadcast wizard. */
export type BroadcastStep = ChoosingTargets | Confirming;

/** `!undo` asked for confirmation; `resume` is the broadcast step it interrupted. */
export interface ConfirmingUndo {
  readonly kind: "confirming_undo";
  readonly broadcastId: string;
  readonly resume: BroadcastStep | null;
}

/** `!cancel` asked whether to cancel a scheduled broadcast. */
export interface ConfirmingCancel {
  readonly kind: "confirming_cancel";
  readonly broadcastId: string;
  readonly resume: BroadcastStep | null;
}

/** `!remind` asked whether to send the reminders of a broadcast. */
export interface ConfirmingRemind {
  readonly kind: "confirming_remind";
  readonly broadcastId: string;
  readonly resume: BroadcastStep | null;
}

/** `!edit` asked for the new text of a broadcast. */
export interface EditingText {
  readonly kind: "editing";
  readonly broadcastId: string;
  readonly resume: BroadcastStep | null;
}

/** The new text was previewed; waiting for yes or no. */
export interface ConfirmingEdit {
  readonly kind: "confirming_edit";
  readonly broadcastId: string;
  readonly text: string;
  readonly resume: BroadcastStep | null;
}

/** A question asked by a command, answered before the broadcast step (if any) resumes. */
export type SideQuestion =
  | ConfirmingUndo
  | ConfirmingCancel
  | ConfirmingRemind
  | EditingText
  | ConfirmingEdit;

/** A stored state that could not be read back (an older version's shape, or damage). */
export interface Unreadable {
  readonly kind: "unreadable";
  /** The stored step's kind, or "no step", for the log. */
  readonly stored: string;
}

/** Everything a user's session can be. */
export type Conversation = BroadcastStep | SideQuestion | Unreadable;

/**
 * How a command asks its question through the wizard, so that the user's next message
 * answers it: what `!undo`, `!cancel` and `!edit` need of the wizard, and no more.
 */
export interface SideQuestions {
  /** `!undo`: the next yes/no decides whether broadcast `broadcastId` is deleted. */
  askUndo(userId: string, broadcastId: string): void;
  /** `!cancel`: the next yes/no decides whether scheduled `broadcastId` is cancelled. */
  askCancel(userId: string, broadcastId: string): void;
  /** `!edit`: the next message is the new text of `broadcastId`. */
  askEdit(userId: string, broadcastId: string): void;
  /** `!remind`: the next yes/no decides whether the reminders of `broadcastId` go out. */
  askRemind(userId: string, broadcastId: string): void;
}

/** The broadcast step a new side question would interrupt (kept across side questions). */
export function resumeOf(current: Conversation | undefined): BroadcastStep | null {
  if (current === undefined) return null;
  switch (current.kind) {
    case "choosing_targets":
    case "confirming":
      return current;
    case "confirming_undo":
    case "confirming_cancel":
    case "confirming_remind":
    case "editing":
    case "confirming_edit":
      return current.resume;
    case "unreadable":
      return null;
    default:
      return unreachable(current);
  }
}

/** A yes/no answer, or undefined when the text is neither. */
export function yesNo(text: string): "yes" | "no" | undefined {
  const word = text.trim().toLowerCase().replace(/[.!]+$/, "");
  if (word === "yes" || word === "y") return "yes";
  if (word === "no" || word === "n") return "no";
  return undefined;
}

/** True when the user wants out of the wizard (`Cancel!`, `**stop**`, `abort.`). */
export function isCancel(text: string): boolean {
  return /^(?:cancel|abort|stop)$/.test(bareWords(text));
}

/**
 * The text reduced to its words, as answers are compared: lowercase, single spaces, no
 * surrounding punctuation, quotes or markdown emphasis.
 */
export function bareWords(text: string): string {
  const edge = "[\\s*_`~\"'\u201c\u201d\u2018\u2019()\\[\\].!?,;:\u2026]+";
  return text.trim().toLowerCase()
    .replace(new RegExp(`^${edge}|${edge}$`, "gu"), "")
    .replace(/\s+/g, " ");
}
