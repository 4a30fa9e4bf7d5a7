/**
 * Stored conversations read back after a restart are checked, not trusted: a state saved by
 * an older postbot (or damaged in the database) becomes {@link Unreadable}, which the wizard
 * answers with a clear message instead of acting on a half-understood shape, or saying nothing.
 *
 * @module
 */

import type { BroadcastStep, Conversation, Draft, SideQuestion } from "./conversation.ts";
import type { BroadcastFile } from "../broadcast/model.ts";
import type { ResolvedTarget } from "../targets/resolution.ts";

type Fields = Record<string, unknown>;

function isObject(v: unknown): v is Fields {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isString(v: unknown): v is string {
  return typeof v === "string";
}

function isNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function isFile(v: unknown): v is BroadcastFile {
  return isObject(v) && isString(v.id) && isString(v.name) && isNumber(v.size) &&
    isString(v.mimeType);
}

function isDraft(v: unknown): v is Draft {
  return isObject(v) && isString(v.sourcePostId) && isString(v.message) &&
    Array.isArray(v.files) && v.files.every(isFile);
}

function isReach(v: unknown): boolean {
  if (!isObject(v)) return false;
  switch (v.by) {
    case "name":
    case "everyone":
      return true;
    case "list":
      return isString(v.list);
    case "members":
      return isString(v.channelId) && isString(v.channelName) &&
        (v.group === undefined || isString(v.group));
    default:
      return false;
  }
}

function isTarget(v: unknown): v is ResolvedTarget {
  if (!isObject(v) || !Array.isArray(v.via) || !v.via.every(isString)) return false;
  if (v.hidden !== undefined && typeof v.hidden !== "boolean") return false;
  if (v.kind === "person") {
    return isString(v.userId) && isString(v.username) && isString(v.displayName) &&
      typeof v.named === "boolean" && isReach(v.reach);
  }
  // A state saved before people were targets has channels without a kind.
  return (v.kind === "channel" || v.kind === undefined) && isString(v.channelId) &&
    isString(v.name) && isString(v.displayName) && typeof v.botIsMember === "boolean" &&
    (v.type === "O" || v.type === "P");
}

/** A stored target as this version reads it (an older channel gets its kind). */
function upgradeTarget(v: ResolvedTarget): ResolvedTarget {
  return v.kind === undefined ? { ...(v as object), kind: "channel" } as ResolvedTarget : v;
}

function isLater(v: unknown): boolean {
  return v === undefined || (isObject(v) && isNumber(v.at) && isString(v.zone));
}

function isOptions(v: unknown): boolean {
  return v === undefined ||
    (isObject(v) && typeof v.ack === "boolean" &&
      (v.priority === "" || v.priority === "important" || v.priority === "urgent") &&
      (v.remindAfterMs === null || (isNumber(v.remindAfterMs) && v.remindAfterMs > 0)));
}

function isStep(v: unknown): v is BroadcastStep {
  if (!isObject(v)) return false;
  if (v.kind === "choosing_targets") return isDraft(v.draft);
  if (v.kind !== "confirming") return false;
  return isDraft(v.draft) && isString(v.answer) && Array.isArray(v.targets) &&
    v.targets.every(isTarget) && (v.members === undefined || isNumber(v.members)) &&
    (v.everyone === undefined || typeof v.everyone === "boolean") && isLater(v.later) &&
    isOptions(v.options);
}

const SIDE_QUESTIONS: readonly string[] = [
  "confirming_undo",
  "confirming_cancel",
  "confirming_remind",
  "editing",
  "confirming_edit",
] satisfies readonly SideQuestion["kind"][];

function isSideQuestion(v: unknown): v is SideQuestion {
  return isObject(v) && isString(v.kind) && SIDE_QUESTIONS.includes(v.kind) &&
    isString(v.broadcastId) && (v.resume === null || isStep(v.resume)) &&
    (v.kind !== "confirming_edit" || isString(v.text));
}

/**
 * A stored state as a {@link Conversation}: itself when it has every field its kind needs,
 * otherwise `unreadable` (with the stored kind, when there was one, for the log).
 */
export function decodeConversation(value: unknown): Conversation {
  if (isStep(value) || isSideQuestion(value)) return upgrade(value);
  if (isObject(value) && value.kind === "unreadable" && isString(value.stored)) {
    return { kind: "unreadable", stored: value.stored };
  }
  const kind = isObject(value) && isString(value.kind) ? value.kind : "";
  return { kind: "unreadable", stored: kind === "" ? "no step" : kind.slice(0, 40) };
}

/** A readable state in this version's shape (channels saved before people got their kind). */
function upgrade(c: Conversation): Conversation {
  if (c.kind === "confirming") return upgradeStep(c);
  if ("resume" in c && c.resume !== null) return { ...c, resume: upgradeStep(c.resume) };
  return c;
}

function upgradeStep(step: BroadcastStep): BroadcastStep {
  if (step.kind !== "confirming") return step;
  return { ...step, targets: step.targets.map(upgradeTarget) };
}
