/**
 * Runs broadcasts from confirmation to report: records the broadcast, downloads the files,
 * fans out, tells the sender how it went and posts the audit summary. Also `!retry`, `!undo`,
 * recovery of broadcasts interrupted by a crash, and draining on shutdown.
 *
 * Deliveries run in the background: the sender can use commands (or start another
 * broadcast) while one is going out.
 *
 * @module
 */

import {
  isStatus,
  logger,
  MattermostError,
  ok,
  type RestTransport,
  Semaphore,
  settleSoon,
  unreachable,
} from "@postbot/framework";
import type { Notifier } from "../notifier.ts";
import { plural } from "../format.ts";
import {
  type ChannelOutcome,
  deliver,
  downloadFiles,
  explain,
  findBroadcastPost,
  type PreparedFile,
} from "./delivery.ts";
import type { BroadcastLog } from "./log.ts";
import { deliveryReport } from "./report.ts";
import type { Attribution } from "../config.ts";
import { type ChannelPrivacy, hiddenChannelsText } from "../privacy.ts";
import { reachable, refusalText, type SenderAuthority, type SenderRefusal } from "../authority.ts";
import { BroadcastAudit, deliveryEvent } from "./audit.ts";
import {
  type Actor,
  type BroadcastRecord,
  type BroadcastRequest,
  type DeliveryRecord,
  newBroadcastId,
  postedMessage,
} from "./model.ts";

const log = logger("broadcast");

/**
 * A scheduled broadcast going out: it keeps the id it was scheduled under, and its files come
 * from the copies made at confirmation (the sender's DM may be gone by now).
 */
export interface ScheduledSource {
  readonly id: string;
  readonly files: readonly PreparedFile[];
}

/** Counters for the metrics endpoint. */
export interface BroadcastCounters {
  broadcasts: number;
  deliveriesOk: number;
  deliveriesFailed: number;
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
}

/** Why a stored delivery to the audit channel is refused. */
export const AUDIT_CHANNEL_REFUSAL =
  "not sent: this is the bot's audit channel (BOT_LOG_CHANNEL_ID), which never receives " +
  "broadcasts";

/** The status a broadcast had when it was last over (a retry only starts on one that is). */
function finalStatus(b: BroadcastRecord): Exclude<BroadcastRecord["status"], "pending"> {
  return b.status === "pending" ? "interrupted" : b.status;
}

/**
 * What the sender reads when a retry could not download the files: nothing changed, and the
 * channels that have the broadcast must not get it again (so no advice to send it anew).
 */
export function retryFailedText(
  id: string,
  reason: string,
  deliveries: readonly DeliveryRecord[],
): string {
  const n = deliveries.filter((d) => d.status === "delivered").length;
  const unchanged = n === 0
    ? `No channel has broadcast \`${id}\` yet; send the message again with its files.`
    : `The ${plural(n, "channel")} that already ${n === 1 ? "has" : "have"} broadcast ` +
      `\`${id}\` ${n === 1 ? "is" : "are"} unchanged.`;
  return `**The retry sent nothing**: ${reason}. ${unchanged}`;
}

/** How one delivery run ended. */
export type RunEnd =
  /** The files could not be downloaded: nothing was sent. */
  | { readonly kind: "no_files"; readonly reason: string }
  /** Shutdown stopped it before every channel was started. */
  | { readonly kind: "interrupted"; readonly notStarted: number }
  /** Every pending channel was tried. */
  | { readonly kind: "finished" }
  /** The sender may send nothing any more (or that could not be checked): nothing was sent. */
  | {
    readonly kind: "refused";
    /** Why, for the sender and the actor. */
    readonly reason: string;
    /** Why, for the audit channel: no server error text (it might name a channel). */
    readonly audited: string;
    readonly dmSender: boolean;
  };

/** How a run that got its files ended: `started` of `pending` channels were begun. */
export function runEnd(started: number, pending: number, shuttingDown: boolean): RunEnd {
  return shuttingDown && started < pending
    ? { kind: "interrupted", notStarted: pending - started }
    : { kind: "finished" };
}

/** One delivery run: the broadcast, who started it, and how to let go of it. */
interface RunContext {
  readonly record: BroadcastRecord;
  readonly actor: Actor;
  /** The broadcast as it was before a retry; undefined for a first delivery. */
  readonly retrying: BroadcastRecord | undefined;
  /** Ends "busy" once the outcome is recorded (before reporting it). */
  readonly release: () => void;
  readonly pending: readonly DeliveryRecord[];
}

/** Runs and tracks broadcasts. */
export class Broadcaster {
  readonly counters: BroadcastCounters = { broadcasts: 0, deliveriesOk: 0, deliveriesFailed: 0 };
  readonly #transport: RestTransport;
  readonly #log: BroadcastLog;
  readonly #notifier: Notifier;
  readonly #settings: BroadcasterSettings;
  /** Channel deliveries in flight across all broadcasts. */
  readonly #slots: Semaphore;
  readonly #running = new Set<Promise<void>>();
  /** Work in progress per broadcast id (a retry may start while a report is being sent). */
  readonly #busy = new Map<string, number>();
  readonly #shutdown = new AbortController();
  readonly #auditor: BroadcastAudit;

  constructor(
    transport: RestTransport,
    broadcastLog: BroadcastLog,
    notifier: Notifier,
    settings: BroadcasterSettings,
  ) {
    this.#transport = transport;
    this.#log = broadcastLog;
    this.#notifier = notifier;
    this.#settings = settings;
    this.#slots = new Semaphore(settings.concurrency);
    this.#auditor = settings.audit ?? new BroadcastAudit(
      (text) => notifier.audit(text),
      (channel) => settings.privacy?.isPrivate(channel) ?? Promise.resolve(false),
    );
  }

  /** Broadcasts (or retries, undos) in progress. */
  get running(): number {
    return this.#running.size;
  }

  /** Whether a broadcast is being delivered, retried or undone right now. */
  isBusy(id: string): boolean {
    return this.#busy.has(id);
  }

  /**
   * Records the broadcast and starts delivering it in the background; returns its id.
   * `announce` (e.g. "Sending broadcast ...") runs first, so the sender never reads the report
   * before the announcement; its failure does not stop the delivery.
   */
  send(
    request: BroadcastRequest,
    announce?: (id: string) => Promise<void>,
    scheduled?: ScheduledSource,
  ): string {
    const id = scheduled?.id ?? newBroadcastId();
    this.#log.create({
      id,
      senderId: request.sender.id,
      senderUsername: request.sender.username,
      targetAnswer: request.answer,
      message: request.message,
      files: request.files,
      sourcePostId: request.sourcePostId,
      targets: request.targets,
    });
    this.counters.broadcasts++;
    this.#track(id, async (release) => {
      await announce?.(id).catch((e) =>
        log.warn("Could not announce broadcast {id}: {error}", { id, error: e })
      );
      await this.#deliver(id, request.sender, undefined, release, scheduled?.files);
    });
    return id;
  }

  /** Delivers again to the channels that failed; returns how many will be tried. */
  retry(id: string, actor: Actor): number {
    const before = this.#log.get(id);
    const n = this.#log.reopenFailed(id);
    if (before === undefined || n === 0) return 0;
    this.#log.addEvent(id, actor, "retry", `${n} channels`);
    this.#track(id, (release) => this.#deliver(id, actor, before, release));
    return n;
  }

  /** Deletes every delivered post of a broadcast; resolves with the report text. */
  undo(id: string, actor: Actor): Promise<string> {
    const done = Promise.withResolvers<string>();
    this.#track(id, async () => {
      try {
        done.resolve(await this.#undo(id, actor));
      } catch (e) {
        done.reject(e);
      }
    });
    return done.promise;
  }

  /**
   * Runs work on a broadcast in the background. The broadcast counts as busy until the work
   * calls `release` (once its outcome is recorded, before reporting it: the sender may act on
   * the report at once) or ends.
   */
  #track(id: string, work: (release: () => void) => Promise<void>): void {
    this.#busy.set(id, (this.#busy.get(id) ?? 0) + 1);
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      const left = (this.#busy.get(id) ?? 1) - 1;
      if (left > 0) this.#busy.set(id, left);
      else this.#busy.delete(id);
    };
    const run: Promise<void> = work(release)
      .catch((e) => log.error("Broadcast {id} failed: {error}", { id, error: e }))
      .finally(() => {
        this.#running.delete(run);
        release();
        settleSoon();
      });
    this.#running.add(run);
  }

  /** Delivers the pending channels; `retrying` is the broadcast as it was before a retry. */
  async #deliver(
    id: string,
    actor: Actor,
    retrying: BroadcastRecord | undefined,
    release: () => void,
    kept?: readonly PreparedFile[],
  ): Promise<void> {
    const record = this.#log.get(id);
    if (record === undefined) return;
    const all = this.#pendingTargets(id);
    const authorized = await this.#authorize(record, all);
    const pending = authorized.ok ? authorized.pending : all;
    const end = authorized.ok
      ? await this.#run(record, pending, retrying !== undefined, kept)
      : authorized.end;
    await this.#conclude({ record, actor, retrying, release, pending }, end);
  }

  /**
   * Asks whether the sender may still send to each pending channel: a channel out of their
   * reach is marked failed with the reason; a sender who may send nothing any more (or one
   * that could not be checked) ends the run before anything is sent.
   */
  async #authorize(
    record: BroadcastRecord,
    pending: readonly DeliveryRecord[],
  ): Promise<
    { ok: true; pending: readonly DeliveryRecord[] } | { ok: false; end: RunEnd }
  > {
    const authority = this.#settings.authority;
    if (authority === undefined || pending.length === 0) return { ok: true, pending };
    const sender = { id: record.senderId, username: record.senderUsername };
    try {
      const verdict = await authority.check(sender, pending);
      if (verdict.kind === "refused") {
        return { ok: false, end: refusedEnd(verdict.refusal, sender.username) };
      }
      for (const { target, reason } of verdict.dropped) {
        this.#log.markFailed(record.id, target.channelId, `not sent: ${reason}`);
      }
      if (verdict.dropped.length > 0) {
        log.info("Broadcast {id}: {n} channels dropped, out of @{user}'s reach now", {
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

  /** The channels still to deliver to; a stored audit channel is refused here, too. */
  #pendingTargets(id: string): DeliveryRecord[] {
    const audit = this.#settings.auditChannelId ?? "";
    return this.#log.deliveries(id).filter((d) => {
      if (d.status !== "pending") return false;
      // Resolution refuses the audit channel; this holds for broadcasts stored before, too.
      if (audit !== "" && d.channelId === audit) {
        this.#log.markFailed(id, d.channelId, AUDIT_CHANNEL_REFUSAL);
        return false;
      }
      return true;
    });
  }

  /** Gets the files and fans out; says how the run ended. */
  async #run(
    record: BroadcastRecord,
    pending: readonly DeliveryRecord[],
    checkFirst: boolean,
    kept: readonly PreparedFile[] | undefined,
  ): Promise<RunEnd> {
    const files = kept !== undefined
      ? ok([...kept])
      : await downloadFiles(this.#transport, record.files);
    if (!files.ok) return { kind: "no_files", reason: files.error.message };
    const outcomes = await deliver({
      broadcastId: record.id,
      message: postedMessage(record.message, this.#settings.attribution, record.senderUsername),
      files: files.value,
      targets: pending,
      checkFirst,
      since: record.createdAt,
    }, {
      transport: this.#transport,
      journal: this.#log,
      botUserId: this.#settings.botUserId,
      botUsername: this.#settings.botUsername,
      concurrency: this.#settings.concurrency,
      slots: this.#slots,
      signal: this.#shutdown.signal,
      onOutcome: (o: ChannelOutcome) => {
        if (o.ok) this.counters.deliveriesOk++;
        else this.counters.deliveriesFailed++;
      },
    });
    return runEnd(outcomes.length, pending.length, this.#shutdown.signal.aborted);
  }

  /** Records how a run ended and tells the people concerned. */
  async #conclude(run: RunContext, end: RunEnd): Promise<void> {
    const { record, retrying, release } = run;
    const id = record.id;
    switch (end.kind) {
      case "no_files":
        for (const d of run.pending) {
          this.#log.markFailed(id, d.channelId, `not sent: ${end.reason}`);
        }
        if (retrying === undefined) this.#log.finish(id, "aborted", end.reason);
        // A retry changes nothing that was delivered: the broadcast keeps its outcome.
        else this.#log.finish(id, finalStatus(retrying), retrying.error ?? undefined);
        release();
        return await this.#reportNoFiles(run, end.reason);
      case "interrupted":
        // Shutting down: what did not start stays pending and is recovered at the next start.
        log.warn("Broadcast {id} interrupted by shutdown: {n} channels not started", {
          id,
          n: end.notStarted,
        });
        this.#interrupt(id, "postbot shut down before reaching this channel");
        return await this.#report(
          record,
          "postbot is shutting down and could not finish your broadcast. ",
        );
      case "finished":
        this.#log.finish(id, "done");
        release();
        return await this.#reportFinished(run);
      case "refused":
        for (const d of run.pending) {
          this.#log.markFailed(id, d.channelId, `not sent: ${end.audited}`);
        }
        if (retrying === undefined) this.#log.finish(id, "aborted", end.audited);
        else this.#log.finish(id, finalStatus(retrying), retrying.error ?? undefined);
        release();
        return await this.#reportRefused(run, end);
      default:
        return unreachable(end);
    }
  }

  /** Nothing was sent because the files could not be had: the sender (and actor) learn why. */
  async #reportNoFiles({ record, actor, retrying }: RunContext, reason: string): Promise<void> {
    const id = record.id;
    const text = retrying === undefined
      ? `**Nothing was sent** (broadcast \`${id}\`): ${reason}. Send the message again with ` +
        "its files."
      : retryFailedText(id, reason, this.#log.deliveries(id));
    await this.#notifier.dm(record.senderId, text);
    if (actor.id !== record.senderId) await this.#notifier.dm(actor.id, text);
    await this.#audit(
      record,
      this.#log.deliveries(id),
      retrying === undefined ? "Aborted broadcast" : "Failed retry",
      actor.username,
    );
  }

  /** The sender may send nothing any more: they (when reachable), the actor and the audit learn why. */
  async #reportRefused(
    { record, actor, retrying }: RunContext,
    end: Extract<RunEnd, { kind: "refused" }>,
  ): Promise<void> {
    const id = record.id;
    const text = retrying === undefined
      ? `**Broadcast \`${id}\` was not sent**: ${end.reason}. Nothing was posted.`
      : retryFailedText(id, end.reason, this.#log.deliveries(id));
    if (end.dmSender) await this.#notifier.dm(record.senderId, text);
    if (actor.id !== record.senderId) await this.#notifier.dm(actor.id, text);
    const deliveries = this.#log.deliveries(id);
    await this.#auditor.post({
      ...deliveryEvent(
        record,
        deliveries,
        retrying === undefined ? "Refused broadcast" : "Refused retry",
        actor.username,
      ),
      detail: `nothing sent, because ${end.audited}`,
    });
    log.warn("Broadcast {id} by {user} refused: {reason}", {
      id,
      user: record.senderUsername,
      reason: end.reason,
    });
  }

  /** Every channel was tried: the report to the sender (and actor), the audit line, the log. */
  async #reportFinished({ record, actor, retrying }: RunContext): Promise<void> {
    const deliveries = this.#log.deliveries(record.id);
    const report = (hidden: ReadonlySet<string>) =>
      deliveryReport(record, deliveries, {
        undoWindowSeconds: this.#settings.undoWindowSeconds,
        heading: retrying !== undefined ? "Retry finished. " : "",
        hidden,
      });
    const sender = { id: record.senderId, username: record.senderUsername };
    await this.#dmReport(sender, deliveries, report);
    // An admin retrying someone else's broadcast wants to know how it went, too.
    if (actor.id !== record.senderId) await this.#dmReport(actor, deliveries, report);
    await this.#audit(
      record,
      deliveries,
      retrying !== undefined ? "Retry" : "Broadcast",
      actor.username,
    );
    log.info("Broadcast {id} by {user}: {ok}/{total} delivered", {
      id: record.id,
      user: record.senderUsername,
      ok: deliveries.filter((d) => d.status === "delivered").length,
      total: deliveries.length,
    });
  }

  async #undo(id: string, actor: Actor): Promise<string> {
    const record = this.#log.get(id)!;
    const delivered = this.#log.deliveries(id).filter((d) => d.status === "delivered");
    const failures: string[] = [];
    const hidden = await this.hiddenFor(actor, delivered.map((d) => d.channelId));
    let hiddenFailures = 0;
    let deleted = 0;
    for (const d of delivered) {
      try {
        const response = await this.#transport.send(this.#transport.api(`/posts/${d.postId}`), {
          method: "DELETE",
        });
        await response.text().catch(() => {}); // read: lets its time limit go
        this.#log.markDeleted(id, d.channelId);
        deleted++;
      } catch (e) {
        if (isStatus(e, 404)) {
          this.#log.markDeleted(id, d.channelId); // already gone
          deleted++;
        } else if (hidden.has(d.channelId)) {
          hiddenFailures++;
        } else {
          failures.push(
            `- ~${d.name}: ${explain(e, d, e instanceof MattermostError ? e.attempts : 1)}`,
          );
        }
      }
    }
    this.#log.addEvent(id, actor, "undo", `${deleted} of ${delivered.length} posts deleted`);
    const deliveries = this.#log.deliveries(id);
    await this.#audit(record, deliveries, "Undo", actor.username);
    log.info("{user} undid broadcast {id}: {n} posts deleted", {
      user: actor.username,
      id,
      n: deleted,
    });
    if (hiddenFailures > 0) failures.push(`- ${hiddenChannelsText(hiddenFailures)}`);
    return `Deleted broadcast \`${id}\` from ${plural(deleted, "channel")}.` +
      (failures.length > 0 ? `\nCould not delete it from:\n${failures.join("\n")}` : "");
  }

  /**
   * Settles broadcasts a previous process left pending: a channel caught mid-delivery is
   * checked on the server (by the broadcast tag) and marked delivered or failed; channels
   * never started are marked failed. The sender learns what arrived and can `!retry`.
   */
  async recover(): Promise<void> {
    for (const record of this.#log.unfinished()) {
      for (const d of this.#log.deliveries(record.id)) {
        if (d.status === "sending") {
          try {
            const postId = await findBroadcastPost(
              this.#transport,
              this.#settings.botUserId,
              record.id,
              d.channelId,
              record.createdAt,
            );
            if (postId !== undefined) this.#log.markDelivered(record.id, d.channelId, postId);
            else {
              this.#log.markFailed(
                record.id,
                d.channelId,
                "interrupted: postbot stopped while sending here, and the post did not arrive",
              );
            }
          } catch (e) {
            this.#log.markFailed(
              record.id,
              d.channelId,
              `interrupted, and the channel could not be checked (${explain(e, d, 1)})`,
            );
          }
        } else if (d.status === "pending") {
          this.#log.markFailed(
            record.id,
            d.channelId,
            "not sent: postbot stopped before reaching this channel",
          );
        }
      }
      this.#log.finish(record.id, "interrupted");
      this.#log.addEvent(record.id, { id: "", username: "postbot" }, "recovered");
      await this.#report(record, "postbot was restarted while delivering your broadcast. ");
      log.warn("Recovered interrupted broadcast {id}", { id: record.id });
    }
  }

  async #report(record: BroadcastRecord, heading: string): Promise<void> {
    const deliveries = this.#log.deliveries(record.id);
    await this.#dmReport(
      { id: record.senderId, username: record.senderUsername },
      deliveries,
      (hidden) =>
        deliveryReport(record, deliveries, {
          undoWindowSeconds: this.#settings.undoWindowSeconds,
          heading,
          listDelivered: true,
          hidden,
        }),
    );
    await this.#audit(record, deliveries, "Interrupted broadcast");
  }

  /**
   * The private channels of a broadcast `reader` may not see named (not a member, not an
   * admin). Failing to check hides the channel: a report must never leak one.
   */
  async hiddenFor(reader: Actor, channelIds: readonly string[]): Promise<Set<string>> {
    const { privacy, isAdmin } = this.#settings;
    if (privacy === undefined) return new Set();
    const viewer = privacy.viewer(reader.id, isAdmin?.(reader.id, reader.username) ?? false);
    const hidden = new Set<string>();
    for (const id of channelIds) {
      const visible = await viewer.canSee({ id }).catch((e) => {
        log.warn("Could not check whether {user} may see channel {channel}: {error}", {
          user: reader.username,
          channel: id,
          error: e,
        });
        return false;
      });
      if (!visible) hidden.add(id);
    }
    return hidden;
  }

  /** Posts the audit line, under the audit rule (see audit.ts). */
  async #audit(
    record: BroadcastRecord,
    deliveries: readonly DeliveryRecord[],
    action?: string,
    actor?: string,
  ): Promise<void> {
    await this.#auditor.post(deliveryEvent(record, deliveries, action, actor));
  }

  /** DMs a report, written for its reader: private channels they are not in are counted. */
  async #dmReport(
    reader: Actor,
    deliveries: readonly DeliveryRecord[],
    text: (hidden: ReadonlySet<string>) => string,
  ): Promise<void> {
    const hidden = await this.hiddenFor(reader, deliveries.map((d) => d.channelId));
    await this.#notifier.dm(reader.id, text(hidden));
  }

  #interrupt(id: string, reason: string): void {
    for (const d of this.#log.deliveries(id)) {
      if (d.status === "pending") this.#log.markFailed(id, d.channelId, `not sent: ${reason}`);
    }
    this.#log.finish(id, "interrupted", reason);
  }

  /**
   * For shutdown: waits up to `graceMs` for deliveries in progress; then stops starting new
   * channels (channels already being sent finish) and records the rest as not sent. A request
   * that hangs must not keep the process alive: after `inFlightMs` more, drain gives up and
   * what is still running is settled by {@link recover} at the next start.
   * Resolves true when everything finished within the grace period.
   */
  async drain(graceMs: number, inFlightMs = 15_000): Promise<boolean> {
    if (this.#running.size === 0) return true;
    const within = async (ms: number) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
      const finished = Promise.all([...this.#running]).then(() => true as const);
      const done = await Promise.race([finished, timeout]);
      clearTimeout(timer);
      return done;
    };
    const inTime = await within(graceMs);
    if (!inTime) {
      this.#shutdown.abort();
      if (!await within(inFlightMs)) {
        log.warn("{n} deliveries still hang after shutdown; they are recovered at the next start", {
          n: this.#running.size,
        });
      }
    }
    return inTime;
  }
}

/** How a run ends when the sender may send nothing any more. */
function refusedEnd(refusal: SenderRefusal, username: string): RunEnd {
  const reason = refusalText(refusal, username);
  return { kind: "refused", reason, audited: reason, dmSender: reachable(refusal) };
}
