/**
 * The checks a valid channels.toml must also pass before the bot runs with it: today, that
 * it never makes the audit channel a broadcast target. They need the running bot's view (its
 * audit channel, the team's channels), so they live here and not in the file's own
 * validation (channels/parse.ts).
 *
 * Startup refuses a file that fails them, and the store applies the very same function before
 * every write (`ChannelsStore.guard`): a chat command can never save a file the next start
 * would refuse, and a hand edit that already fails them is named instead of built upon.
 *
 * @module
 */

import { auditChannelClashes } from "./audit_channel.ts";
import type { ChannelCache } from "./channel_cache.ts";
import { channelsEntryError } from "./channels/parse.ts";
import type { ChannelsRule } from "./channels/channels_file.ts";

/** What the rules need from the running bot. */
export interface ChannelsRulesContext {
  /** BOT_LOG_CHANNEL_ID ("" when none). */
  readonly auditChannelId: string;
  readonly cache: Pick<ChannelCache, "byId">;
}

/** The rules startup applies to channels.toml, as one function for startup and the store. */
export function channelsRules({ auditChannelId, cache }: ChannelsRulesContext): ChannelsRule {
  return (config, text, file) =>
    auditChannelClashes(auditChannelId, config, cache).map((clash) =>
      channelsEntryError(
        file,
        text,
        `${clash.what} the audit channel (BOT_LOG_CHANNEL_ID=${auditChannelId}), which must ` +
          "never receive broadcasts: remove it from the file, or set BOT_LOG_CHANNEL_ID to a " +
          "channel used only for the bot's audit posts",
        clash.place,
      )
    );
}
