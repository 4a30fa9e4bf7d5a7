/**
 * TeamSettings.RestrictDirectMessage = "team": direct and group messages only between people
 * who share a team (App.GetCommonTeamIDsForTwoUsers, CheckIfChannelIsRestrictedDM).
 */

import type { EmulatorConfig } from "./config.ts";
import type { ChannelRecord } from "./records.ts";
import type { Tables } from "./tables.ts";

/** The live teams every one of `userIds` is an active member of. */
export function commonTeamIds(tables: Tables, userIds: readonly string[]): string[] {
  return [...tables.teams.values()]
    .filter((t) => t.delete_at === 0 && userIds.every((id) => tables.isTeamMember(t.id, id)))
    .map((t) => t.id);
}

/**
 * CheckIfChannelIsRestrictedDM: with the setting on "team", a DM or GM whose members share no
 * team is restricted (no posts, reactions or post updates in it).
 */
export function isRestrictedDm(
  tables: Tables,
  config: Pick<EmulatorConfig, "restrictDirectMessage">,
  channel: ChannelRecord,
): boolean {
  if (config.restrictDirectMessage !== "team") return false;
  if (channel.type !== "D" && channel.type !== "G") return false;
  const members = tables.channelMemberRecords(channel.id).map((m) => m.user_id);
  return commonTeamIds(tables, members).length === 0;
}
