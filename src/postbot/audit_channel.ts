/**
 * The audit channel (`BOT_LOG_CHANNEL_ID`) holds only the bot's own audit lines. If anyone
 * could broadcast into it, a message like "FAKE AUDIT: @bob undid broadcast abc12345" would
 * appear there as the bot. So it is never a broadcast target: channels.toml may not make it
 * one (checked at startup and before every write of the file, see channels_rules.ts), target
 * resolution refuses it however it is named, and delivery refuses it again for broadcasts
 * stored earlier.
 *
 * @module
 */

import type { ChannelCache } from "./channel_cache.ts";
import { type ChannelsConfig, type ChannelsPlace, nameKey } from "./channels/parse.ts";

/** One way channels.toml makes the audit channel a target: where, and in words. */
export interface AuditClash {
  readonly place: ChannelsPlace;
  /** `group "Log" in [groups] lists`, `the whitelist entry "bot-log" names`. */
  readonly what: string;
}

/** Every way channels.toml makes the audit channel a target; empty when none. */
export function auditChannelClashes(
  auditChannelId: string,
  config: ChannelsConfig,
  cache: Pick<ChannelCache, "byId">,
): readonly AuditClash[] {
  if (auditChannelId === "") return [];
  const clashes: AuditClash[] = [];
  for (
    const [table, groups] of [["groups", config.groups], [
      "private_groups",
      config.privateGroups,
    ]] as const
  ) {
    for (const [name, ids] of groups) {
      const index = ids.indexOf(auditChannelId);
      if (index >= 0) {
        clashes.push({
          place: { group: { table, name }, index },
          what: `group ${JSON.stringify(name)} in [${table}] lists`,
        });
      }
    }
  }
  const audit = cache.byId(auditChannelId);
  for (const [index, entry] of config.whitelist.entries()) {
    const key = nameKey(entry.replace(/^~/, ""));
    // Whitelist entries name a channel by id or by name, as target resolution reads them.
    const named = entry === auditChannelId ||
      (audit !== undefined && audit.name.toLowerCase() === key);
    if (named) {
      clashes.push({
        place: { whitelistIndex: index },
        what: `the whitelist entry ${JSON.stringify(entry)} names`,
      });
    }
  }
  return clashes;
}

/** The refusal for a target that leads to the audit channel. */
export function auditTargetRefusal(token: string): string {
  return `${token} leads to the bot's audit channel (BOT_LOG_CHANNEL_ID), which never ` +
    "receives broadcasts: only the bot's own audit lines go there. Choose other channels.";
}
