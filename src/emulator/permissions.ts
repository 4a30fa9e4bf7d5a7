/**
 * The slice of Mattermost's default permission scheme the emulator needs
 * (server/channels/app/authorization.go, model/role.go): channel members hold
 * create_post / upload_file / read_channel / delete_post, team members may read public
 * channels, `system_post_all_public` ("post:channels") grants create_post_public,
 * `system_post_all` ("post:all") grants create_post everywhere, `system_admin` everything.
 */

import type { ChannelRecord, UserRecord } from "./records.ts";

/** The lookups the checks need from the store. */
export interface AuthzLookups {
  userRecord(id: string): UserRecord | undefined;
  channelRecord(id: string): ChannelRecord | undefined;
  isTeamMember(teamId: string, userId: string): boolean;
  isChannelMember(channelId: string, userId: string): boolean;
}

function roles(user: UserRecord | undefined): string[] {
  return user ? user.roles.split(/\s+/).filter(Boolean) : [];
}

/** manage_system: the system_admin role. */
export function isSystemAdmin(db: AuthzLookups, userId: string): boolean {
  return roles(db.userRecord(userId)).includes("system_admin");
}

/** create_post on a channel (userCreatePostPermissionCheckWithContext, api4/post_utils.go). */
export function canCreatePost(db: AuthzLookups, userId: string, channelId: string): boolean {
  const channel = db.channelRecord(channelId);
  if (!channel) return false;
  if (isSystemAdmin(db, userId) || db.isChannelMember(channelId, userId)) return true;
  const r = roles(db.userRecord(userId));
  if (r.includes("system_post_all")) return true;
  return channel.type === "O" && r.includes("system_post_all_public");
}

/** upload_file on a channel: a channel-member permission (file_ids on a post need it too). */
export function canUploadFile(db: AuthzLookups, userId: string, channelId: string): boolean {
  if (!db.channelRecord(channelId)) return false;
  return isSystemAdmin(db, userId) || db.isChannelMember(channelId, userId);
}

/** read_channel: membership (or admin); what GET .../members and file downloads require. */
export function hasReadChannel(db: AuthzLookups, userId: string, channelId: string): boolean {
  if (!db.channelRecord(channelId)) return false;
  return isSystemAdmin(db, userId) || db.isChannelMember(channelId, userId);
}

/** Reading a channel's content: read_channel, or a public channel of a team the user is in. */
export function canReadChannelContent(
  db: AuthzLookups,
  userId: string,
  channel: ChannelRecord,
): boolean {
  if (hasReadChannel(db, userId, channel.id)) return true;
  return channel.type === "O" && db.isTeamMember(channel.team_id, userId);
}

/** view_team / list_team_channels: team membership (or admin). */
export function canViewTeam(db: AuthzLookups, userId: string, teamId: string): boolean {
  return isSystemAdmin(db, userId) || db.isTeamMember(teamId, userId);
}
