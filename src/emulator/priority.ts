/**
 * Post priority (`metadata.priority` on POST /posts) as an unlicensed (Team Edition) server
 * with ServiceSettings.PostPriority on (its default) takes it: decoded as model.PostPriority,
 * checked by postPriorityCheck, saved in PostsPriority. Measured on 11.4 TE: a label of any
 * text is kept (nothing checks "important"/"urgent"); replies may not carry one (400, even an
 * empty one); asking for acknowledgement or persistent notifications is a licensed feature
 * (501); a priority object without a label cannot be saved (its column is NOT NULL: 500).
 */

import { AppError, invalidBodyParam } from "./http.ts";
import type { PriorityRecord } from "./records.ts";

/**
 * The priority in a POST /posts body's `metadata` (undefined when there is none). A value of
 * the wrong JSON type fails the whole body's decoding, as Go's json.Decode does: 400.
 */
export function priorityOf(metadata: unknown): PriorityRecord | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object" || Array.isArray(metadata)) throw invalidBodyParam("post");
  const raw = (metadata as Record<string, unknown>).priority;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) throw invalidBodyParam("post");
  const p = raw as Record<string, unknown>;
  const typed = (v: unknown, type: "string" | "boolean") => {
    if (v === undefined || v === null) return null;
    if (typeof v !== "string" && typeof v !== "boolean") throw invalidBodyParam("post");
    if ((type === "string") !== (typeof v === "string")) throw invalidBodyParam("post");
    return v;
  };
  return {
    priority: typed(p.priority, "string") as string | null,
    requested_ack: typed(p.requested_ack, "boolean") as boolean | null,
    persistent_notifications: typed(p.persistent_notifications, "boolean") as boolean | null,
  };
}

/**
 * postPriorityCheck on a server without a licence: nothing when ServiceSettings.PostPriority
 * is off (`enabled` false: 403); a reply may carry no priority (400); acknowledgements and
 * persistent notifications need Professional (501 `license_error.feature_unavailable`).
 */
export function checkPriority(
  priority: PriorityRecord | undefined,
  rootId: string,
  enabled = true,
): void {
  if (priority === undefined) return;
  if (!enabled) {
    throw new AppError(
      "api.post.post_priority.priority_post_not_allowed_for_user.request_error",
      403,
    );
  }
  if (rootId !== "") {
    throw new AppError(
      "api.post.post_priority.priority_post_only_allowed_for_root_post.request_error",
      400,
    );
  }
  if (priority.requested_ack === true || priority.persistent_notifications === true) {
    throw new AppError("license_error.feature_unavailable", 501);
  }
}

/** Saving the PostsPriority row: a NULL label violates its NOT NULL column (500). */
export function checkPrioritySaves(priority: PriorityRecord | undefined): void {
  if (priority !== undefined && priority.priority === null) {
    throw new AppError("app.post.save.app_error", 500);
  }
}
