/**
 * The bot's direct message channel with each person it has broadcast to, kept in SQLite: a
 * person's DM channel is created (`POST /channels/direct` [bot, person]) the first time a
 * broadcast reaches them and never again, whatever the number of broadcasts or restarts. The
 * id is written down before anything is posted in the channel, so recovery after a crash
 * (or another instance after a takeover) always knows where to look for a post.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { Database } from "../database/port.ts";
import type { RestTransport } from "@postbot/framework";
import type { DirectChannelSource } from "../broadcast/delivery.ts";

/** DM channels by user id: known ones from the database, new ones created and remembered. */
export class DirectChannels implements DirectChannelSource {
  readonly #db: Database;
  readonly #transport: RestTransport;
  readonly #botUserId: string;
  /** Creations in flight, so two deliveries to one person create one channel. */
  readonly #opening = new Map<string, Promise<string>>();

  constructor(db: Database, transport: RestTransport, botUserId: string) {
    this.#db = db;
    this.#transport = transport;
    this.#botUserId = botUserId;
  }

  /** The DM channel with `userId` the bot has used before, if any. */
  async known(userId: string): Promise<string | undefined> {
    const [row] = await this.#db.query<{ channel_id: string }>(
      "SELECT channel_id FROM direct_channels WHERE user_id = ?",
      [userId],
    );
    return row?.channel_id;
  }

  /** How many people the bot has a DM channel with (for tests and metrics). */
  async count(): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM direct_channels",
    );
    return Number(row.n);
  }

  /** The DM channel with `userId`, created (and remembered) when there is none yet. */
  async open(userId: string): Promise<string> {
    const known = await this.known(userId);
    if (known !== undefined) return known;
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
    // The server answers the same channel for the same pair: another instance writing it too
    // writes the same id.
    await this.#db.run(
      `INSERT INTO direct_channels (user_id, channel_id, created_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET channel_id = excluded.channel_id,
         created_at = excluded.created_at`,
      [userId, channel.id, Date.now()],
    );
    return channel.id;
  }
}
