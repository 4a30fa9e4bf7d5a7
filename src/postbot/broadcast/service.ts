/**
 * The front door of the broadcast domain: commands and the wizard ask it whether a broadcast
 * may be sent, undone, retried or edited, and what the history holds. It gathers the facts
 * (the log, the scheduled store, what is running now), lets {@link ./rules.ts} decide, and
 * hands back typed outcomes; the words are the caller's (see {@link ./rules_text.ts}).
 * Delivery itself stays with the {@link Broadcaster}.
 *
 * @module
 */

import type { ScheduledStore } from "./scheduled/scheduled_broadcasts.ts";
import type { Broadcaster } from "./broadcaster.ts";
import type { BroadcastLog } from "./log.ts";
import {
  type Asker,
  decideEdit,
  decideRetry,
  decideUndo,
  decideUndoAtYes,
  type EditDecision,
  type Lookup,
  mayActOn,
  type RetryOutcome,
  type UndoAtYes,
  type UndoDecision,
} from "./rules.ts";
import {
  type Actor,
  BROADCAST_ID,
  type BroadcastRecord,
  type BroadcastRequest,
  type BroadcastSummary,
  type BroadcastTarget,
  type DeliveryRecord,
  type ScheduledBroadcast,
} from "./model.ts";

/** What the service reads and starts; the {@link Broadcaster} in production. */
export type DeliveryEngine = Pick<Broadcaster, "isBusy" | "send" | "retry" | "undo" | "hiddenFor">;

/** What the service is built from. */
export interface BroadcastServiceDeps {
  readonly broadcastLog: BroadcastLog;
  readonly engine: DeliveryEngine;
  readonly scheduled: Pick<ScheduledStore, "get" | "unsent">;
  readonly undoWindowSeconds: number;
  readonly editWindowSeconds: number;
  readonly now?: () => number;
}

/** A user's history: what went out (newest first) and what is scheduled but not sent. */
export interface History {
  readonly sent: readonly BroadcastSummary[];
  readonly unsent: readonly ScheduledBroadcast[];
}

/** The undo that a `yes` ran, or why it did not run. */
export type UndoResult =
  | Exclude<UndoAtYes, { kind: "go" }>
  | { readonly kind: "undone"; readonly report: string };

/** The broadcast domain's rules and history queries, in one place. */
export class BroadcastService {
  readonly #deps: BroadcastServiceDeps;
  readonly #now: () => number;

  constructor(deps: BroadcastServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The undo window (UNDO_WINDOW_SECONDS), for texts that name it. */
  get undoWindowSeconds(): number {
    return this.#deps.undoWindowSeconds;
  }

  /** The broadcast `raw` names (`""`: the asker's latest), if the asker may act on it. */
  find(asker: Asker, raw: string): Lookup {
    const id = raw.trim().toLowerCase();
    if (id === "") {
      const latest = this.#deps.broadcastLog.recent(asker.id, 1)[0];
      return latest === undefined ? { kind: "none_yet" } : { kind: "found", record: latest };
    }
    if (!BROADCAST_ID.test(id)) return { kind: "not_an_id", raw };
    const record = this.#deps.broadcastLog.get(id);
    if (record !== undefined && mayActOn(asker, record.senderId)) return { kind: "found", record };
    const later = this.#deps.scheduled.get(id);
    const waiting = later?.status === "scheduled" || later?.status === "awaiting_approval";
    if (later !== undefined && waiting && mayActOn(asker, later.senderId)) {
      return { kind: "scheduled", scheduled: later };
    }
    return { kind: "unknown", id, raw };
  }

  /** The asker's last `n` broadcasts, and their scheduled ones not sent. */
  history(userId: string, n: number): History {
    return {
      sent: this.#deps.broadcastLog.recent(userId, n),
      unsent: this.#deps.scheduled.unsent(userId, n),
    };
  }

  /** Every channel of a broadcast and what happened there. */
  deliveries(id: string): DeliveryRecord[] {
    return this.#deps.broadcastLog.deliveries(id);
  }

  /** The posts a broadcast has in channels now. */
  postIds(id: string): string[] {
    return this.#deps.broadcastLog.deliveries(id).flatMap((d) =>
      d.status === "delivered" && d.postId !== null ? [d.postId] : []
    );
  }

  /** Whether `!undo raw` may ask for confirmation. */
  undoable(asker: Asker, raw: string): UndoDecision {
    const found = this.find(asker, raw);
    if (found.kind !== "found") return found;
    return decideUndo({
      record: found.record,
      deliveries: this.#deps.broadcastLog.deliveries(found.record.id),
      busy: this.#deps.engine.isBusy(found.record.id),
      windowSeconds: this.#deps.undoWindowSeconds,
      now: this.#now(),
    });
  }

  /** After the `yes`: undoes broadcast `id` when the rules still allow it. */
  async undo(actor: Actor, id: string): Promise<UndoResult> {
    const decision = decideUndoAtYes({
      id,
      record: this.#deps.broadcastLog.get(id),
      busy: this.#deps.engine.isBusy(id),
      windowSeconds: this.#deps.undoWindowSeconds,
      now: this.#now(),
    });
    if (decision.kind !== "go") return decision;
    return { kind: "undone", report: await this.#deps.engine.undo(id, actor) };
  }

  /** `!retry raw`: starts delivering again to the failed channels when the rules allow. */
  retry(asker: Asker, raw: string): RetryOutcome {
    const found = this.find(asker, raw);
    if (found.kind !== "found") return found;
    const id = found.record.id;
    const decision = decideRetry({
      record: found.record,
      deliveries: this.#deps.broadcastLog.deliveries(id),
      busy: this.#deps.engine.isBusy(id),
    });
    if (decision.kind !== "retry") return decision;
    const channels = this.#deps.engine.retry(id, { id: asker.id, username: asker.username });
    return channels === 0 ? { kind: "nothing_failed", id } : { kind: "retrying", id, channels };
  }

  /**
   * Whether `!edit raw` may ask for the new text: the broadcast (sent or scheduled) must be
   * the asker's, or the asker an administrator.
   */
  editable(asker: Asker, raw: string): EditDecision {
    const id = raw.trim().toLowerCase();
    const owner = BROADCAST_ID.test(id)
      ? this.#deps.broadcastLog.get(id)?.senderId ?? this.#deps.scheduled.get(id)?.senderId
      : undefined;
    if (owner === undefined || !mayActOn(asker, owner)) return { kind: "unknown", id, raw };
    return this.editTarget(id);
  }

  /**
   * Whether broadcast `id` can be edited now (asked again at the preview and at the yes), or
   * at `at` (an approved edit: the window is measured when it was asked).
   */
  editTarget(id: string, at?: number): EditDecision {
    return decideEdit({
      id,
      scheduled: this.#deps.scheduled.get(id),
      record: this.#deps.broadcastLog.get(id),
      deliveries: this.#deps.broadcastLog.deliveries(id),
      busy: this.#deps.engine.isBusy(id),
      windowSeconds: this.#deps.editWindowSeconds,
      now: at ?? this.#now(),
    });
  }

  /** Records an edit that was applied to a sent broadcast. */
  recordEdit(record: BroadcastRecord, text: string, actor: Actor): void {
    this.#deps.broadcastLog.updateMessage(record.id, text);
    this.#deps.broadcastLog.addEvent(
      record.id,
      actor,
      "edit",
      JSON.stringify({ old: record.message, new: text }),
    );
  }

  /** Sends a confirmed broadcast (see {@link Broadcaster.send}); returns its id. */
  send(request: BroadcastRequest, announce?: (id: string) => Promise<void>): string {
    return this.#deps.engine.send(request, announce);
  }

  /** The recipients among `targets` that `reader` may not see named (keys, see targetKey). */
  hiddenFor(reader: Actor, targets: readonly BroadcastTarget[]): Promise<Set<string>> {
    return this.#deps.engine.hiddenFor(reader, targets);
  }
}
