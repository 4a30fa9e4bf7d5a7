/**
 * Every channel the bot can reach in its team, in memory: public channels (paged, 200 at a
 * time) plus the private channels the bot is a member of. Commands and target resolution read
 * from here instead of asking the server each time; the cache is refreshed in the background
 * every `CHANNEL_CACHE_TTL_SECONDS` and on `!refresh_channels`. A channel created since the
 * last sweep is found by a live lookup, and the caller can suggest a refresh.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import { isChannelMember, isStatus, logger, type RestTransport } from "@postbot/framework";
import { settleSoon } from "@postbot/framework/idle_gc";

const log = logger("channels");

/** What postbot keeps of a channel. */
export interface CachedChannel {
  readonly id: string;
  readonly name: string;
  readonly displayName: string;
  /** `"O"` public, `"P"` private. */
  readonly type: "O" | "P";
  /** Whether the bot is a member (needed to upload files there). */
  readonly botIsMember: boolean;
  readonly archived: boolean;
}

/** Outcome of one sweep. */
export interface RefreshSummary {
  readonly publicChannels: number;
  readonly privateChannels: number;
  readonly durationMs: number;
}

const PAGE = 200;

/** The cache. */
export class ChannelCache {
  readonly #transport: RestTransport;
  readonly #teamId: string;
  readonly #ttlMs: number;
  readonly #botUserId: string;
  #byId = new Map<string, CachedChannel>();
  #refreshedAt = 0;
  #refreshing: Promise<RefreshSummary> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    options: { transport: RestTransport; teamId: string; botUserId: string; ttlMs: number },
  ) {
    this.#transport = options.transport;
    this.#teamId = options.teamId;
    this.#ttlMs = options.ttlMs;
    this.#botUserId = options.botUserId;
  }

  /** When the last sweep finished (ms since epoch), 0 before the first. */
  get refreshedAt(): number {
    return this.#refreshedAt;
  }

  /** Whether the last sweep is younger than twice the TTL (a missed refresh is tolerated). */
  get fresh(): boolean {
    return this.#refreshedAt > 0 && Date.now() - this.#refreshedAt < 2 * this.#ttlMs;
  }

  /** Sweeps the team's channels; concurrent calls share one sweep. */
  refresh(): Promise<RefreshSummary> {
    this.#refreshing ??= this.#sweep().finally(() => this.#refreshing = undefined);
    return this.#refreshing;
  }

  async #sweep(): Promise<RefreshSummary> {
    const started = performance.now();
    const next = new Map<string, CachedChannel>();
    const { memberOf, own } = await this.#myChannels();
    for (let page = 0;; page++) {
      const batch = await this.#transport.getJson<Channel[]>(
        `/teams/${this.#teamId}/channels?page=${page}&per_page=${PAGE}`,
      );
      for (const c of batch) {
        if (c.type === "O") next.set(c.id, toCached(c, memberOf.has(c.id)));
      }
      if (batch.length < PAGE) break;
    }
    for (const c of own) next.set(c.id, c);
    this.#byId = next;
    this.#refreshedAt = Date.now();
    settleSoon();
    const summary = {
      publicChannels: [...next.values()].filter((c) => c.type === "O").length,
      privateChannels: [...next.values()].filter((c) => c.type === "P").length,
      durationMs: Math.round(performance.now() - started),
    };
    log.info("Channel cache refreshed: {public} public, {private} private, {ms} ms", {
      public: summary.publicChannels,
      private: summary.privateChannels,
      ms: summary.durationMs,
    });
    return summary;
  }

  /**
   * The bot's own channels of the team: the public ones' ids, the public and private ones
   * cached. They come in one answer that holds every DM the bot opened (10,000 after a
   * broadcast to 10,000 people): read one at a time, the DMs are let go as they pass.
   */
  async #myChannels(): Promise<{ memberOf: Set<string>; own: CachedChannel[] }> {
    const memberOf = new Set<string>();
    const own: CachedChannel[] = [];
    const path = `/users/${this.#botUserId}/teams/${this.#teamId}/channels`;
    try {
      for await (const c of this.#transport.getJsonObjects<Channel>(path)) {
        if (c.type === "O") memberOf.add(c.id);
        if ((c.type === "O" || c.type === "P") && c.team_id === this.#teamId) {
          own.push(toCached(c, true));
        }
      }
    } catch (e) {
      // Mattermost answers 404 when the user is in no channel of the team at all.
      if (!isStatus(e, 404)) throw e;
    }
    return { memberOf, own };
  }

  /** Starts the background refresh loop. */
  start(): void {
    this.#timer ??= setInterval(() => {
      this.refresh().catch((e) =>
        log.warn("Background channel refresh failed: {error}", { error: e })
      );
    }, this.#ttlMs);
  }

  /** Stops the background refresh loop. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Every cached channel, sorted by display name. */
  all(): CachedChannel[] {
    return [...this.#byId.values()].sort((a, b) =>
      a.displayName.localeCompare(b.displayName) || a.name.localeCompare(b.name)
    );
  }

  /** Number of cached channels. */
  get size(): number {
    return this.#byId.size;
  }

  /** A cached channel by id. */
  byId(id: string): CachedChannel | undefined {
    return this.#byId.get(id);
  }

  /** Channels whose name or display name equals `text`, ignoring case. */
  find(text: string): CachedChannel[] {
    const wanted = text.trim().replace(/^~/, "").toLowerCase();
    const exact = [...this.#byId.values()].filter((c) => c.name.toLowerCase() === wanted);
    if (exact.length > 0) return exact;
    return this.all().filter((c) => c.displayName.toLowerCase() === wanted);
  }

  /**
   * A channel by id, asking the server when it is not cached (created after the last sweep).
   * Returns `live: true` in that case so the caller can suggest `!refresh_channels`.
   */
  async lookup(id: string): Promise<{ channel: CachedChannel; live: boolean } | undefined> {
    const cached = this.#byId.get(id);
    if (cached !== undefined) return { channel: cached, live: false };
    let channel: Channel;
    try {
      channel = await this.#transport.getJson<Channel>(`/channels/${id}`);
    } catch (e) {
      if (isStatus(e, 404, 403)) {
        return undefined;
      }
      throw e;
    }
    if (channel.team_id !== this.#teamId || (channel.type !== "O" && channel.type !== "P")) {
      return undefined;
    }
    const member = await this.#isBotMember(id);
    const entry = toCached(channel, member);
    this.#byId.set(id, entry);
    return { channel: entry, live: true };
  }

  /**
   * Looks a channel up by name on the server (a miss in the cache). A name no channel can
   * have is not asked about: the server would refuse it as a malformed URL (400).
   */
  async lookupByName(name: string): Promise<CachedChannel | undefined> {
    const wanted = name.trim().replace(/^~/, "").toLowerCase();
    if (!CHANNEL_NAME.test(wanted)) return undefined;
    try {
      const channel = await this.#transport.getJson<Channel>(
        `/teams/${this.#teamId}/channels/name/${encodeURIComponent(wanted)}?include_deleted=true`,
      );
      return (await this.lookup(channel.id))?.channel;
    } catch (e) {
      if (isStatus(e, 404, 403)) {
        return undefined;
      }
      throw e;
    }
  }

  #isBotMember(channelId: string): Promise<boolean> {
    return isChannelMember(this.#transport, channelId, this.#botUserId);
  }
}

/** A name the server can look up (model.IsValidChannelIdentifier, lowercased; 64 at most). */
const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

function toCached(c: Channel, botIsMember: boolean): CachedChannel {
  return {
    id: c.id,
    name: c.name,
    displayName: c.display_name || c.name,
    type: c.type === "P" ? "P" : "O",
    botIsMember,
    archived: (c.delete_at ?? 0) > 0,
  };
}
