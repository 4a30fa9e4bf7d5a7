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
  async find(asker: Asker, raw: string): Promise<Lookup> {
    const id = raw.trim().toLowerCase();
    if (id === "") {
      const [latest] = await this.#deps.broadcastLog.recent(asker.id, 1);
      return latest === undefined ? { kind: "none_yet" } : { kind: "found", record: latest };
    }
    if (!BROADCAST_ID.test(id)) return { kind: "not_an_id", raw };
    const record = await this.#deps.broadcastLog.get(id);
    if (record !== undefined && mayActOn(asker, record.senderId)) return { kind: "found", record };
    const later = await this.#deps.scheduled.get(id);
    const waiting = later?.status === "scheduled" || later?.status === "awaiting_approval";
    if (later !== undefined && waiting && mayActOn(asker, later.senderId)) {
      return { kind: "scheduled", scheduled: later };
    }
    return { kind: "unknown", id, raw };
  }

  /** The asker's last `n` broadcasts, and their scheduled ones not sent. */
  async history(userId: string, n: number): Promise<History> {
    return {
      sent: await this.#deps.broadcastLog.recent(userId, n),
      unsent: await this.#deps.scheduled.unsent(userId, n),
    };
  }

  /** Every channel of a broadcast and what happened there. */
  deliveries(id: string): Promise<DeliveryRecord[]> {
    return this.#deps.broadcastLog.deliveries(id);
  }

  /** The posts a broadcast has in channels now. */
  async postIds(id: string): Promise<string[]> {
    return (await this.#deps.broadcastLog.deliveries(id)).flatMap((d) =>
      d.status === "delivered" && d.postId !== null ? [d.postId] : []
    );
  }

  /** Whether `!undo raw` may ask for confirmation. */
  async undoable(asker: Asker, raw: string): Promise<UndoDecision> {
    const found = await this.find(asker, raw);
    if (found.kind !== "found") return found;
    return decideUndo({
      record: found.record,
      deliveries: await this.#deps.broadcastLog.deliveries(found.record.id),
      busy: this.#deps.engine.isBusy(found.record.id),
      windowSeconds: this.#deps.undoWindowSeconds,
      now: this.#now(),
    });
  }

  /** After the `yes`: undoes broadcast `id` when the rules still allow it. */
  async undo(actor: Actor, id: string): Promise<UndoResult> {
    const decision = decideUndoAtYes({
      id,
      record: await this.#deps.broadcastLog.get(id),
      busy: this.#deps.engine.isBusy(id),
      windowSeconds: this.#deps.undoWindowSeconds,
      now: this.#now(),
    });
    if (decision.kind !== "go") return decision;
    return { kind: "undone", report: await this.#deps.engine.undo(id, actor) };
  }

  /** `!retry raw`: starts delivering again to the failed channels when the rules allow. */
  async retry(asker: Asker, raw: string): Promise<RetryOutcome> {
    const found = await this.find(asker, raw);
    if (found.kind !== "found") return found;
    const id = found.record.id;
    const decision = decideRetry({
      record: found.record,
      deliveries: await this.#deps.broadcastLog.deliveries(id),
      busy: this.#deps.engine.isBusy(id),
    });
    if (decision.kind !== "retry") return decision;
    const channels = await this.#deps.engine.retry(id, { id: asker.id, username: asker.username });
    return channels === 0 ? { kind: "nothing_failed", id } : { kind: "retrying", id, channels };
  }

  /**
   * Whether `!edit raw` may ask for the new text: the broadcast (sent or scheduled) must be
   * the asker's, or the asker an administrator.
   */
  async editable(asker: Asker, raw: string): Promise<EditDecision> {
    const id = raw.trim().toLowerCase();
    const owner = BROADCAST_ID.test(id)
      ? (await this.#deps.broadcastLog.get(id))?.senderId ??
        (await this.#deps.scheduled.get(id))?.senderId
      : undefined;
    if (owner === undefined || !mayActOn(asker, owner)) return { kind: "unknown", id, raw };
    return this.editTarget(id);
  }

  /**
   * Whether broadcast `id` can be edited now (asked again at the preview and at the yes), or
   * at `at` (an approved edit: the window is measured when it was asked).
   */
  async editTarget(id: string, at?: number): Promise<EditDecision> {
    return decideEdit({
      id,
      scheduled: await this.#deps.scheduled.get(id),
      record: await this.#deps.broadcastLog.get(id),
      deliveries: await this.#deps.broadcastLog.deliveries(id),
      busy: this.#deps.engine.isBusy(id),
      windowSeconds: this.#deps.editWindowSeconds,
      now: at ?? this.#now(),
    });
  }

  /** Records an edit that was applied to a sent broadcast. */
  async recordEdit(record: BroadcastRecord, text: string, actor: Actor): Promise<void> {
    await this.#deps.broadcastLog.updateMessage(record.id, text);
    await this.#deps.broadcastLog.addEvent(
      record.id,
      actor,
      "edit",
      JSON.stringify({ old: record.message, new: text }),
    );
  }

  /** Sends a confirmed broadcast (see {@link Broadcaster.send}); returns its id. */
  send(request: BroadcastRequest, announce?: (id: string) => Promise<void>): Promise<string> {
    return this.#deps.engine.send(request, announce);
  }

  /** The recipients among `targets` that `reader` may not see named (keys, see targetKey). */
  hiddenFor(reader: Actor, targets: readonly BroadcastTarget[]): Promise<Set<string>> {
    return this.#deps.engine.hiddenFor(reader, targets);
  }
}
