/**
 * The due-broadcast loop: wakes at the next due time (and at least every 30 s), takes each
 * scheduled broadcast whose time has come, re-resolves its channels, and hands it to the same
 * {@link Broadcaster} an immediate broadcast uses -- limits, retries, no duplicates, report,
 * log and audit included. A time missed while postbot was down is sent at start, and the
 * sender is told how late.
 *
 * @module
 */

import { logger, type Problem, type Result } from "@postbot/framework";
import { APPROXIMATE, describeDuration } from "@postbot/framework/duration";
import type { BroadcastAudit } from "../audit.ts";
import type { Broadcaster } from "../broadcaster.ts";
import { reachable, refusalText, type SenderAuthority } from "../../authority.ts";
import { code, plural, quote } from "../../format.ts";
import type { Notifier } from "../../notifier.ts";
import type { ScheduledStore } from "./scheduled_broadcasts.ts";
import { describeSendTime } from "./time_expression.ts";
import { DueLoop } from "../due_loop.ts";
import { peopleOf, recipientsText, type ScheduledBroadcast } from "../model.ts";
import type { Reresolved } from "../../targets/reresolve.ts";

const log = logger("schedule");

/** How soon to look again when the next due time could not be read (the database away). */
const RETRY_AFTER_FAILURE_MS = 5_000;
/** Later than this after its time, the sender is told the broadcast is late. */
export const LATE_AFTER_MS = 60_000;

/** What the loop needs. */
export interface SchedulerDeps {
  readonly store: ScheduledStore;
  readonly broadcaster: Pick<Broadcaster, "send">;
  readonly notifier: Pick<Notifier, "dm">;
  /** Audit lines, under the audit rule. */
  readonly audit: Pick<BroadcastAudit, "post">;
  /** Whether the sender may still send at all (asked before anything else). */
  readonly authority: Pick<SenderAuthority, "standing">;
  /** Resolves the target answer again, as the sender (membership checks included). */
  readonly resolve: (
    answer: string,
    sender: { id: string; username: string },
  ) => Promise<Result<Reresolved, readonly Problem[]>>;
  /** Runs once before a batch of due broadcasts (the channel list is reloaded). */
  readonly beforeBatch?: () => Promise<void>;
  readonly now?: () => number;
}

/** Runs scheduled broadcasts when they are due. */
export class Scheduler extends DueLoop {
  readonly #deps: SchedulerDeps;

  constructor(deps: SchedulerDeps) {
    super({ now: deps.now });
    this.#deps = deps;
  }

  /** Settles what a crash left half-claimed, sends what is overdue, and starts the timer. */
  override async start(): Promise<void> {
    const back = await this.#deps.store.reconcile();
    if (back > 0) {
      log.warn("{n} scheduled broadcasts had not started; they are due again", { n: back });
    }
    await super.start();
  }

  /** Sends everything due now. */
  protected override runDue(): Promise<void> {
    return this.#sendDue();
  }

  protected override nextDueAt(): Promise<number | undefined> {
    return this.#deps.store.nextDue();
  }

  protected override retryAfter(error: unknown): number {
    log.warn("Could not read when the next scheduled broadcast is due: {error}", { error });
    return RETRY_AFTER_FAILURE_MS;
  }

  protected override runFailed(error: unknown): void {
    log.error("Could not look for due scheduled broadcasts: {error}", { error });
  }

  async #sendDue(): Promise<void> {
    const due = await this.#deps.store.due(this.now());
    if (due.length === 0) return;
    try {
      await this.#deps.beforeBatch?.();
    } catch (e) {
      log.warn("Could not reload the channel list before sending: {error}", { error: e });
    }
    for (const s of due) {
      if (this.stopped) return;
      try {
        await this.#sendOne(s);
      } catch (e) {
        log.error("Scheduled broadcast {id} could not start: {error}", { id: s.id, error: e });
      }
    }
  }

  /** "It was due ... and goes out 12 minutes late" when it is; "" otherwise. */
  #lateText(s: ScheduledBroadcast): string {
    // An approved broadcast whose time passed while it awaited approval goes out at once.
    if (s.approval !== undefined) return "";
    const lateMs = this.now() - s.dueAt;
    return lateMs > LATE_AFTER_MS
      ? `It was due ${
        describeSendTime({ at: s.dueAt, zone: s.zone }, s.dueAt).replace(/ \u2014 .*$/, "")
      } and goes out ` +
        `**${describeDuration(lateMs, APPROXIMATE)} late**, because postbot was not running then.`
      : "";
  }

  /**
   * Records that a claimed broadcast was not sent and why: the sender reads `reason` (in their DM, when they
   * can still read one), the audit channel `audited` (which names no channel).
   */
  async #fail(
    s: ScheduledBroadcast,
    reason: string,
    audited: string,
    dmSender: boolean,
    late = "",
  ): Promise<void> {
    await this.#deps.store.fail(s.id, reason);
    await this.#deps.store.removeFiles(s.id).catch(() => {});
    if (dmSender) {
      await this.#deps.notifier.dm(
        s.senderId,
        `**Scheduled broadcast ${code(s.id)} was not sent**: ${reason}` +
          (late === "" ? "" : `\n${late}`),
      );
    }
    await this.#deps.audit.post({
      action: "Scheduled broadcast not sent",
      id: s.id,
      actor: s.senderUsername,
      at: this.now(),
      detail: audited,
      channels: undefined,
    });
    log.warn("Scheduled broadcast {id} failed: {reason}", { id: s.id, reason });
  }

  async #sendOne(s: ScheduledBroadcast): Promise<void> {
    const sender = { id: s.senderId, username: s.senderUsername };
    // A failure to ask (thrown) leaves it pending for the next check.
    const standing = await this.#deps.authority.standing(sender);
    if (!standing.ok) {
      if (!await this.#deps.store.claim(s.id)) return; // cancelled meanwhile (or fenced)
      const reason = refusalText(standing.refusal, s.senderUsername);
      return await this.#fail(s, reason, reason, reachable(standing.refusal), this.#lateText(s));
    }
    const resolved = await this.#deps.resolve(s.targetAnswer, sender);
    const files = await this.#deps.store.readFiles(s).catch((e) => e as Error);
    // Only now is it taken: a failure above leaves it pending for the next check.
    if (!await this.#deps.store.claim(s.id)) return;
    const late = this.#lateText(s);
    const failure = !resolved.ok
      ? `none of its channels can be reached any more:\n${
        resolved.error.map((p) => `- ${p.message}`).join("\n")
      }`
      : resolved.value.targets.length === 0
      ? "none of its channels can be reached any more"
      : files instanceof Error
      ? `its files kept for it are missing (${files.message})`
      : undefined;
    if (failure !== undefined) {
      // The audit line names no channel: the sender's words may name private ones.
      const audited = files instanceof Error && resolved.ok
        ? "its files kept for it are missing"
        : `none of its channels can be reached any more (${
          plural(resolved.ok ? 0 : resolved.error.length, "name")
        } of its answer lead nowhere now)`;
      return await this.#fail(s, failure, audited, true, late);
    }
    const { targets, remarks } = resolved.ok ? resolved.value : { targets: [], remarks: [] };
    const lateMs = this.now() - s.dueAt;
    const prepared = (files as Awaited<ReturnType<ScheduledStore["readFiles"]>>).map((
      content,
      i,
    ) => ({ source: s.files[i], content }));
    log.info(
      "Scheduled broadcast {id} by {user} is due: {n} recipients, {late} ms after its time",
      {
        id: s.id,
        user: s.senderUsername,
        n: targets.length,
        late: Math.max(0, lateMs),
      },
    );
    await this.#deps.broadcaster.send(
      {
        sender: { id: s.senderId, username: s.senderUsername },
        message: s.message,
        files: s.files,
        sourcePostId: s.sourcePostId ?? "",
        answer: s.targetAnswer,
        targets,
        options: s.options,
      },
      async (id) => {
        const lines = [
          `${s.approval?.immediate ? "Approved broadcast" : "Scheduled broadcast"} ${
            code(id)
          } is going out now to ${
            recipientsText(targets.length - peopleOf(targets).length, peopleOf(targets).length)
          }\u2026 I'll tell you when it's done.`,
          `> ${s.message.trim() === "" ? "_(files only)_" : quote(s.message, 80)}`,
        ];
        if (late !== "") lines.push(late);
        for (const r of remarks) lines.push(`:warning: ${r}`);
        await this.#deps.notifier.dm(s.senderId, lines.join("\n"));
      },
      { id: s.id, files: prepared },
    );
    // The files were read into memory; the copies are no longer needed.
    await this.#deps.store.removeFiles(s.id).catch((e) =>
      log.warn("Could not remove the files of {id}: {error}", { id: s.id, error: e })
    );
  }
}
