/**
 * Scheduling a confirmed broadcast: reads the sender's time zone from their Mattermost
 * profile, keeps the files as they are now, stores the broadcast and wakes the due loop.
 *
 * @module
 */

import {
  fail,
  type FileBytes,
  isTimeZone,
  logger,
  MattermostError,
  ok,
  type Problem,
  type RestTransport,
  type Result,
} from "@postbot/framework";
import { auditRecipients, type BroadcastAudit } from "../audit.ts";
import { code } from "../../format.ts";
import type { Notifier } from "../../notifier.ts";
import type { Scheduler } from "./scheduler.ts";
import { approversOf, tellApprovers } from "../approval/approvers.ts";
import type { ScheduledStore } from "./scheduled_broadcasts.ts";
import { describeSendTime, profileZone, type SendTime } from "./time_expression.ts";
import {
  type ApprovalState,
  type BroadcastFile,
  type BroadcastTarget,
  newBroadcastId,
  peopleOf,
  recipientsText,
} from "../model.ts";
import { type BroadcastOptions, NO_OPTIONS, optionsText } from "../options.ts";

const log = logger("schedule");

/** What is scheduled: the draft, the answer and the time. */
export interface LaterRequest {
  readonly sender: { readonly id: string; readonly username: string };
  readonly message: string;
  readonly files: readonly BroadcastFile[];
  readonly sourcePostId: string;
  readonly answer: string;
  /** The recipients the answer leads to now (a channel's type decides what the audit shows). */
  readonly targets: readonly (BroadcastTarget & { readonly type?: "O" | "P" })[];
  readonly time: SendTime;
  /** The options chosen at the preview; they go out with it. */
  readonly options?: BroadcastOptions;
}

/** What {@link SendLater} works with. */
export interface SendLaterDeps {
  readonly transport: RestTransport;
  readonly store: ScheduledStore;
  readonly scheduler: Scheduler;
  readonly notifier: Pick<Notifier, "dm">;
  /** Audit lines, under the audit rule. */
  readonly audit: Pick<BroadcastAudit, "post">;
  /** The scheduler's zone, for senders whose profile names none. */
  readonly fallbackZone: () => string;
}

/** Schedules broadcasts for the wizard. */
export class SendLater {
  readonly #deps: SendLaterDeps;

  constructor(deps: SendLaterDeps) {
    this.#deps = deps;
  }

  /** The store, for commands that list or change scheduled broadcasts. */
  get store(): ScheduledStore {
    return this.#deps.store;
  }

  /** The sender's zone: their profile's automatic or manual zone, else the scheduler's. */
  async zoneOf(userId: string): Promise<string> {
    try {
      const user = await this.#deps.transport.getJson<{ timezone?: Record<string, unknown> }>(
        `/users/${userId}`,
      );
      return profileZone(user.timezone, isTimeZone) ?? this.#deps.fallbackZone();
    } catch (e) {
      log.warn("Could not read the time zone of {user}: {error}", { user: userId, error: e });
      return this.#deps.fallbackZone();
    }
  }

  /** Cancels a pending broadcast (after the yes of `!cancel`); the text to answer with. */
  async cancel(id: string, actor: { id: string; username: string }): Promise<string> {
    const awaiting = (await this.#deps.store.get(id))?.status === "awaiting_approval";
    if (!await this.#deps.store.cancel(id)) {
      const s = await this.#deps.store.get(id);
      return s?.status === "sent"
        ? `Scheduled broadcast ${code(id)} has gone out already; \`!undo ${id}\` takes it back.`
        : `Broadcast ${code(id)} is not scheduled any more; nothing was changed.`;
    }
    await this.#deps.store.removeFiles(id).catch((e) =>
      log.warn("Could not remove the files of {id}: {error}", { id, error: e })
    );
    this.#deps.scheduler.wake();
    const s = await this.#deps.store.get(id);
    log.info("{user} cancelled scheduled broadcast {id}", { user: actor.username, id });
    await this.#deps.audit.post({
      action: "Cancelled",
      id,
      actor: actor.username,
      ...(s !== undefined ? { sender: s.senderUsername } : {}),
      at: Date.now(),
      detail: "scheduled broadcast, nothing was sent",
      channels: undefined,
    });
    if (awaiting && s?.approval !== undefined) {
      // Nobody approves what was withdrawn without knowing it.
      await tellApprovers(
        this.#deps.notifier,
        approversOf(s.approval),
        `@${actor.username} withdrew broadcast ${code(id)} by @${s.senderUsername}, which you ` +
          "were asked to approve; nothing to decide.",
      );
    }
    if (s !== undefined && s.senderId !== actor.id) {
      await this.#deps.notifier.dm(
        s.senderId,
        `@${actor.username} cancelled your scheduled broadcast ${code(id)}; it will not be sent.`,
      );
    }
    return `Cancelled scheduled broadcast ${code(id)}; nothing was sent, and its files are gone.`;
  }

  /**
   * Keeps a copy of the files and stores the broadcast (awaiting approval when `approval` is
   * given): its id, or the problem (nothing was stored).
   */
  async keep(r: LaterRequest, approval?: ApprovalState): Promise<Result<string, Problem>> {
    const contents: FileBytes[] = [];
    for (const f of r.files) {
      try {
        contents.push(await this.#deps.transport.downloadFile(f.id));
      } catch (e) {
        const why = e instanceof MattermostError ? e.message : String(e);
        return fail(
          `I could not keep a copy of the file "${f.name}" (${why}), so nothing was ` +
            "scheduled.",
        );
      }
    }
    const id = newBroadcastId();
    try {
      await this.#deps.store.add({
        id,
        senderId: r.sender.id,
        senderUsername: r.sender.username,
        dueAt: r.time.at,
        zone: r.time.zone,
        targetAnswer: r.answer,
        channels: r.targets.length,
        message: r.message,
        files: r.files,
        sourcePostId: r.sourcePostId,
        options: r.options,
        ...(approval !== undefined ? { approval } : {}),
      }, contents);
    } catch (e) {
      await this.#deps.store.removeFiles(id).catch(() => {});
      log.error("Could not store scheduled broadcast {id}: {error}", { id, error: e });
      return fail(
        `I could not store the scheduled broadcast (${(e as Error).message}); nothing ` +
          "was scheduled. Answer `yes` to send it now, or try again later.",
      );
    }
    return ok(id);
  }

  /**
   * Keeps the files, stores the broadcast, wakes the loop; the text to answer with, or the
   * problem (nothing was scheduled).
   */
  async schedule(r: LaterRequest): Promise<Result<string, Problem>> {
    const kept = await this.keep(r);
    if (!kept.ok) return kept;
    const id = kept.value;
    this.#deps.scheduler.wake();
    const described = describeSendTime(r.time, Date.now());
    const people = peopleOf(r.targets).length;
    const recipients = recipientsText(r.targets.length - people, people);
    log.info("{user} scheduled broadcast {id} to {n} recipients for {at}", {
      user: r.sender.username,
      id,
      n: r.targets.length,
      at: described,
    });
    await this.#deps.audit.post({
      action: "Scheduled",
      id,
      actor: r.sender.username,
      at: Date.now(),
      detail: `${recipients}, due ${described.replace(/ \u2014 .*$/, "")}`,
      ...auditRecipients(r.targets),
      message: r.message,
      files: r.files.map((f) => f.name),
    });
    const chosen = optionsText(r.options ?? NO_OPTIONS);
    return ok(
      `Scheduled broadcast ${code(id)} for **${described}** to ${recipients}` +
        (chosen === "" ? "" : `, ${chosen}`) +
        " (the channels and people are looked up again when it goes out)." +
        ` \`!scheduled\` lists your ` +
        `scheduled broadcasts, \`!cancel ${id}\` cancels it, \`!edit ${id}\` changes its text.`,
    );
  }
}
