/**
 * The bot's direct message channel with each person it has broadcast to, kept in SQLite: a
 * person's DM channel is created (`POST /channels/direct` [bot, person]) the first time a
 * broadcast reaches them and never again, whatever the number of broadcasts or restarts. The
 * id is written down before anything is posted in the channel, so recovery after a crash
 * always knows where to look for a post.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { RestTransport } from "@postbot/framework";
import type { DirectChannelSource } from "../broadcast/delivery.ts";

/** DM channels by user id: known ones from the database, new ones created and remembered. */
export class DirectChannels implements DirectChannelSource {
  readonly #db: DatabaseSync;
  readonly #transport: RestTransport;
  readonly #botUserId: string;
  /** Creations in flight, so two deliveries to one person create one channel. */
  readonly #opening = new Map<string, Promise<string>>();
  /**
   * Prepared once: a statement prepared per call holds SQLite memory outside V8's heap until
   * its object is collected, and a broadcast to 10,000 people asks 20,000 times.
   */
  #knownQuery: StatementSync | undefined;
  #remember: StatementSync | undefined;

  constructor(db: DatabaseSync, transport: RestTransport, botUserId: string) {
    this.#db = db;
    this.#transport = transport;
    this.#botUserId = botUserId;
  }

  /** The DM channel with `userId` the bot has used before, if any. */
  known(userId: string): string | undefined {
    this.#knownQuery ??= this.#db.prepare(
      "SELECT channel_id FROM direct_channels WHERE user_id = ?",
    );
    const row = this.#knownQuery.get(userId) as { channel_id: string } | undefined;
    return row?.channel_id;
  }

  /** How many people the bot has a DM channel with (for tests and metrics). */
  get size(): number {
    return Number(
      (this.#db.prepare("SELECT COUNT(*) AS n FROM direct_channels").get() as { n: number }).n,
    );
  }

  /** The DM channel with `userId`, created (and remembered) when there is none yet. */
  open(userId: string): Promise<string> {
    const known = this.known(userId);
    if (known !== undefined) return Promise.resolve(known);
    let opening = this.#opening.get(userId);
    if (opening === undefined) {
      opening = this.#create(userId).finally(() => this.#opening.delete(userId));
      this.#opening.set(userId, opening);
    }
    return opening;
  }

  async #create(userId: string): Promise<string> {
    const response = await this.#transport.send(this.#transport.api("/channels/direct"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([this.#botUserId, userId]),
    });
    const channel = await response.json() as Channel;
    this.#remember ??= this.#db.prepare(
      "INSERT OR REPLACE INTO direct_channels (user_id, channel_id, created_at) VALUES (?, ?, ?)",
    );
    this.#remember.run(userId, channel.id, Date.now());
    return channel.id;
  }
}
