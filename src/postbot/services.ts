/**
 * The pieces of postbot that commands and the wizard share, built once at startup.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { BotIdentity, RestTransport } from "@postbot/framework";
import type { ChannelCache } from "./channel_cache.ts";
import type { ChannelsStore } from "./channels/store.ts";
import type { PostbotConfig } from "./config.ts";
import type { ChannelPrivacy } from "./privacy.ts";

/** Shared dependencies, passed explicitly rather than imported as globals. */
export interface PostbotServices {
  readonly config: PostbotConfig;
  readonly identity: BotIdentity;
  readonly transport: RestTransport;
  readonly cache: ChannelCache;
  readonly channels: ChannelsStore;
  readonly db: DatabaseSync;
  /** Who may see which private channel, for every answer that could name one. */
  readonly privacy: ChannelPrivacy;
  /** Whether a user is an administrator (ADMIN_USERS), for messages sent outside a reply. */
  readonly isAdmin: (userId: string, username: string) => boolean;
}
