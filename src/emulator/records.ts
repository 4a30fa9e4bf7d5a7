/**
 * The emulator's stored objects, in the JSON shapes the real server sends (server/public/model).
 * They are kept in that shape so views only need to sanitize or decorate, never translate.
 */

/** A user as GET /users/me returns it (model.User JSON; `is_bot` only when true). */
export interface UserRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  username: string;
  auth_service: string;
  email: string;
  nickname: string;
  first_name: string;
  last_name: string;
  position: string;
  roles: string;
  props: Record<string, string>;
  notify_props: Record<string, string>;
  last_password_update: number;
  locale: string;
  timezone: Record<string, string>;
  is_bot?: boolean;
  bot_description?: string;
  disable_welcome_email: boolean;
}

/** A team (model.Team JSON). */
export interface TeamRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  display_name: string;
  name: string;
  description: string;
  email: string;
  type: "O" | "I";
  company_name: string;
  allowed_domains: string;
  invite_id: string;
  allow_open_invite: boolean;
  scheme_id: string | null;
  group_constrained: boolean | null;
  policy_id: string | null;
  cloud_limits_archived: boolean;
}

/** A channel (model.Channel JSON). */
export interface ChannelRecord {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  team_id: string;
  type: "O" | "P" | "D" | "G";
  display_name: string;
  name: string;
  header: string;
  purpose: string;
  last_post_at: number;
  total_msg_count: number;
  extra_update_at: number;
  creator_id: string;
  scheme_id: string | null;
  props: Record<string, unknown> | null;
  group_constrained: boolean | null;
  shared: boolean | null;
  total_msg_count_root: number;
  policy_id: string | null;
  last_root_post_at: number;
}

/** A post as stored (model.Post JSON without the per-request metadata). */
export interface PostRecord {
  id: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  is_pinned: boolean;
  user_id: string;
  channel_id: string;
  root_id: string;
  original_id: string;
  message: string;
  type: string;
  props: Record<string, unknown>;
  hashtags: string;
  file_ids: string[];
  pending_post_id: string;
  reply_count: number;
  last_reply_at: number;
  participants: null;
  /** The priority the post was created with (the PostsPriority row), if any. */
  priority?: PriorityRecord;
}

/**
 * A post's priority (model.PostPriority; the PostsPriority row). The fields a client left out
 * are null; `priority` is never null once saved (the column is NOT NULL).
 */
export interface PriorityRecord {
  priority: string | null;
  requested_ack: boolean | null;
  persistent_notifications: boolean | null;
}

/** File metadata (model.FileInfo JSON; `post_id` only once attached, like its omitempty tag). */
export interface FileInfoRecord {
  id: string;
  user_id: string;
  post_id?: string;
  channel_id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  name: string;
  extension: string;
  size: number;
  mime_type: string;
  mini_preview: null;
  remote_id: string;
  archived: boolean;
}

/** A team membership (model.TeamMember JSON). */
export interface TeamMemberRecord {
  team_id: string;
  user_id: string;
  roles: string;
  delete_at: number;
  scheme_guest: boolean;
  scheme_user: boolean;
  scheme_admin: boolean;
  explicit_roles: string;
  create_at: number;
}

/** A channel membership (model.ChannelMember JSON). */
export interface ChannelMemberRecord {
  channel_id: string;
  user_id: string;
  roles: string;
  last_viewed_at: number;
  msg_count: number;
  mention_count: number;
  mention_count_root: number;
  urgent_mention_count: number;
  msg_count_root: number;
  notify_props: Record<string, string>;
  last_update_at: number;
  scheme_guest: boolean;
  scheme_user: boolean;
  scheme_admin: boolean;
  explicit_roles: string;
}

/** A reaction (model.Reaction JSON). */
export interface ReactionRecord {
  user_id: string;
  post_id: string;
  emoji_name: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  remote_id: string;
  channel_id: string;
}
