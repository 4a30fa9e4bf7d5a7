/**
 * One delivery run of a broadcast, for a first send, a scheduled one or a retry: the pending
 * recipients (never the audit channel), the sender's authority asked again, the people who
 * can no longer be reached set aside with why, the files fetched once, the fan-out
 * (delivery.ts), and the outcome recorded before the people concerned are told
 * (outcome_reports.ts).
 *
 * @module
 */

import {
  logger,
  MattermostError,
  ok,
  type RestTransport,
  type Semaphore,
  unreachable,
} from "@postbot/framework";
import { reachable, refusalText, type SenderAuthority, type SenderRefusal } from "../authority.ts";
import type { Attribution } from "../config.ts";
import {
  type ChannelOutcome,
  deliverEach,
  type DirectChannelSource,
  downloadFiles,
  type PreparedFile,
  type PriorityLabel,
} from "./delivery.ts";
import { ACK_EMOJI, type AckRequest } from "./ack_post.ts";
import { type BroadcastOptions, NO_OPTIONS } from "./options.ts";
import { describeDuration, SETTING } from "@postbot/framework/duration";
import type { BroadcastLog } from "./log.ts";
import {
  type Actor,
  type BroadcastRecord,
  type BroadcastTarget,
  type DeliveryRecord,
  type PersonTarget,
  postedMessage,
} from "./model.ts";
import type { OutcomeReports, ReportedRun } from "./outcome_reports.ts";
import { type RunEnd, runEnd } from "./rules.ts";

const log = logger("broadcast");

/** Why a stored delivery to the audit channel is refused. */
export const AUDIT_CHANNEL_REFUSAL =
  "not sent: this is the bot's audit channel (BOT_LOG_CHANNEL_ID), which never receives " +
  "broadcasts";

/** Counters for the metrics endpoint. */
export interface BroadcastCounters {
  broadcasts: number;
  deliveriesOk: number;
  deliveriesFailed: number;
}

/** What a run is built from. */
export interface RunDeps {
  readonly transport: RestTransport;
  readonly broadcastLog: BroadcastLog;
  readonly reports: OutcomeReports;
  readonly counters: BroadcastCounters;
  /** Channel deliveries in flight across all broadcasts. */
  readonly slots: Semaphore;
  /** Aborted at shutdown: no channel is started any more. */
  readonly stopping: AbortSignal;
  readonly settings: {
    readonly concurrency: number;
    readonly attribution: Attribution;
    readonly botUserId: string;
    readonly botUsername: string;
    /** BOT_LOG_CHANNEL_ID: never a target, whatever a stored broadcast says. */
    readonly auditChannelId?: string;
    /** Asked before every run; absent, nobody is checked (unit tests). */
    readonly authority?: Pick<SenderAuthority, "check">;
    /** People's DM channels; absent, people cannot be delivered to (unit tests). */
    readonly directChannels?: DirectChannelSource;
    /**
     * Which of these people cannot be reached now (deactivated, no longer in the team), with
     * why; asked before every run that has people. Absent, everyone is taken as reachable.
     */
    readonly unreachable?: (people: readonly PersonTarget[]) => Promise<Map<string, string>>;
    /** What a post asking for acknowledgement carries; absent, none is asked for. */
    readonly acknowledgement?: AckRequest;
    /**
     * Called after the fan-out of every run: records the seen thresholds of what it
     * delivered (see seen_threshold.ts). Absent, they are read when first needed.
     */
    readonly captureSeen?: (broadcastId: string) => Promise<void>;
    /**
     * Whether this instance still holds the lease (a shared database). A run that lost it
     * stops short (its claims are fenced) and must neither report nor record an outcome: the
     * next active resumes it; a run cut off by shutdown is left as it is for the next active
     * too, instead of recorded as interrupted. Absent: the sole instance, which may always act.
     */
    readonly mayAct?: () => boolean;
  };
}

/** One run in progress: the reported run, how to let go of it, and its pending channels. */
interface RunContext extends ReportedRun {
  /** Ends "busy" once the outcome is recorded (before reporting it). */
  readonly release: () => void;
  /** The recipients to mark failed when nothing was sent; empty once the fan-out ran. */
  readonly pending: readonly BroadcastTarget[];
  /** What the sender should know besides the outcome. */
  readonly notes: readonly string[];
}

/** The recipient of a delivery without its state: what a run keeps of each it delivers to. */
function recipientOf(d: DeliveryRecord): BroadcastTarget {
  return d.kind === "channel"
    ? { kind: "channel", channelId: d.channelId, name: d.name, displayName: d.displayName }
    : {
      kind: "person",
      userId: d.userId,
      username: d.username,
      displayName: d.displayName,
      reach: d.reach,
    };
}

/** The status a broadcast had when it was last over (a retry only starts on one that is). */
function finalStatus(b: BroadcastRecord): Exclude<BroadcastRecord["status"], "pending"> {
  return b.status === "pending" ? "interrupted" : b.status;
}

/** How a run ends when the sender may send nothing any more. */
function refusedEnd(refusal: SenderRefusal, username: string): RunEnd {
  const reason = refusalText(refusal, username);
  return { kind: "refused", reason, audited: reason, dmSender: reachable(refusal) };
}

/** What the first report says of the options the sender chose. */
function optionNotes(
  id: string,
  options: BroadcastOptions,
  ack: AckRequest | undefined,
): string[] {
  const notes: string[] = [];
  if (ack !== undefined) {
    notes.push(
      `Its readers are asked to acknowledge it (${
        ack.buttons ? "with a button" : `by reacting with :${ACK_EMOJI}:`
      }): \`!status ${id}\` shows who did, \`!remind ${id}\` reminds the others.`,
    );
  }
  if (options.remindAfterMs !== null) {
    notes.push(
      `An automatic reminder goes out after ${
        describeDuration(options.remindAfterMs, SETTING)
      } to those who have not ${options.ack ? "acknowledged" : "seen"} it; \`!undo ${id}\` ` +
        "cancels it with the broadcast.",
    );
  }
  return notes;
}

/** Which delivery a run is: the first, a retry of the failed, or the rest after a takeover. */
export type RunKind =
  | { readonly kind: "first"; readonly kept?: readonly PreparedFile[] }
  | { readonly kind: "retry"; readonly before: BroadcastRecord }
  | { readonly kind: "resumed" };

/**
 * Heads the report of a broadcast another instance (or this one, restarted) finished: the
 * sender learns why it took longer and that nobody got it twice.
 */
export const RESUMED_NOTE = ":information_source: The postbot instance sending this stopped " +
  "part-way; the active instance finished it, checking each remaining recipient for a copy " +
  "first, so nobody got it twice.";

/** Delivery runs: each takes a broadcast's pending channels from start to report. */
export class DeliveryRuns {
  readonly #deps: RunDeps;

  constructor(deps: RunDeps) {
    this.#deps = deps;
  }

  /**
   * Delivers the pending recipients of broadcast `id`, as `kind` says: a first delivery (with
   * the files a scheduled broadcast kept, else downloaded), a retry (`before` is the broadcast
   * as it was), or a resumption after the instance sending it stopped. A retry and a
   * resumption look for an earlier copy before posting.
   */
  async deliver(id: string, actor: Actor, release: () => void, kind: RunKind): Promise<void> {
    const record = await this.#deps.broadcastLog.get(id);
    if (record === undefined) return;
    const retrying = kind.kind === "retry" ? kind.before : undefined;
    const kept = kind.kind === "first" ? kind.kept : undefined;
    const notes: string[] = kind.kind === "resumed" ? [RESUMED_NOTE] : [];
    const checkFirst = kind.kind !== "first";
    const { end, pending } = await this.#fanOut(record, { checkFirst, kept, notes });
    if (this.#deps.settings.mayAct?.() === false) {
      // Another instance holds the lease now: anything said or recorded here could contradict
      // what it does. The run is left as it is; the new active resumes it (recovery.ts).
      log.warn("Broadcast {id}: the lease was lost during its run; left to the new active", {
        id,
      });
      return;
    }
    if (end.kind === "finished" || end.kind === "interrupted") {
      await this.#deps.settings.captureSeen?.(record.id).catch((e) =>
        log.warn("Could not record what {id} needs to be seen: {error}", { id, error: e })
      );
    }
    await this.#conclude({ record, actor, retrying, release, pending, notes }, end);
  }

  /**
   * The run up to the end of its fan-out: the recipients checked, then delivered to. Returns
   * how it ended and, when nothing was sent, the recipients to mark failed; a run that sent
   * lets go of its recipient list here (10,000 records for 10,000 people), before the seen
   * capture and the report read the outcome back from the log.
   */
  async #fanOut(
    record: BroadcastRecord,
    run: {
      checkFirst: boolean;
      kept: readonly PreparedFile[] | undefined;
      notes: string[];
    },
  ): Promise<{ end: RunEnd; pending: readonly BroadcastTarget[] }> {
    const all = await this.#pendingTargets(record.id);
    const authorized = await this.#authorize(record, all);
    if (!authorized.ok) return { end: authorized.end, pending: all };
    const pending = await this.#reachable(record.id, authorized.pending);
    const end = await this.#run(record, pending, run);
    return { end, pending: end.kind === "no_files" ? pending : [] };
  }

  /**
   * Asks whether the sender may still send to each pending channel: a channel out of their
   * reach is marked failed with the reason; a sender who may send nothing any more (or one
   * that could not be checked) ends the run before anything is sent.
   */
  async #authorize(
    record: BroadcastRecord,
    pending: readonly BroadcastTarget[],
  ): Promise<
    { ok: true; pending: readonly BroadcastTarget[] } | { ok: false; end: RunEnd }
  > {
    const authority = this.#deps.settings.authority;
    if (authority === undefined || pending.length === 0) return { ok: true, pending };
    const sender = { id: record.senderId, username: record.senderUsername };
    try {
      const verdict = await authority.check(sender, pending);
      if (verdict.kind === "refused") {
        return { ok: false, end: refusedEnd(verdict.refusal, sender.username) };
      }
      for (const { target, reason } of verdict.dropped) {
        await this.#deps.broadcastLog.markFailed(record.id, target, `not sent: ${reason}`);
      }
      if (verdict.dropped.length > 0) {
        log.info("Broadcast {id}: {n} recipients dropped, out of @{user}'s reach now", {
          id: record.id,
          n: verdict.dropped.length,
          user: sender.username,
        });
      }
      return { ok: true, pending: verdict.keep };
    } catch (e) {
      log.warn("Could not check that {user} may still send {id}: {error}", {
        user: sender.username,
        id: record.id,
        error: e,
      });
      const why = e instanceof MattermostError ? e.message : String(e);
      return {
        ok: false,
        end: {
          kind: "refused",
          reason: `I could not check that @${sender.username} may still send it (${why})`,
          audited: `I could not check that @${sender.username} may still send it`,
          dmSender: true,
        },
      };
    }
  }

  /**
   * The recipients still to deliver to, without their delivery state (10,000 of them are
   * held through the run); a stored audit channel is refused here, too.
   */
  async #pendingTargets(id: string): Promise<BroadcastTarget[]> {
    const audit = this.#deps.settings.auditChannelId ?? "";
    const pending: BroadcastTarget[] = [];
    for await (const d of this.#deps.broadcastLog.eachDelivery(id)) {
      if (d.status !== "pending") continue;
      // Resolution refuses the audit channel; this holds for broadcasts stored before, too.
      if (audit !== "" && d.kind === "channel" && d.channelId === audit) {
        await this.#deps.broadcastLog.markFailed(id, d, AUDIT_CHANNEL_REFUSAL);
        continue;
      }
      pending.push(recipientOf(d));
    }
    return pending;
  }

  /**
   * The pending recipients that can be reached now: a person deactivated or gone from the team
   * is marked failed with why. A failure to ask leaves everyone in: delivery then tries.
   */
  async #reachable(
    id: string,
    pending: readonly BroadcastTarget[],
  ): Promise<readonly BroadcastTarget[]> {
    const ask = this.#deps.settings.unreachable;
    const people = pending.filter((d) => d.kind === "person");
    if (ask === undefined || people.length === 0) return pending;
    let gone: Map<string, string>;
    try {
      gone = await ask(people);
    } catch (e) {
      log.warn("Could not check that the people of {id} can be reached: {error}", { id, error: e });
      return pending;
    }
    const reachable: BroadcastTarget[] = [];
    for (const d of pending) {
      const why = d.kind === "person" ? gone.get(d.userId) : undefined;
      if (why === undefined) reachable.push(d);
      else await this.#deps.broadcastLog.markFailed(id, d, `not sent: ${why}`);
    }
    return reachable;
  }

  /**
   * Gets the files and fans out; says how the run ended. `notes` gets what the sender should
   * know besides the outcome (a priority label the server refused).
   */
  async #run(
    record: BroadcastRecord,
    pending: readonly BroadcastTarget[],
    run: { checkFirst: boolean; kept: readonly PreparedFile[] | undefined; notes: string[] },
  ): Promise<RunEnd> {
    const { transport, settings, counters, stopping } = this.#deps;
    const { kept, checkFirst } = run;
    const files = kept !== undefined ? ok([...kept]) : await downloadFiles(transport, record.files);
    if (!files.ok) return { kind: "no_files", reason: files.error.message };
    const options = record.options ?? NO_OPTIONS;
    const ack = options.ack ? settings.acknowledgement : undefined;
    const priority: PriorityLabel = { label: options.priority };
    const tried = await deliverEach({
      broadcastId: record.id,
      message: postedMessage(record.message, settings.attribution, record.senderUsername),
      files: files.value,
      targets: pending,
      checkFirst,
      since: record.createdAt,
      props: ack === undefined
        ? undefined
        : (target) => ack.props(record.id, target, { acknowledged: 0 }),
      priority,
    }, {
      transport,
      journal: this.#deps.broadcastLog,
      botUserId: settings.botUserId,
      botUsername: settings.botUsername,
      directChannels: settings.directChannels,
      concurrency: settings.concurrency,
      mayAct: settings.mayAct,
      slots: this.#deps.slots,
      signal: stopping,
      onOutcome: (o: ChannelOutcome) => {
        if (o.ok) counters.deliveriesOk++;
        else counters.deliveriesFailed++;
      },
    });
    if (!checkFirst) run.notes.push(...optionNotes(record.id, options, ack));
    if (priority.refused !== undefined) {
      run.notes.push(
        `:warning: The server refused the **${options.priority}** label ` +
          `(${priority.refused}), so it went out without it.`,
      );
    }
    return runEnd(tried, pending.length, stopping.aborted);
  }

  /** Records how a run ended and tells the people concerned. */
  async #conclude(run: RunContext, end: RunEnd): Promise<void> {
    const { record, release } = run;
    const { broadcastLog, reports } = this.#deps;
    switch (end.kind) {
      case "no_files":
        await this.#abandon(run, end.reason);
        release();
        return await reports.noFiles(run, end.reason);
      case "interrupted":
        if (this.#deps.settings.mayAct !== undefined) {
          // Another instance takes over: it resumes what this run did not start.
          log.warn("Broadcast {id}: {n} recipients left for the next active instance", {
            id: record.id,
            n: end.notStarted,
          });
          return;
        }
        // Shutting down: what did not start stays pending and is recovered at the next start.
        log.warn("Broadcast {id} interrupted by shutdown: {n} recipients not started", {
          id: record.id,
          n: end.notStarted,
        });
        await this.#interrupt(record.id, "postbot shut down before reaching this");
        return await reports.interrupted(
          record,
          "postbot is shutting down and could not finish your broadcast. ",
        );
      case "finished":
        await broadcastLog.finish(record.id, "done");
        release();
        return await reports.finished(run, run.notes);
      case "refused":
        await this.#abandon(run, end.audited);
        release();
        return await reports.refused(run, end);
      default:
        return unreachable(end);
    }
  }

  /**
   * Nothing of this run was sent: its channels fail with `reason`. A first delivery is
   * aborted; a retry changes nothing that was delivered, so the broadcast keeps its outcome.
   */
  async #abandon({ record, retrying, pending }: RunContext, reason: string): Promise<void> {
    const { broadcastLog } = this.#deps;
    for (const d of pending) await broadcastLog.markFailed(record.id, d, `not sent: ${reason}`);
    if (retrying === undefined) await broadcastLog.finish(record.id, "aborted", reason);
    else await broadcastLog.finish(record.id, finalStatus(retrying), retrying.error ?? undefined);
  }

  /** Shutdown stopped the run: recipients not started fail, the broadcast is interrupted. */
  async #interrupt(id: string, reason: string): Promise<void> {
    const { broadcastLog } = this.#deps;
    for await (const d of broadcastLog.eachDelivery(id)) {
      if (d.status !== "pending") continue;
      await broadcastLog.markFailed(
        id,
        d,
        `not sent: ${reason} ${d.kind === "channel" ? "channel" : "person"}`,
      );
    }
    await broadcastLog.finish(id, "interrupted", `${reason} recipient`);
  }
}
