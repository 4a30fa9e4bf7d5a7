/**
 * Who acknowledged a broadcast that asked for it, recorded once per person
 * (`acknowledgements`): by a click of the post's Acknowledge button (the server calls the bot,
 * see actions_server.ts), or by a :white_check_mark: reaction, heard on the WebSocket and read
 * back from the posts after a restart or lost events, so none is missed.
 *
 * Only recipients count: for a post in a person's DM, that person; for a post in a channel, the
 * channel's members (asked of the server when they acknowledge). A click must carry the token
 * of its post's recipient (ack_token.ts) and name that very post: anything else is forged.
 *
 * @module
 */

import type { Database } from "../database/port.ts";
import type { Post } from "@mattermost/types/posts";
import {
  isStatus,
  logger,
  type RestTransport,
  type ServerEvent,
  type ServerWatcher,
} from "@postbot/framework";
import { ACK_EMOJI, type AckContext } from "./ack_post.ts";
import type { ActionTokens } from "./ack_token.ts";
import type { BroadcastLog } from "./log.ts";
import { BROADCAST_ID, type DeliveryRecord, parseTargetKey, targetKey } from "./model.ts";

const log = logger("acknowledgements");

/** How far back reactions are read again after a restart or lost events. */
export const SWEEP_MS = 30 * 86_400_000;

/** Post ids read in one request. */
const CHUNK = 200;

/** How an acknowledgement came. */
export type AckVia = "button" | "reaction";

/** The acknowledgements table. */
export class AckStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /**
   * Records that `userId` acknowledged; false when they had already. Not fenced: a fact
   * heard twice (by two instances) is written once either way.
   */
  async record(
    broadcastId: string,
    userId: string,
    via: AckVia,
    postId: string,
    at: number,
  ): Promise<boolean> {
    return await this.#db.run(
      `INSERT INTO acknowledgements (broadcast_id, user_id, at, via, post_id)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      [broadcastId, userId, at, via, postId],
    ) === 1;
  }

  /** The people who acknowledged a broadcast. */
  async who(broadcastId: string): Promise<Set<string>> {
    const rows = await this.#db.query<{ user_id: string }>(
      "SELECT user_id FROM acknowledgements WHERE broadcast_id = ?",
      [broadcastId],
    );
    return new Set(rows.map((r) => r.user_id));
  }

  /** How many acknowledged through one post. */
  async onPost(broadcastId: string, postId: string): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM acknowledgements WHERE broadcast_id = ? AND post_id = ?",
      [broadcastId, postId],
    );
    return Number(row.n);
  }
}

/** A click as the server reports it (fields already checked for shape). */
export interface Click {
  readonly userId: string;
  readonly postId: string;
  readonly context: AckContext;
}

/** What became of a click. */
export type ClickOutcome =
  | { readonly kind: "recorded" }
  | { readonly kind: "already" }
  /** A genuine post, but the clicker is not among its recipients: not counted. */
  | { readonly kind: "not_recipient" }
  /** Not a click the server could have made for this post: refused. */
  | { readonly kind: "forged"; readonly reason: string };

/** What acknowledgement works with. */
export interface AcknowledgementDeps {
  readonly store: AckStore;
  readonly broadcastLog: Pick<
    BroadcastLog,
    "get" | "delivery" | "eachDelivery" | "deliveryOfPost" | "askingForAcknowledgement"
  >;
  readonly transport: RestTransport;
  readonly tokens: Pick<ActionTokens, "verify">;
  readonly botUserId: string;
  /** Whether a user is a member of a channel now. */
  readonly isChannelMember: (channelId: string, userId: string) => Promise<boolean>;
  /** A post's count changed: its text is brought up to date (see ack_counts.ts). */
  readonly changed: (broadcastId: string, delivery: DeliveryRecord) => void;
  readonly now?: () => number;
}

/** Records acknowledgements. */
export class Acknowledgements {
  readonly #deps: AcknowledgementDeps;
  readonly #now: () => number;
  /** Reactions are handled one at a time, in the order they came. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: AcknowledgementDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** The people who acknowledged broadcast `id`. */
  who(id: string): Promise<Set<string>> {
    return this.#deps.store.who(id);
  }

  /** A click of an Acknowledge button: checked, then recorded once. */
  async click(c: Click): Promise<ClickOutcome> {
    const { broadcast, recipient, token } = c.context;
    const ref = parseTargetKey(recipient);
    if (!BROADCAST_ID.test(broadcast) || ref === undefined) {
      return { kind: "forged", reason: "its context is not a button's" };
    }
    if (!await this.#deps.tokens.verify(broadcast, recipient, token)) {
      return { kind: "forged", reason: "its token is wrong" };
    }
    const delivery = await this.#deps.broadcastLog.delivery(broadcast, ref);
    if (delivery?.status !== "delivered" || delivery.postId !== c.postId) {
      return { kind: "forged", reason: "its token is another post's" };
    }
    if ((await this.#deps.broadcastLog.get(broadcast))?.options?.ack !== true) {
      return { kind: "forged", reason: "the broadcast asks for no acknowledgement" };
    }
    if (!await this.#isRecipient(delivery, c.userId)) return { kind: "not_recipient" };
    return await this.#record(broadcast, delivery, c.userId, "button")
      ? { kind: "recorded" }
      : { kind: "already" };
  }

  /** A reaction to a post: an acknowledgement when it is ours, asks for one, and is :white_check_mark:. */
  async reaction(userId: string, postId: string, emoji: string): Promise<boolean> {
    if (emoji !== ACK_EMOJI || userId === this.#deps.botUserId) return false;
    const found = await this.#deps.broadcastLog.deliveryOfPost(postId);
    if (found === undefined) return false;
    if ((await this.#deps.broadcastLog.get(found.broadcastId))?.options?.ack !== true) return false;
    if (!await this.#isRecipient(found.delivery, userId)) return false;
    return await this.#record(found.broadcastId, found.delivery, userId, "reaction");
  }

  /** Hears reactions on the WebSocket; reads them all again when events were lost. */
  watcher(): ServerWatcher {
    return {
      onEvent: (event) => this.#onEvent(event),
      onEventsLost: () => void this.sweep(),
    };
  }

  /**
   * Reads the reactions of the posts of every broadcast asking for acknowledgement (of the last
   * {@link SWEEP_MS}) and records those missed; how many. Failures are logged, never thrown.
   */
  sweep(): Promise<number> {
    const run = this.#queue.then(() => this.#sweep()).catch((e) => {
      log.warn("Could not read the reactions to broadcasts: {error}", { error: e });
      return 0;
    });
    this.#queue = run;
    return run;
  }

  #onEvent(event: ServerEvent): void {
    if (event.event !== "reaction_added" || typeof event.data.reaction !== "string") return;
    let reaction: { user_id?: unknown; post_id?: unknown; emoji_name?: unknown };
    try {
      reaction = JSON.parse(event.data.reaction);
    } catch {
      return;
    }
    const { user_id: userId, post_id: postId, emoji_name: emoji } = reaction ?? {};
    if (typeof userId !== "string" || typeof postId !== "string" || emoji !== ACK_EMOJI) return;
    this.#queue = this.#queue.then(() => this.reaction(userId, postId, emoji)).catch((e) =>
      log.warn("Could not record the reaction of {user} to {post}: {error}", {
        user: userId,
        post: postId,
        error: e,
      })
    );
  }

  async #sweep(): Promise<number> {
    let found = 0;
    const broadcasts = this.#deps.broadcastLog;
    for (const b of await broadcasts.askingForAcknowledgement(this.#now() - SWEEP_MS)) {
      const posts = new Map<string, DeliveryRecord>();
      for await (const d of broadcasts.eachDelivery(b.id)) {
        if (d.status === "delivered" && d.postId !== null) posts.set(d.postId, d);
      }
      for (const [postId, users] of await this.#checkMarks([...posts.keys()])) {
        const delivery = posts.get(postId)!;
        for (const userId of users) {
          if (userId === this.#deps.botUserId) continue;
          if (!await this.#isRecipient(delivery, userId)) continue;
          if (await this.#record(b.id, delivery, userId, "reaction")) found++;
        }
      }
    }
    if (found > 0) log.info("{n} acknowledgements by reaction read back", { n: found });
    return found;
  }

  /** Who reacted with :white_check_mark: to each of these posts (`POST /posts/ids`, in chunks). */
  async #checkMarks(postIds: readonly string[]): Promise<Map<string, string[]>> {
    const marks = new Map<string, string[]>();
    const { transport } = this.#deps;
    for (let i = 0; i < postIds.length; i += CHUNK) {
      let posts: Post[];
      try {
        const response = await transport.send(transport.api("/posts/ids"), {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(postIds.slice(i, i + CHUNK)),
        });
        posts = await response.json() as Post[];
      } catch (e) {
        if (isStatus(e, 404)) continue; // none of them exists any more
        throw e;
      }
      for (const p of posts) {
        const users = (p.metadata?.reactions ?? []).filter((r) => r.emoji_name === ACK_EMOJI)
          .map((r) => r.user_id);
        if (p.delete_at === 0 && users.length > 0) marks.set(p.id, users);
      }
    }
    return marks;
  }

  /** Whether `userId` is among the recipients of this delivery's post. */
  async #isRecipient(d: DeliveryRecord, userId: string): Promise<boolean> {
    if (userId === this.#deps.botUserId) return false;
    if (d.kind === "person") return d.userId === userId;
    return await this.#deps.isChannelMember(d.channelId, userId);
  }

  async #record(
    broadcastId: string,
    d: DeliveryRecord,
    userId: string,
    via: AckVia,
  ): Promise<boolean> {
    const recorded = await this.#deps.store.record(
      broadcastId,
      userId,
      via,
      d.postId!,
      this.#now(),
    );
    if (recorded) {
      log.info("{user} acknowledged broadcast {id} ({via}, {recipient})", {
        user: userId,
        id: broadcastId,
        via,
        recipient: targetKey(d),
      });
      this.#deps.changed(broadcastId, d);
    }
    return recorded;
  }
}
