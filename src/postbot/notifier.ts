/**
 * Messages the bot starts itself, outside a reply: a DM to a user (a broadcast report after a
 * restart, a session that expired) and audit posts in `BOT_LOG_CHANNEL_ID`.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import {
  fail,
  logger,
  ok,
  postMessage,
  type Problem,
  type RestTransport,
  type Result,
  sendTo,
} from "@postbot/framework";

const log = logger("notify");

/**
 * Sends DMs and audit posts. A failure is logged here and returned as a {@link Problem},
 * never thrown: a notice that could not be sent must not stop the work it reports on.
 */
export class Notifier {
  readonly #transport: RestTransport;
  readonly #botUserId: string;
  readonly #auditChannelId: string;
  readonly #dmChannels = new Map<string, string>();

  constructor(transport: RestTransport, botUserId: string, auditChannelId: string) {
    this.#transport = transport;
    this.#botUserId = botUserId;
    this.#auditChannelId = auditChannelId;
  }

  /** Posts text (split when long) to a channel; the problem when it could not. */
  async post(channelId: string, text: string): Promise<Result<void, Problem>> {
    try {
      await postMessage(sendTo(this.#transport, channelId), text);
      return ok(undefined);
    } catch (e) {
      log.error("Could not post to channel {channel}: {error}", { channel: channelId, error: e });
      return fail(`Could not post to channel ${channelId}: ${(e as Error).message}`);
    }
  }

  /** The DM channel between the bot and a user (created when needed). */
  async dmChannel(userId: string): Promise<string | undefined> {
    const known = this.#dmChannels.get(userId);
    if (known !== undefined) return known;
    try {
      const response = await this.#transport.send(this.#transport.api("/channels/direct"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify([this.#botUserId, userId]),
      });
      const channel = await response.json() as Channel;
      this.#dmChannels.set(userId, channel.id);
      return channel.id;
    } catch (e) {
      log.error("Could not open a DM with user {user}: {error}", { user: userId, error: e });
      return undefined;
    }
  }

  /** Remembers a user's DM channel (seen on an incoming message). */
  rememberDm(userId: string, channelId: string): void {
    this.#dmChannels.set(userId, channelId);
  }

  /** Sends a DM to a user; the problem when it could not. */
  async dm(userId: string, text: string): Promise<Result<void, Problem>> {
    const channel = await this.dmChannel(userId);
    if (channel === undefined) return fail(`Could not open a DM with user ${userId}`);
    return await this.post(channel, text);
  }

  /** Sends a user one short DM carrying `props` (buttons); the problem when it could not. */
  async dmWithProps(
    userId: string,
    text: string,
    props: Record<string, unknown>,
  ): Promise<Result<void, Problem>> {
    const channel = await this.dmChannel(userId);
    if (channel === undefined) return fail(`Could not open a DM with user ${userId}`);
    try {
      await this.#transport.send(this.#transport.api("/posts"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ channel_id: channel, message: text, props }),
      });
      return ok(undefined);
    } catch (e) {
      log.error("Could not post to channel {channel}: {error}", { channel, error: e });
      return fail(`Could not post to channel ${channel}: ${(e as Error).message}`);
    }
  }

  /** Posts to the audit channel, when one is configured. */
  async audit(text: string): Promise<void> {
    if (this.#auditChannelId === "") return;
    await this.post(this.#auditChannelId, text);
  }
}
