/**
 * The delivery engine's front: runs broadcasts from confirmation to report, in the background
 * (the sender keeps using commands meanwhile). Each phase has a module of its own: a delivery
 * run, first or retry (run.ts), `!undo` (undo.ts), recovery of broadcasts a crash interrupted
 * (recovery.ts), and the tracking and draining of work in progress (jobs.ts); who is told
 * what is outcome_reports.ts's.
 *
 * @module
 */

import { logger, type RestTransport, Semaphore } from "@postbot/framework";
import type { SenderAuthority } from "../authority.ts";
import type { Attribution } from "../config.ts";
import type { Notifier } from "../notifier.ts";
import type { ChannelPrivacy } from "../privacy.ts";
import { BroadcastAudit } from "./audit.ts";
import type { DirectChannelSource, PreparedFile } from "./delivery.ts";
import { BroadcastJobs } from "./jobs.ts";
import type { BroadcastLog } from "./log.ts";
import {
  type Actor,
  type BroadcastRequest,
  type BroadcastTarget,
  newBroadcastId,
  type PersonTarget,
} from "./model.ts";
import { OutcomeReports } from "./outcome_reports.ts";
import { recoverInterrupted, resumableBroadcasts } from "./recovery.ts";
import { type BroadcastCounters, DeliveryRuns } from "./run.ts";
import { undoBroadcast } from "./undo.ts";
import type { AckRequest } from "./ack_post.ts";

const log = logger("broadcast");

/**
 * A scheduled broadcast going out: it keeps the id it was scheduled under, and its files come
 * from the copies made at confirmation (the sender's DM may be gone by now).
 */
export interface ScheduledSource {
  readonly id: string;
  readonly files: readonly PreparedFile[];
}

/** Settings the broadcaster reads from the configuration. */
export interface BroadcasterSettings {
  readonly concurrency: number;
  readonly attribution: Attribution;
  readonly undoWindowSeconds: number;
  readonly botUserId: string;
  readonly botUsername: string;
  /** BOT_LOG_CHANNEL_ID: never a target, whatever a stored broadcast says. */
  readonly auditChannelId?: string;
  /** Masks private channels in reports to people who are not their members. */
  readonly privacy?: ChannelPrivacy;
  /** Whether a user is an administrator (sees every channel in reports). */
  readonly isAdmin?: (userId: string, username: string) => boolean;
  /**
   * Whether the sender may still send, asked before every delivery run (a first send, a
   * scheduled one, a retry); absent, nobody is checked (unit tests).
   */
  readonly authority?: Pick<SenderAuthority, "check">;
  /** Writes audit lines under the audit rule; by default from the notifier and `privacy`. */
  readonly audit?: BroadcastAudit;
  /** People's DM channels (kept in the database); absent, people cannot be delivered to. */
  readonly directChannels?: DirectChannelSource;
  /** Which people cannot be reached now, with why (asked before each run with people). */
  readonly unreachable?: (people: readonly PersonTarget[]) => Promise<Map<string, string>>;
  /** The automatic reminders' loop, woken when a broadcast asks for one. */
  readonly reminders?: { wake(): void };
  /**
   * What a post asking for acknowledgement carries (a button, or the request to react);
   * absent, acknowledgement is not asked for even when a broadcast chose it (unit tests).
   */
  readonly acknowledgement?: AckRequest;
  /** Records the seen thresholds of what a run delivered (see seen_threshold.ts). */
  readonly captureSeen?: (broadcastId: string) => Promise<void>;
  /**
   * Whether this instance still holds the lease; absent, the sole instance. Present, shutdown
   * leaves unfinished runs to the next active (see run.ts).
   */
  readonly mayAct?: () => boolean;
}

/** Runs and tracks broadcasts. */
export class Broadcaster {
  readonly counters: BroadcastCounters = { broadcasts: 0, deliveriesOk: 0, deliveriesFailed: 0 };
  readonly #transport: RestTransport;
  readonly #broadcastLog: BroadcastLog;
  readonly #settings: BroadcasterSettings;
  readonly #jobs = new BroadcastJobs();
  readonly #reports: OutcomeReports;
  readonly #runs: DeliveryRuns;

  constructor(
    transport: RestTransport,
    broadcastLog: BroadcastLog,
    notifier: Notifier,
    settings: BroadcasterSettings,
  ) {
    this.#transport = transport;
    this.#broadcastLog = broadcastLog;
    this.#settings = settings;
    const auditor = settings.audit ?? new BroadcastAudit(
      (text) => notifier.audit(text),
      (channel) => settings.privacy?.isPrivate(channel) ?? Promise.resolve(false),
    );
    this.#reports = new OutcomeReports(broadcastLog, notifier, settings, auditor);
    this.#runs = new DeliveryRuns({
      transport,
      broadcastLog,
      reports: this.#reports,
      counters: this.counters,
      slots: new Semaphore(settings.concurrency),
      stopping: this.#jobs.stopping,
      settings,
    });
  }

  /** Broadcasts (or retries, undos) in progress. */
  get running(): number {
    return this.#jobs.running;
  }

  /** Whether a broadcast is being delivered, retried or undone right now. */
  isBusy(id: string): boolean {
    return this.#jobs.isBusy(id);
  }

  /**
   * Records the broadcast and starts delivering it in the background; returns its id.
   * `announce` (e.g. "Sending broadcast ...") runs first, so the sender never reads the report
   * before the announcement; its failure does not stop the delivery.
   */
  async send(
    request: BroadcastRequest,
    announce?: (id: string) => Promise<void>,
    scheduled?: ScheduledSource,
  ): Promise<string> {
    const id = scheduled?.id ?? newBroadcastId();
    await this.#broadcastLog.create({
      id,
      senderId: request.sender.id,
      senderUsername: request.sender.username,
      targetAnswer: request.answer,
      message: request.message,
      files: request.files,
      sourcePostId: request.sourcePostId,
      targets: request.targets,
      options: request.options,
    });
    if (request.options?.remindAfterMs != null) this.#settings.reminders?.wake();
    this.counters.broadcasts++;
    // Only these go into the closure: `request` holds every target (10,000 people), which the
    // run reads again from the log, so it is not kept alive for the whole delivery.
    const sender = request.sender;
    const kept = scheduled?.files;
    this.#jobs.track(id, async (release) => {
      await announce?.(id).catch((e) =>
        log.warn("Could not announce broadcast {id}: {error}", { id, error: e })
      );
      await this.#runs.deliver(id, sender, release, { kind: "first", kept });
    });
    return id;
  }

  /** Delivers again to the recipients that failed; returns how many will be tried. */
  async retry(id: string, actor: Actor): Promise<number> {
    const before = await this.#broadcastLog.get(id);
    const n = await this.#broadcastLog.reopenFailed(id);
    if (before === undefined || n === 0) return 0;
    await this.#broadcastLog.addEvent(id, actor, "retry", `${n} recipients`);
    this.#jobs.track(
      id,
      (release) => this.#runs.deliver(id, actor, release, { kind: "retry", before }),
    );
    return n;
  }

  /** Deletes every delivered post of a broadcast; resolves with the report text. */
  undo(id: string, actor: Actor): Promise<string> {
    const done = Promise.withResolvers<string>();
    this.#jobs.track(id, async () => {
      try {
        done.resolve(
          await undoBroadcast(
            {
              transport: this.#transport,
              broadcastLog: this.#broadcastLog,
              reports: this.#reports,
            },
            id,
            actor,
          ),
        );
      } catch (e) {
        done.reject(e);
      }
    });
    return done.promise;
  }

  /**
   * After a takeover: the broadcasts the previous active left unfinished are delivered on,
   * each recipient's channel searched first so nobody gets a second copy (see recovery.ts).
   */
  async resume(): Promise<number> {
    const records = await resumableBroadcasts(this.#broadcastLog);
    for (const record of records) {
      const sender = { id: record.senderId, username: record.senderUsername };
      this.#jobs.track(
        record.id,
        (release) => this.#runs.deliver(record.id, sender, release, { kind: "resumed" }),
      );
    }
    return records.length;
  }

  /** Settles broadcasts a previous process left pending (see recovery.ts). */
  async recover(): Promise<void> {
    await recoverInterrupted({
      transport: this.#transport,
      broadcastLog: this.#broadcastLog,
      reports: this.#reports,
      botUserId: this.#settings.botUserId,
      directChannels: this.#settings.directChannels,
    });
  }

  /** The recipients among `targets` that `reader` may not see named (keys, see targetKey). */
  hiddenFor(reader: Actor, targets: readonly BroadcastTarget[]): Promise<Set<string>> {
    return this.#reports.hiddenFor(reader, targets);
  }

  /**
   * For shutdown: waits up to `graceMs` for deliveries in progress, then stops starting new
   * channels; after `inFlightMs` more it gives up on hanging requests (see jobs.ts).
   * Resolves true when everything finished within the grace period.
   */
  drain(graceMs: number, inFlightMs = 15_000): Promise<boolean> {
    return this.#jobs.drain(graceMs, inFlightMs);
  }
}
