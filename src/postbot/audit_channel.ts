/**
 * The audit channel (`BOT_LOG_CHANNEL_ID`) holds only the bot's own audit lines. If anyone
 * could broadcast into it, a message like "FAKE AUDIT: @bob undid broadcast abc12345" would
 * appear there as the bot. So it is never a broadcast target: channels.toml may not make it
 * one (checked at startup and by `!add_group`), target resolution refuses it however it is
 * named, and delivery refuses it again for broadcasts stored earlier.
 *
 * @module
 */

import { type Problem, problem } from "@postbot/framework";
import type { ChannelCache } from "./channel_cache.ts";
import { type ChannelsConfig, nameKey } from "./channels/config.ts";

/** Every way channels.toml makes the audit channel a target, one problem each; empty when none. */
export function auditChannelProblems(
  auditChannelId: string,
  config: ChannelsConfig,
  cache: ChannelCache,
): readonly Problem[] {
  if (auditChannelId === "") return [];
  const problems: Problem[] = [];
  for (
    const [table, groups] of [["groups", config.groups], [
      "private_groups",
      config.privateGroups,
    ]] as const
  ) {
    for (const [name, ids] of groups) {
      if (ids.includes(auditChannelId)) {
        problems.push(problem(`group ${JSON.stringify(name)} in [${table}] lists it`));
      }
    }
  }
  const audit = cache.byId(auditChannelId);
  for (const entry of config.whitelist) {
    const key = nameKey(entry.replace(/^~/, ""));
    // Whitelist entries name a channel by id or by name, as target resolution reads them.
    const named = entry === auditChannelId ||
      (audit !== undefined && audit.name.toLowerCase() === key);
    if (named) problems.push(problem(`the whitelist names it (${JSON.stringify(entry)})`));
  }
  return problems;
}

/** The refusal for a target that leads to the audit channel. */
export function auditTargetRefusal(token: string): string {
  return `${token} leads to the bot's audit channel (BOT_LOG_CHANNEL_ID), which never ` +
    "receives broadcasts: only the bot's own audit lines go there. Choose other channels.";
}
