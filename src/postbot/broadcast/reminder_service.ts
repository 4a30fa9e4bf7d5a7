/**
 * Sending reminders (see reminders.ts for who gets what): for `!remind` after its yes, and for
 * the automatic reminder when its time comes (reminder_loop.ts). The broadcast's sender must
 * still have the authority to send it (authority.ts): a sender who may send nothing any more
 * sends no reminder, and a recipient out of their reach now is not reminded.
 *
 * @module
 */

import {
  forEachBounded,
  logger,
  MattermostError,
  type RestTransport,
  unreachable,
} from "@postbot/framework";
import type { Post } from "@mattermost/types/posts";
import { reachable, refusalText, type SenderAuthority } from "../authority.ts";
import { code, plural } from "../format.ts";
import type { Notifier } from "../notifier.ts";
import type { TeamDirectory } from "../targets/people.ts";
import type { Acknowledgements } from "./acknowledgements.ts";
import type { DirectChannelSource } from "./delivery.ts";
import type { BroadcastLog } from "./log.ts";
import { type Actor, type BroadcastRecord, type DeliveryRecord, targetKey } from "./model.ts";
import {
  basisOf,
  channelReminderText,
  isEmptyPlan,
  missingText,
  personReminderText,
  planReminder,
  type ReminderPlan,
  type ReminderStore,
  type SeenSource,
} from "./reminders.ts";

const log = logger("reminders");

/** What reminders are sent with. */
export interface ReminderDeps {
  readonly store: ReminderStore;
  readonly broadcastLog: Pick<BroadcastLog, "get" | "deliveries" | "addEvent">;
  readonly transport: RestTransport;
  readonly acks: Pick<Acknowledgements, "who">;
  readonly seen: SeenSource;
  readonly people: Pick<TeamDirectory, "channelMemberIds" | "teamPeople">;
  readonly directChannels: Pick<DirectChannelSource, "open">;
  /** Whether the sender may still send; absent, nobody is checked (unit tests). */
  readonly authority?: Pick<SenderAuthority, "check">;
  readonly notifier: Pick<Notifier, "dm">;
  /** The permalink of a post. */
  readonly permalink: (postId: string) => string;
  readonly botUserId: string;
  /** Whether acknowledging is a button (else a reaction), for the reminder's words. */
  readonly buttons: boolean;
  readonly concurrency: number;
  readonly now?: () => number;
}

/** How a reminder went: how many were reminded, and why the others were not. */
export type ReminderOutcome =
  | { readonly kind: "nobody"; readonly plan: ReminderPlan }
  /** Nothing sent; `dmSender` false when the sender can no longer read a DM. */
  | { readonly kind: "refused"; readonly reason: string; readonly dmSender: boolean }
  | {
    readonly kind: "sent";
    readonly plan: ReminderPlan;
    readonly dms: number;
    readonly posts: number;
    readonly failures: readonly string[];
  };

/** Plans and sends reminders. */
export class Reminders {
  readonly #deps: ReminderDeps;
  readonly #now: () => number;

  constructor(deps: ReminderDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Who a reminder of `record` would reach now. */
  async plan(record: BroadcastRecord): Promise<ReminderPlan> {
    const { people, botUserId } = this.#deps;
    const basis = basisOf(record);
    const done = basis === "acknowledged"
      ? await this.#deps.acks.who(record.id)
      : await this.#deps.seen.seenBy(record.id);
    let team: ReadonlyMap<string, { isBot: boolean }> | undefined;
    return await planReminder({
      record,
      deliveries: await this.#deps.broadcastLog.deliveries(record.id),
      done,
      members: async (channelId) => {
        team ??= await people.teamPeople();
        const ids = await people.channelMemberIds(channelId);
        // The sender knows what they sent: they are never reminded of it.
        return ids.filter((id) =>
          id !== botUserId && id !== record.senderId && team!.get(id)?.isBot === false
        );
      },
    });
  }

  /** Sends a reminder of broadcast `id` on `actor`'s word (or the automatic one). */
  async send(id: string, actor: Actor): Promise<ReminderOutcome> {
    const record = await this.#deps.broadcastLog.get(id);
    if (record === undefined) {
      return { kind: "refused", reason: "the broadcast is gone", dmSender: true };
    }
    const planned = await this.plan(record);
    if (isEmptyPlan(planned)) return { kind: "nobody", plan: planned };
    const allowed = await this.#authorize(record, planned);
    if (!allowed.ok) {
      log.warn("No reminder of {id}: {reason}", { id, reason: allowed.reason });
      return { kind: "refused", reason: allowed.reason, dmSender: allowed.dmSender };
    }
    const plan = allowed.plan;
    const failures = [...allowed.dropped];
    const sent = await this.#deliver(plan, failures);
    await this.#deps.broadcastLog.addEvent(
      id,
      actor,
      "remind",
      `${sent.dms} by direct message, ${sent.posts} channel posts` +
        (failures.length > 0 ? `, ${failures.length} not reminded` : ""),
    );
    log.info("{user} reminded {dms} people and {posts} channels of broadcast {id}", {
      user: actor.username,
      dms: sent.dms,
      posts: sent.posts,
      id,
    });
    return { kind: "sent", plan, ...sent, failures };
  }

  /** The plan cut to what the sender may still reach, or why nothing may go out. */
  async #authorize(
    record: BroadcastRecord,
    plan: ReminderPlan,
  ): Promise<
    | { ok: true; plan: ReminderPlan; dropped: string[] }
    | { ok: false; reason: string; dmSender: boolean }
  > {
    const authority = this.#deps.authority;
    if (authority === undefined) return { ok: true, plan, dropped: [] };
    const sender = { id: record.senderId, username: record.senderUsername };
    const targets = new Map<string, DeliveryRecord>();
    for (const p of plan.people) targets.set(targetKey(p.delivery), p.delivery);
    for (const c of plan.channels) targets.set(targetKey(c.delivery), c.delivery);
    try {
      const verdict = await authority.check(sender, [...targets.values()]);
      if (verdict.kind === "refused") {
        return {
          ok: false,
          reason: refusalText(verdict.refusal, sender.username),
          dmSender: reachable(verdict.refusal),
        };
      }
      const keep = new Set(verdict.keep.map(targetKey));
      return {
        ok: true,
        plan: {
          ...plan,
          people: plan.people.filter((p) => keep.has(targetKey(p.delivery))),
          channels: plan.channels.filter((c) => keep.has(targetKey(c.delivery))),
        },
        dropped: verdict.dropped.map((d) => d.reason),
      };
    } catch (e) {
      const why = e instanceof MattermostError ? e.message : String(e);
      return {
        ok: false,
        reason: `I could not check that @${sender.username} may still send it (${why})`,
        dmSender: true,
      };
    }
  }

  /** Posts the DMs and the channel posts; how many went out, failures added to `failures`. */
  async #deliver(
    plan: ReminderPlan,
    failures: string[],
  ): Promise<{ dms: number; posts: number }> {
    const { permalink, buttons, concurrency, store } = this.#deps;
    const id = plan.record.id;
    const at = this.#now();
    let dms = 0;
    let posts = 0;
    await forEachBounded(plan.people, { concurrency }, async ({ userId, delivery }) => {
      const text = personReminderText(plan, delivery, permalink(delivery.postId!), buttons);
      try {
        const channelId = await this.#deps.directChannels.open(userId);
        await store.record(id, userId, at, { postId: await this.#post(channelId, text) });
        dms++;
      } catch (e) {
        const why = e instanceof MattermostError ? e.message : String(e);
        await store.record(id, userId, at, { error: why });
        failures.push(`a direct message could not be sent (${why})`);
      }
    });
    await forEachBounded(plan.channels, { concurrency }, async (c) => {
      const text = channelReminderText(plan, c, permalink(c.delivery.postId!));
      try {
        await this.#post(c.delivery.channelId, text);
        posts++;
      } catch (e) {
        const why = e instanceof MattermostError ? e.message : String(e);
        failures.push(`~${c.delivery.name}: the reminder post failed (${why})`);
      }
    });
    return { dms, posts };
  }

  async #post(channelId: string, message: string): Promise<string> {
    const { transport } = this.#deps;
    const response = await transport.send(transport.api("/posts"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel_id: channelId, message }),
    });
    return (await response.json() as Post).id;
  }
}

/** How a reminder went, for the sender (or whoever asked). */
export function reminderOutcomeText(id: string, outcome: ReminderOutcome): string {
  switch (outcome.kind) {
    case "nobody":
      return outcome.plan.delivered === 0
        ? `Broadcast ${code(id)} has no post left to point to, so no reminder was sent.`
        : `Nobody is missing: everyone ${
          outcome.plan.basis === "acknowledged" ? "has acknowledged" : "has seen"
        } broadcast ${code(id)}, so no reminder was sent.`;
    case "refused":
      return `**No reminder of broadcast ${code(id)} was sent**: ${outcome.reason}.`;
    case "sent": {
      const who = missingText(outcome.plan.basis);
      const parts = [
        outcome.dms > 0 ? `${plural(outcome.dms, "person", "people")} by direct message` : "",
        outcome.posts > 0 ? `${plural(outcome.posts, "channel")} with one post each` : "",
      ].filter((p) => p !== "");
      const head = parts.length === 0
        ? `**No reminder of broadcast ${code(id)} went out.**`
        : `**Reminded ${parts.join(" and ")}** who ${who} broadcast ${code(id)}.`;
      const failed = outcome.failures.map((f) => `- ${f}`);
      return [head, ...(failed.length > 0 ? ["Not reminded:", ...failed] : [])].join("\n");
    }
    default:
      return unreachable(outcome);
  }
}
