/**
 * Who has seen a broadcast, read from the server for `!status` and `!export`. A member has
 * seen a post when their `msg_count` in its channel reached the delivery's seen threshold
 * (see seen_threshold.ts).
 *
 * - A channel is read whole, in pages of 200: its active people (`GET /users?in_channel=
 *   &active=true`, by username, bots left out) and their memberships (`GET /channels/{id}/
 *   members`); a person the member pages missed (the server promises no order, and a member
 *   who views the channel meanwhile may move) is asked alone.
 * - A person's copy is in their own DM, one request each (`GET /channels/{dm}/members/{id}`).
 *   Who has seen it is written down (the `seen` table) and never asked again; the others are
 *   asked least recently asked first, at most `budget.people` of them per reading and none
 *   started after `budget.timeMs`: a reading of 10,000 people answers in about that time, and
 *   says how many were not asked.
 *
 * @module
 */

import type { ChannelMembership } from "@mattermost/types/channels";
import type { UserProfile } from "@mattermost/types/users";
import {
  forEachBounded,
  isStatus,
  logger,
  MattermostError,
  type RestTransport,
} from "@postbot/framework";
import { type DeliveryRecord, type PersonTarget, targetKey } from "./model.ts";
import type { Acknowledgement, SeenLog } from "./seen_log.ts";
import { captureThresholds, channelOf } from "./seen_threshold.ts";

const log = logger("seen");

/** The server's page size limit. */
const PAGE = 200;

/** Most pages read of one channel's list (40,000 members): a bound, not an expected size. */
const MAX_PAGES = 200;

/** Channels read at once. */
const CHANNELS_AT_ONCE = 2;

/** People asked at once. */
const PEOPLE_AT_ONCE = 8;

/**
 * Broadcasts whose "last asked" times are kept in memory, the most recently read ones (a
 * broadcast to 10,000 people holds up to 10,000 of them, about 1 MB).
 */
const REMEMBERED_BROADCASTS = 8;

/** How much one reading may do. */
export interface SeenBudget {
  /** No request is started after this long (ms); those under way finish. */
  readonly timeMs: number;
  /** Most people asked (one request each). */
  readonly people: number;
}

/** `!status`: an answer within about two seconds, whatever the size of the broadcast. */
export const STATUS_BUDGET: SeenBudget = { timeMs: 1_000, people: 1_000 };

/** `!status <id> unacked`: the channels' members, no person asked (acknowledgements are kept). */
export const NAMES_BUDGET: SeenBudget = { timeMs: 1_000, people: 0 };

/** `!export`: a file, worth waiting a little longer for. */
export const EXPORT_BUDGET: SeenBudget = { timeMs: 15_000, people: 10_000 };

/** A person of a channel, as a reading found them. */
export interface ChannelMember {
  readonly userId: string;
  readonly username: string;
  readonly displayName: string;
  readonly seen: boolean;
}

/** What a reading found in one channel. */
export type ChannelSeen =
  /** Its active people other than bots (the bot included), as of `at`. */
  | { readonly kind: "read"; readonly at: number; readonly members: readonly ChannelMember[] }
  | { readonly kind: "failed"; readonly reason: string }
  /** Not read this time: the reading's time was up. */
  | { readonly kind: "skipped" };

/** Whether a person has seen their copy, as far as postbot knows. */
export type PersonSeen =
  /** Seen; `at` is when postbot found out (the server does not say when they looked). */
  | { readonly kind: "seen"; readonly at: number }
  /** Not seen when last asked, at `at`. */
  | { readonly kind: "not_seen"; readonly at: number }
  /** Not asked yet: the reading's budget went to others first. */
  | { readonly kind: "unchecked" }
  | { readonly kind: "failed"; readonly reason: string };

/** One reading of a broadcast: seen, acknowledged, reminded. */
export interface SeenPicture {
  /** When the reading was made. */
  readonly at: number;
  /** Per delivered channel (by channel id). */
  readonly channels: ReadonlyMap<string, ChannelSeen>;
  /** Per delivered person (by user id). */
  readonly people: ReadonlyMap<string, PersonSeen>;
  /** People asked in this reading. */
  readonly asked: number;
  readonly acks: ReadonlyMap<string, Acknowledgement>;
  readonly ackRequested: boolean;
  /** When each person was last reminded. */
  readonly reminded: ReadonlyMap<string, number>;
}

/** What a reader is built from. */
export interface SeenReaderDeps {
  readonly transport: RestTransport;
  readonly seenLog: SeenLog;
  readonly teamId: string;
  readonly botUserId: string;
  readonly now?: () => number;
}

/** How a person is shown: full name, else nickname, else username. */
function displayNameOf(u: UserProfile): string {
  const full = [u.first_name, u.last_name].filter((p) => p !== undefined && p !== "").join(" ");
  return full !== ""
    ? full
    : u.nickname !== undefined && u.nickname !== ""
    ? u.nickname
    : u.username;
}

/** Why a request failed, in a few words for people. */
function reasonOf(e: unknown): string {
  return e instanceof MattermostError ? e.message : String(e);
}

/** Reads who has seen broadcasts. */
export class SeenReader {
  readonly #deps: SeenReaderDeps;
  readonly #now: () => number;
  /** When each person not seen yet was last asked, per broadcast (this process only). */
  readonly #asked = new Map<string, Map<string, number>>();

  constructor(deps: SeenReaderDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /**
   * Reads the delivered recipients among `deliveries` of broadcast `id` (the caller leaves out
   * those its reader may not see: nothing is asked about them).
   */
  async read(
    id: string,
    deliveries: readonly DeliveryRecord[],
    budget: SeenBudget,
  ): Promise<SeenPicture> {
    const start = this.#now();
    const deadline = start + budget.timeMs;
    const delivered = deliveries.filter((d) => d.status === "delivered");
    const thresholds = await this.#thresholds(id, delivered);
    const dms = await this.#deps.seenLog.directChannels();
    const [channels, people] = await Promise.all([
      this.#readChannels(delivered, thresholds, deadline),
      this.#readPeople(id, delivered, { thresholds, dms, deadline, budget }),
    ]);
    const { seenLog } = this.#deps;
    return {
      at: start,
      channels,
      people: people.seen,
      asked: people.asked,
      acks: await seenLog.acknowledgements(id),
      ackRequested: await seenLog.ackRequested(id),
      reminded: await seenLog.lastReminded(id),
    };
  }

  /** The deliveries' thresholds, those missing read now (see seen_threshold.ts). */
  async #thresholds(
    id: string,
    delivered: readonly DeliveryRecord[],
  ): Promise<Map<string, number>> {
    const { seenLog } = this.#deps;
    const known = await seenLog.thresholds(id);
    const missing = delivered.filter((d) => !known.has(targetKey(d)));
    if (missing.length === 0) return known;
    try {
      await captureThresholds(this.#deps, id, missing);
    } catch (e) {
      log.warn("Could not read the message counts of {id}: {error}", { id, error: e });
    }
    return await seenLog.thresholds(id);
  }

  /** Every delivered channel, until the time is up. */
  async #readChannels(
    delivered: readonly DeliveryRecord[],
    thresholds: ReadonlyMap<string, number>,
    deadline: number,
  ): Promise<Map<string, ChannelSeen>> {
    const out = new Map<string, ChannelSeen>();
    const channels = delivered.filter((d) => d.kind === "channel");
    await forEachBounded(channels, { concurrency: CHANNELS_AT_ONCE }, async (d) => {
      const threshold = thresholds.get(targetKey(d));
      if (threshold === undefined) {
        out.set(d.channelId, { kind: "failed", reason: "its message count could not be read" });
      } else if (this.#now() >= deadline) {
        out.set(d.channelId, { kind: "skipped" });
      } else {
        out.set(d.channelId, await this.#readChannel(d.channelId, threshold));
      }
    });
    return out;
  }

  /** One channel's active people and whether each has seen the post. */
  async #readChannel(channelId: string, threshold: number): Promise<ChannelSeen> {
    const at = this.#now();
    const id = encodeURIComponent(channelId);
    try {
      const users = (await this.#pages<UserProfile>(`/users?in_channel=${id}&active=true`))
        .filter((u) => u.is_bot !== true && u.id !== this.#deps.botUserId);
      const counts = new Map<string, number>();
      for (const m of await this.#pages<ChannelMembership>(`/channels/${id}/members?`)) {
        counts.set(m.user_id, m.msg_count);
      }
      const missed = users.filter((u) => !counts.has(u.id));
      await forEachBounded(missed, { concurrency: PEOPLE_AT_ONCE }, async (u) => {
        const m = await this.#membership(channelId, u.id);
        if (m !== undefined) counts.set(u.id, m.msg_count);
      });
      const members = users.filter((u) => counts.has(u.id)).map((u) => ({
        userId: u.id,
        username: u.username,
        displayName: displayNameOf(u),
        seen: counts.get(u.id)! >= threshold,
      }));
      return { kind: "read", at, members };
    } catch (e) {
      log.warn("Could not read who has seen the post in {channel}: {error}", {
        channel: channelId,
        error: e,
      });
      return { kind: "failed", reason: reasonOf(e) };
    }
  }

  /** A paged list, every page (`path` ends with its query, or `?`). */
  async #pages<T>(path: string): Promise<T[]> {
    const all: T[] = [];
    const join = path.endsWith("?") ? "" : "&";
    for (let page = 0; page < MAX_PAGES; page++) {
      const items = await this.#deps.transport.getJson<T[]>(
        `${path}${join}page=${page}&per_page=${PAGE}`,
      );
      all.push(...items);
      if (items.length < PAGE) break;
    }
    return all;
  }

  /** A user's membership of a channel; undefined when they are not a member (any more). */
  async #membership(channelId: string, userId: string): Promise<ChannelMembership | undefined> {
    try {
      return await this.#deps.transport.getJson<ChannelMembership>(
        `/channels/${encodeURIComponent(channelId)}/members/${encodeURIComponent(userId)}`,
        undefined,
        true,
      );
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  /**
   * The delivered people: those recorded as having seen it, and of the others at most
   * `budget.people`, least recently asked first, until the time is up.
   */
  async #readPeople(
    id: string,
    delivered: readonly DeliveryRecord[],
    facts: {
      thresholds: ReadonlyMap<string, number>;
      dms: ReadonlyMap<string, string>;
      deadline: number;
      budget: SeenBudget;
    },
  ): Promise<{ seen: Map<string, PersonSeen>; asked: number }> {
    const seen = new Map<string, PersonSeen>();
    const recorded = await this.#deps.seenLog.seenPeople(id);
    const asked = this.#askedFor(id);
    const open: PersonTarget[] = [];
    for (const d of delivered) {
      if (d.kind !== "person") continue;
      const at = recorded.get(d.userId);
      if (at !== undefined) seen.set(d.userId, { kind: "seen", at });
      else open.push(d);
    }
    open.sort((a, b) => (asked.get(a.userId) ?? 0) - (asked.get(b.userId) ?? 0));
    const turn = open.slice(0, facts.budget.people);
    const found: string[] = [];
    let n = 0;
    await forEachBounded(turn, { concurrency: PEOPLE_AT_ONCE }, async (p) => {
      if (this.#now() >= facts.deadline) return;
      n++;
      const result = await this.#askPerson(p, facts.thresholds, facts.dms);
      seen.set(p.userId, result);
      if (result.kind === "seen") found.push(p.userId);
      if (result.kind === "not_seen") asked.set(p.userId, result.at);
    });
    const at = this.#now();
    await this.#deps.seenLog.markSeen(id, found, at);
    for (const userId of found) {
      seen.set(userId, { kind: "seen", at });
      asked.delete(userId);
    }
    for (const p of open) {
      if (seen.has(p.userId)) continue;
      const last = asked.get(p.userId);
      seen.set(
        p.userId,
        last === undefined ? { kind: "unchecked" } : { kind: "not_seen", at: last },
      );
    }
    return { seen, asked: n };
  }

  /** Asks whether one person has seen their copy. */
  async #askPerson(
    p: PersonTarget,
    thresholds: ReadonlyMap<string, number>,
    dms: ReadonlyMap<string, string>,
  ): Promise<PersonSeen> {
    const channelId = channelOf(p as DeliveryRecord, dms);
    const threshold = thresholds.get(targetKey(p));
    if (channelId === undefined || threshold === undefined) {
      return { kind: "failed", reason: "its message count could not be read" };
    }
    const at = this.#now();
    try {
      const m = await this.#membership(channelId, p.userId);
      if (m === undefined) return { kind: "failed", reason: "no longer in the conversation" };
      return m.msg_count >= threshold ? { kind: "seen", at } : { kind: "not_seen", at };
    } catch (e) {
      return { kind: "failed", reason: reasonOf(e) };
    }
  }

  /** The "last asked" times of broadcast `id`, kept for the most recently read broadcasts. */
  #askedFor(id: string): Map<string, number> {
    const asked = this.#asked.get(id) ?? new Map<string, number>();
    // Re-inserted: a Map iterates in insertion order, so the first key is the least recent.
    this.#asked.delete(id);
    this.#asked.set(id, asked);
    if (this.#asked.size > REMEMBERED_BROADCASTS) {
      this.#asked.delete(this.#asked.keys().next().value!);
    }
    return asked;
  }
}
