/**
 * The emulator's data and the rules that change it: users and tokens, teams, channels,
 * memberships, posts and files. Mutations follow the real server's checks and emit the same
 * WebSocket events; seeding helpers (createUser, addChannelMember...) are lenient on purpose.
 */

import type { Channel, ChannelMembership } from "@mattermost/types/channels";
import type { FileInfo } from "@mattermost/types/files";
import type { Post } from "@mattermost/types/posts";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import { AppError, invalidBodyParam, invalidUrlParam, permissionError } from "./http.ts";
import { isValidId, newId } from "./ids.ts";
import {
  type AuthzLookups,
  canCreatePost,
  canUploadFile,
  hasReadChannel,
  isSystemAdmin,
} from "./permissions.ts";
import type {
  ChannelMemberRecord,
  ChannelRecord,
  FileInfoRecord,
  PostRecord,
  ReactionRecord,
  TeamMemberRecord,
  TeamRecord,
  UserRecord,
} from "./records.ts";
import { serverChannelMentions } from "./mentions.ts";
import { Presence } from "./presence.ts";
import { emptyBroadcast, type WsEvent } from "./resume.ts";
import type { ChangeSignal } from "./signal.ts";
import type { EmulatorStore } from "./types.ts";
import { postView, userView } from "./views.ts";

/** Longest message in runes (model.PostMessageMaxRunesV2). */
export const POST_MESSAGE_MAX_RUNES = 16_383;
/** Longest JSON encoding of file_ids in runes (model.PostFileidsMaxRunes): 10 ids fit, 11 do not. */
export const POST_FILEIDS_MAX_RUNES = 300;
/** Default FileSettings.MaxFileSize. */
export const DEFAULT_MAX_FILE_SIZE = 100 * 1024 * 1024;
/** Default TeamSettings.MaxUsersPerTeam: a team holds at most this many active users. */
export const DEFAULT_MAX_USERS_PER_TEAM = 50;
/** The channels a user joins with a team (DefaultChannelNames without ExperimentalDefaultChannels). */
const DEFAULT_CHANNEL_NAMES = ["town-square", "off-topic"];

/** Where store mutations send WebSocket events: to every connection whose user passes `to`. */
export interface EventSink {
  publish(event: WsEvent, to: (userId: string) => boolean): void;
}

/** What createPost accepts (REST body or seeding call). */
export interface PostInput {
  channel_id: string;
  message: string;
  file_ids?: string[];
  props?: Record<string, unknown>;
  root_id?: string;
  pending_post_id?: string;
  /** A past creation time: only system admins may set it over REST (imports, seeding). */
  create_at?: number;
  /** A system post type (`system_join_team`...): never over REST, only server-side seeding. */
  type?: string;
}

/** A user to seed with `createUser` (roles "system_user" unless given). */
export interface NewUser {
  username: string;
  first_name?: string;
  last_name?: string;
  is_bot?: boolean;
  roles?: string;
  timezone?: UserTimezone;
}

/** A public or private team channel to seed with `createChannel`. */
export interface NewChannel {
  team_id: string;
  name: string;
  display_name?: string;
  type: "O" | "P";
  header?: string;
  purpose?: string;
}

/** What a test or seeding call posts with `createPost` (a REST body without the client's id). */
export type CreatePostInput = Omit<PostInput, "pending_post_id">;

/** Post types the server saves without counting them in total_msg_count (IsJoinLeaveMessage). */
const JOIN_LEAVE_TYPES = new Set([
  "system_join_leave",
  "system_join_channel",
  "system_leave_channel",
  "system_join_team",
  "system_leave_team",
  "system_add_remove",
  "system_add_to_channel",
  "system_remove_from_channel",
  "system_add_to_team",
  "system_remove_from_team",
]);

/** An uploaded part: file name, bytes, optional declared MIME type. */
export interface UploadPart {
  name: string;
  bytes: Uint8Array;
  mime?: string;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  bmp: "image/bmp",
  pdf: "application/pdf",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  json: "application/json",
  html: "text/html; charset=utf-8",
  xml: "text/xml; charset=utf-8",
  zip: "application/zip",
  gz: "application/gzip",
  mp3: "audio/mpeg",
  mp4: "video/mp4",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};

function runeCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function hashtagsOf(message: string): string {
  const tags = message.match(/(?<=^|\s)#[A-Za-z][A-Za-z0-9_.-]{2,}/g) ?? [];
  return [...new Set(tags)].join(" ");
}

/** A new, unattached post record at `at` (create and update time) with the given fields. */
function newPostRecord(
  fields:
    & Pick<
      PostRecord,
      "user_id" | "channel_id" | "root_id" | "message" | "type" | "props" | "hashtags"
    >
    & { readonly at: number },
): PostRecord {
  return {
    id: newId(),
    create_at: fields.at,
    update_at: fields.at,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: fields.user_id,
    channel_id: fields.channel_id,
    root_id: fields.root_id,
    original_id: "",
    message: fields.message,
    type: fields.type,
    props: fields.props,
    hashtags: fields.hashtags,
    file_ids: [],
    pending_post_id: "",
    reply_count: 0,
    last_reply_at: 0,
    participants: null,
  };
}

/** In-memory Mattermost data with the server's rules. */
export class MemoryStore implements EmulatorStore, AuthzLookups {
  private readonly users = new Map<string, UserRecord>();
  private readonly tokens = new Map<string, string>();
  private readonly teams = new Map<string, TeamRecord>();
  private readonly teamMembers = new Map<string, Map<string, TeamMemberRecord>>();
  private readonly channels = new Map<string, ChannelRecord>();
  private readonly channelMembers = new Map<string, Map<string, ChannelMemberRecord>>();
  private readonly posts = new Map<string, PostRecord>();
  /** Posts by channel and replies by root, in saving order: a request never scans them all. */
  private readonly postsByChannel = new Map<string, PostRecord[]>();
  private readonly repliesByRoot = new Map<string, PostRecord[]>();
  private readonly files = new Map<string, { info: FileInfoRecord; bytes: Uint8Array }>();
  /** Reactions by post id (model.Reaction JSON). */
  private readonly reactions = new Map<string, ReactionRecord[]>();
  private lastPostAt = 0;
  /** Users' statuses (`@here`, `GET`/`PUT /users/{id}/status`). */
  readonly presence: Presence;

  /** Wires the store to the change signal, the WebSocket sink and the socket counter. */
  constructor(
    private readonly deps: {
      signal: ChangeSignal;
      sink: EventSink;
      maxFileSize: number;
      maxUsersPerTeam?: number;
      countSockets: (userId?: string) => number;
    },
  ) {
    this.presence = new Presence((userId) => deps.countSockets(userId));
  }

  // ---- lookups (AuthzLookups and routes) ----

  /**
   * The user behind a token, if the token is known and its user active: the server makes no
   * session for a deactivated user's token (it works again once the user is reactivated).
   */
  tokenUser(token: string): string | undefined {
    const userId = this.tokens.get(token);
    if (userId === undefined || (this.users.get(userId)?.delete_at ?? 0) > 0) return undefined;
    return userId;
  }

  /** The stored user record. */
  userRecord(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  /** A user as GET /users/me shows it to themselves. */
  user(id: string): UserProfile | undefined {
    const u = this.users.get(id);
    return u ? (userView(u, u.id) as unknown as UserProfile) : undefined;
  }

  /** The stored user with that username. */
  userRecordByName(username: string): UserRecord | undefined {
    for (const u of this.users.values()) if (u.username === username) return u;
    return undefined;
  }

  /** The stored team record. */
  teamRecord(id: string): TeamRecord | undefined {
    return this.teams.get(id);
  }

  /** The stored team with that name. */
  teamRecordByName(name: string): TeamRecord | undefined {
    for (const t of this.teams.values()) if (t.name === name) return t;
    return undefined;
  }

  /** The stored channel record. */
  channelRecord(id: string): ChannelRecord | undefined {
    return this.channels.get(id);
  }

  /** A channel by name in a team or among DMs (store getByName: TeamId = team OR ''). */
  channelRecordByName(
    teamId: string,
    name: string,
    includeDeleted = false,
  ): ChannelRecord | undefined {
    for (const c of this.channels.values()) {
      if (c.name !== name || (c.team_id !== teamId && c.team_id !== "")) continue;
      if (!includeDeleted && c.delete_at !== 0) continue;
      return c;
    }
    return undefined;
  }

  /** Whether the user is in the team (a removed member's record stays, with delete_at set). */
  isTeamMember(teamId: string, userId: string): boolean {
    return this.teamMembers.get(teamId)?.get(userId)?.delete_at === 0;
  }

  /** Whether the user is in the channel. */
  isChannelMember(channelId: string, userId: string): boolean {
    return this.channelMembers.get(channelId)?.has(userId) ?? false;
  }

  /** The team membership record. */
  teamMemberRecord(teamId: string, userId: string): TeamMemberRecord | undefined {
    return this.teamMembers.get(teamId)?.get(userId);
  }

  /** The channel membership record. */
  channelMemberRecord(channelId: string, userId: string): ChannelMemberRecord | undefined {
    return this.channelMembers.get(channelId)?.get(userId);
  }

  /** Every membership of a channel, in joining order. */
  channelMemberRecords(channelId: string): ChannelMemberRecord[] {
    return [...(this.channelMembers.get(channelId)?.values() ?? [])];
  }

  /** The teams a user belongs to. */
  teamsOf(userId: string): TeamRecord[] {
    return [...this.teams.values()].filter((t) => this.isTeamMember(t.id, userId));
  }

  /** Non-archived public channels of a team, by display name (GetPublicChannelsForTeam). */
  publicChannels(teamId: string): ChannelRecord[] {
    return [...this.channels.values()]
      .filter((c) => c.team_id === teamId && c.type === "O" && c.delete_at === 0)
      .sort((a, b) => a.display_name.localeCompare(b.display_name) || a.id.localeCompare(b.id));
  }

  /** Channels of the team the user is in, plus their DMs/GMs, by display name (SqlChannelStore.GetChannels). */
  channelsForUser(teamId: string, userId: string, includeDeleted: boolean): ChannelRecord[] {
    return [...this.channels.values()]
      .filter((c) => this.isChannelMember(c.id, userId))
      .filter((c) => c.team_id === teamId || c.team_id === "")
      .filter((c) => includeDeleted || c.delete_at === 0)
      .sort((a, b) => a.display_name.localeCompare(b.display_name) || a.id.localeCompare(b.id));
  }

  /** The stored post record. */
  postRecord(id: string): PostRecord | undefined {
    return this.posts.get(id);
  }

  /** The stored file and its bytes. */
  fileRecord(id: string): { info: FileInfoRecord; bytes: Uint8Array } | undefined {
    return this.files.get(id);
  }

  /** Live files attached to a post, in file_ids order. */
  filesOf(post: PostRecord): FileInfoRecord[] {
    return post.file_ids
      .map((id) => this.files.get(id)?.info)
      .filter((f): f is FileInfoRecord => f !== undefined && f.delete_at === 0);
  }

  /** A post as clients get it (with metadata.files, metadata.reactions and a live reply count). */
  postForClient(post: PostRecord): Record<string, unknown> {
    const view = postView(post, this.filesOf(post), this.reactions.get(post.id) ?? []);
    if (post.root_id === "") {
      view.reply_count = (this.repliesByRoot.get(post.id) ?? []).filter((p) => p.delete_at === 0)
        .length;
    }
    return view;
  }

  /** Posts of a channel, newest first, deleted ones optionally included. */
  channelPosts(channelId: string, includeDeleted: boolean): PostRecord[] {
    return (this.postsByChannel.get(channelId) ?? [])
      .filter((p) => includeDeleted || p.delete_at === 0)
      .sort((a, b) => b.create_at - a.create_at);
  }

  // ---- rule-checked mutations ----

  /**
   * POST /posts (createPost -> CreatePostAsUser -> CreatePost): permission checks, archived
   * channel, root, length limits; then attaches only the poster's unattached files and drops
   * the rest silently (attachFilesToPost), saves, and publishes `posted`.
   */
  submitPost(userId: string, input: PostInput, setOnline = true): PostRecord {
    const { channel, rootId, message, fileIds } = this.checkPost(userId, input);
    const user = this.users.get(userId)!;
    const props: Record<string, unknown> =
      input.props && typeof input.props === "object" && !Array.isArray(input.props)
        ? structuredClone(input.props)
        : {};
    delete props.add_channel_member;
    delete props.force_notification;
    if (user.is_bot) props.from_bot = "true";
    const backdated = typeof input.create_at === "number" && input.create_at > 0;
    const post = newPostRecord({
      at: backdated ? input.create_at! : this.nextPostTime(),
      user_id: userId,
      channel_id: channel.id,
      root_id: rootId,
      message,
      type: typeof input.type === "string" ? input.type : "",
      props,
      hashtags: hashtagsOf(message),
    });
    this.attachFiles(post, fileIds);
    this.savePost(post, channel);
    if (setOnline) this.presence.touched(userId);
    this.countMentions(post, channel);
    this.publishPosted(post, channel, user, setOnline, input.pending_post_id ?? "");
    // CreatePostAsUser marks the channel viewed for the poster, except for posts from a bot
    // (CreatePost sets from_bot first), from a webhook, or replies under collapsed threads
    // (on by default). So a bot's own answers leave its msg_count where it was.
    if (!("from_bot" in props) && !("from_webhook" in props) && rootId === "") {
      this.viewChannels(userId, [channel.id]);
    }
    this.deps.signal.notify();
    return post;
  }

  /**
   * createPost's checks, in the server's order: permissions, archived channel, root, message
   * length, file ids (de-duplicated and sorted, as Post.PreSave does), and the NUL that
   * PostgreSQL refuses. Throws the AppError the server would answer with.
   */
  private checkPost(userId: string, input: PostInput): {
    channel: ChannelRecord;
    rootId: string;
    message: string;
    fileIds: string[];
  } {
    const channelId = typeof input.channel_id === "string" ? input.channel_id : "";
    const fileIds = Array.isArray(input.file_ids) ? input.file_ids.map(String) : [];
    if (!canCreatePost(this, userId, channelId)) throw permissionError();
    if (fileIds.length > 0 && !canUploadFile(this, userId, channelId)) throw permissionError();
    const channel = this.channels.get(channelId)!;
    if (channel.delete_at !== 0) {
      throw new AppError("api.post.create_post.can_not_post_to_deleted.error", 400);
    }
    const rootId = typeof input.root_id === "string" ? input.root_id : "";
    if (rootId !== "") this.checkRoot(rootId, channelId);
    const message = typeof input.message === "string" ? input.message : "";
    const length = runeCount(message);
    if (length > POST_MESSAGE_MAX_RUNES) {
      throw new AppError("model.post.is_valid.message_length.app_error", 400, {
        Length: length,
        MaxLength: POST_MESSAGE_MAX_RUNES,
      });
    }
    // Post.PreSave de-duplicates file_ids by sorting them (model.RemoveDuplicateStrings): a
    // post's files come back in id order, not in the order they were given.
    const uniqueFileIds = [...new Set(fileIds)].sort();
    if (runeCount(JSON.stringify(uniqueFileIds)) > POST_FILEIDS_MAX_RUNES) {
      throw new AppError("model.post.is_valid.file_ids.app_error", 400);
    }
    // PostgreSQL cannot store U+0000 in text: the insert fails and the server answers 500.
    if (message.includes("\u0000")) throw new AppError("app.post.save.app_error", 500);
    return { channel, rootId, message, fileIds: uniqueFileIds };
  }

  /** A reply's root must exist, not be deleted, not be a reply itself, and be in the channel. */
  private checkRoot(rootId: string, channelId: string): void {
    const root = this.posts.get(rootId);
    if (!root || root.delete_at !== 0 || root.root_id !== "") {
      throw new AppError("api.post.create_post.root_id.app_error", 400);
    }
    if (root.channel_id !== channelId) {
      throw new AppError("api.post.create_post.channel_root_id.app_error", 400);
    }
  }

  /** attachFilesToPost: only the poster's unattached files; the others are dropped silently. */
  private attachFiles(post: PostRecord, fileIds: readonly string[]): void {
    for (const id of fileIds) {
      const file = this.files.get(id);
      if (!file || file.info.post_id || file.info.user_id !== post.user_id) continue;
      file.info.post_id = post.id;
      file.info.channel_id = post.channel_id;
      post.file_ids.push(id);
    }
  }

  /**
   * Stores a post and moves its channel's times and counts as SqlPostStore.SaveMultiple does:
   * GREATEST for the times; join/leave posts are not counted; a reply updates its root.
   */
  private savePost(post: PostRecord, channel: ChannelRecord): void {
    this.posts.set(post.id, post);
    appendTo(this.postsByChannel, post.channel_id, post);
    if (post.root_id !== "") appendTo(this.repliesByRoot, post.root_id, post);
    const at = post.create_at;
    channel.last_post_at = Math.max(channel.last_post_at, at);
    const counted = JOIN_LEAVE_TYPES.has(post.type) ? 0 : 1;
    channel.total_msg_count += counted;
    if (post.root_id === "") {
      channel.last_root_post_at = Math.max(channel.last_root_post_at, at);
      channel.total_msg_count_root += counted;
    } else {
      const root = this.posts.get(post.root_id)!;
      root.last_reply_at = at;
      root.update_at = at;
    }
  }

  /**
   * The next post time: strictly after the last one (so `since` queries see every post), even
   * when that runs a few ms ahead of the wall clock.
   */
  private nextPostTime(): number {
    const now = Math.max(Date.now(), this.lastPostAt + 1);
    this.lastPostAt = now;
    return now;
  }

  /**
   * ViewChannel -> MarkChannelsAsViewed -> SqlChannelStore.UpdateLastViewedAt: for each channel
   * the user is in, msg_count (and _root) rise to the channel's totals, last_viewed_at to its
   * last_post_at, mention counts drop to 0; publishes `channel_viewed` to the user. Returns
   * last_post_at per existing channel (the response's last_viewed_at_times).
   */
  viewChannels(userId: string, channelIds: string[]): Record<string, number> {
    const times: Record<string, number> = {};
    for (const id of channelIds) {
      const channel = this.channels.get(id);
      if (!channel) continue;
      times[id] = channel.last_post_at;
      const member = this.channelMembers.get(id)?.get(userId);
      if (!member) continue;
      member.msg_count = Math.max(member.msg_count, channel.total_msg_count);
      member.msg_count_root = Math.max(member.msg_count_root, channel.total_msg_count_root);
      member.last_viewed_at = Math.max(member.last_viewed_at, channel.last_post_at);
      member.last_update_at = Math.max(member.last_viewed_at, channel.last_post_at);
      member.mention_count = 0;
      member.mention_count_root = 0;
      member.urgent_mention_count = 0;
      this.deps.sink.publish(
        {
          event: "channel_viewed",
          data: { channel_id: id },
          broadcast: emptyBroadcast({ user_id: userId }),
        },
        (uid) => uid === userId,
      );
    }
    this.deps.signal.notify();
    return times;
  }

  /** Memberships of a user in a team's channels and in their DMs/GMs (GetChannelMembersForUser). */
  memberRecordsForUser(teamId: string, userId: string): ChannelMemberRecord[] {
    const out: ChannelMemberRecord[] = [];
    for (const channel of this.channels.values()) {
      if (channel.team_id !== teamId && channel.team_id !== "") continue;
      const member = this.channelMembers.get(channel.id)?.get(userId);
      if (member) out.push(member);
    }
    return out;
  }

  private publishPosted(
    post: PostRecord,
    channel: ChannelRecord,
    sender: UserRecord,
    setOnline: boolean,
    pendingPostId: string,
  ): void {
    const view = this.postForClient(post);
    view.pending_post_id = pendingPostId;
    const data: Record<string, unknown> = {
      channel_display_name: channel.type === "D" ? `@${sender.username}` : channel.display_name,
      channel_name: channel.name,
      channel_type: channel.type,
      post: JSON.stringify(view),
      sender_name: `@${sender.username}`,
      set_online: setOnline,
      team_id: channel.team_id,
    };
    const files = this.filesOf(post);
    if (files.length > 0) {
      data.otherFile = "true";
      if (files.some((f) => f.mime_type.startsWith("image/"))) data.image = "true";
    }
    const mentions = this.mentionsOf(post, channel);
    if (mentions.length > 0) data.mentions = JSON.stringify(mentions);
    this.deps.sink.publish(
      { event: "posted", data, broadcast: emptyBroadcast({ channel_id: channel.id }) },
      (uid) => this.isChannelMember(channel.id, uid),
    );
  }

  private mentionsOf(post: PostRecord, channel: ChannelRecord): string[] {
    const members = this.channelMemberRecords(channel.id)
      .map((m) => m.user_id)
      .filter((id) => id !== post.user_id);
    if (channel.type === "D") return members;
    // Like the server: code never notifies; @all and @channel notify every member, @here
    // those online, as its mention parser splits words (Unicode 15.0 letters and `:.-_@`).
    const wide = serverChannelMentions(post.message);
    if (wide.has("@all") || wide.has("@channel")) return members;
    const text = post.message.replace(/(`{3,})[\s\S]*?\1|`[^`\n]*`/g, " ");
    return members.filter((id) => {
      if (wide.has("@here") && this.presence.isOnline(id)) return true;
      const name = this.users.get(id)?.username;
      if (name === undefined) return false;
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return new RegExp(`(^|[^\\w.-])@${escaped}(?![\\w-])`, "i").test(text);
    });
  }

  /** IncrementMentionCount: each member a post notifies gets one more mention in the channel. */
  private countMentions(post: PostRecord, channel: ChannelRecord): void {
    for (const userId of this.mentionsOf(post, channel)) {
      const member = this.channelMemberRecord(channel.id, userId);
      if (!member) continue;
      member.mention_count++;
      if (post.root_id === "") member.mention_count_root++;
    }
  }

  /** Whom a post notifies (what `posted` events carry as `mentions`): for tests. */
  mentionedBy(postId: string): string[] {
    const post = this.posts.get(postId);
    const channel = post && this.channels.get(post.channel_id);
    return post && channel ? this.mentionsOf(post, channel) : [];
  }

  /**
   * POST /files: upload_file permission on the channel (membership), then each part is
   * refused with 413 when larger than MaxFileSize. Files start unattached.
   */
  submitFiles(userId: string, channelId: string, parts: UploadPart[]): FileInfoRecord[] {
    if (!canUploadFile(this, userId, channelId)) throw permissionError();
    for (const part of parts) {
      if (part.bytes.byteLength > this.deps.maxFileSize) {
        throw new AppError("api.file.upload_file.too_large_detailed.app_error", 413, {
          Filename: part.name,
          Length: part.bytes.byteLength,
          Limit: this.deps.maxFileSize,
        });
      }
    }
    const infos = parts.map((part) => {
      const now = Date.now();
      const base = part.name.split(/[\\/]/).pop() ?? part.name;
      const dot = base.lastIndexOf(".");
      const extension = dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
      const info: FileInfoRecord = {
        id: newId(),
        user_id: userId,
        channel_id: channelId,
        create_at: now,
        update_at: now,
        delete_at: 0,
        name: base,
        extension,
        size: part.bytes.byteLength,
        mime_type: part.mime ?? MIME_BY_EXTENSION[extension] ?? "",
        mini_preview: null,
        remote_id: "",
        archived: false,
      };
      this.files.set(info.id, { info, bytes: part.bytes.slice() });
      return info;
    });
    this.deps.signal.notify();
    return infos;
  }

  /**
   * DELETE /posts/{id}: author needs delete_post (a channel member), others need
   * delete_others_posts (admins here). Soft-deletes the post and its replies and publishes
   * `post_deleted` (sanitized for members, with delete_by for admins).
   */
  removePost(userId: string, postId: string): void {
    const post = this.posts.get(postId);
    if (!post || post.delete_at !== 0) throw new AppError("app.post.get.app_error", 404);
    const channel = this.changeablePostChannel(
      userId,
      post,
      "api.post.delete_post.can_not_delete_post_in_deleted.error",
    );
    const snapshot = JSON.stringify(this.postForClient(post));
    // Post times are kept strictly increasing (and may run ahead of the wall clock by a few
    // ms); a deletion must come after them so `since` queries see it.
    const now = this.nextPostTime();
    for (const p of [post, ...(this.repliesByRoot.get(postId) ?? [])]) {
      if (p.delete_at !== 0) continue;
      p.delete_at = now;
      p.update_at = now;
      p.props = { ...p.props, deleteBy: userId };
      for (const id of p.file_ids) {
        const f = this.files.get(id);
        if (f) f.info.delete_at = now;
      }
    }
    const broadcast = emptyBroadcast({ channel_id: channel.id });
    const member = (uid: string) => this.isChannelMember(channel.id, uid);
    this.deps.sink.publish(
      {
        event: "post_deleted",
        data: { post: snapshot },
        broadcast: { ...broadcast, contains_sanitized_data: true },
      },
      (uid) => member(uid) && !isSystemAdmin(this, uid),
    );
    this.deps.sink.publish(
      {
        event: "post_deleted",
        data: { post: snapshot, delete_by: userId },
        broadcast: { ...broadcast, contains_sensitive_data: true },
      },
      (uid) => member(uid) && isSystemAdmin(this, uid),
    );
    this.deps.signal.notify();
  }

  /**
   * Who may change (edit or delete) a post: its author as a channel member, others as admins;
   * a post in an archived channel cannot be changed (`archivedError`). Returns the channel.
   */
  private changeablePostChannel(
    userId: string,
    post: PostRecord,
    archivedError: string,
  ): ChannelRecord {
    const allowed = post.user_id === userId
      ? hasReadChannel(this, userId, post.channel_id)
      : isSystemAdmin(this, userId);
    if (!allowed) throw permissionError();
    const channel = this.channels.get(post.channel_id)!;
    if (channel.delete_at !== 0) throw new AppError(archivedError, 400);
    return channel;
  }

  /**
   * PUT /posts/{id}/patch (patchPost -> postPatchChecks -> App.PatchPost): a post that is gone
   * (deleted or unknown) answers 403 like a missing edit_post permission; the author needs
   * edit_post (a channel member), others edit_others_posts (admins here); a post in an
   * archived channel cannot be changed. Sets edit_at when the message changes and publishes
   * `post_edited`.
   */
  patchPost(
    userId: string,
    postId: string,
    patch: { message?: string; is_pinned?: boolean },
  ): PostRecord {
    const post = this.posts.get(postId);
    if (!post || post.delete_at !== 0) throw permissionError();
    const channel = this.changeablePostChannel(
      userId,
      post,
      "api.post.update_post.can_not_update_post_in_deleted.error",
    );
    if (patch.message !== undefined) {
      const length = runeCount(patch.message);
      if (length > POST_MESSAGE_MAX_RUNES) {
        throw new AppError("model.post.is_valid.message_length.app_error", 400, {
          Length: length,
          MaxLength: POST_MESSAGE_MAX_RUNES,
        });
      }
    }
    const now = Date.now();
    if (patch.message !== undefined && patch.message !== post.message) {
      post.message = patch.message;
      post.hashtags = hashtagsOf(patch.message);
      post.edit_at = now;
    }
    if (patch.is_pinned !== undefined) post.is_pinned = patch.is_pinned;
    post.update_at = now;
    this.deps.sink.publish(
      {
        event: "post_edited",
        data: { post: JSON.stringify(this.postForClient(post)) },
        broadcast: emptyBroadcast({ channel_id: channel.id }),
      },
      (uid) => this.isChannelMember(channel.id, uid),
    );
    this.deps.signal.notify();
    return post;
  }

  /**
   * POST /reactions (saveReaction -> SaveReactionForPost): add_reaction on the post's channel
   * (membership); the post must be live; the same emoji twice by one user is one reaction.
   * Publishes `reaction_added`.
   */
  submitReaction(userId: string, postId: string, emojiName: string): ReactionRecord {
    const post = this.posts.get(postId);
    if (!post || !hasReadChannel(this, userId, post.channel_id)) throw permissionError();
    if (post.delete_at !== 0) throw new AppError("app.post.get.app_error", 404);
    const list = this.reactions.get(postId) ?? [];
    let reaction = list.find((r) => r.user_id === userId && r.emoji_name === emojiName);
    if (reaction === undefined) {
      const now = Date.now();
      reaction = {
        user_id: userId,
        post_id: postId,
        emoji_name: emojiName,
        create_at: now,
        update_at: now,
        delete_at: 0,
        remote_id: "",
        channel_id: post.channel_id,
      };
      list.push(reaction);
      this.reactions.set(postId, list);
      post.update_at = now;
      this.deps.sink.publish(
        {
          event: "reaction_added",
          data: { reaction: JSON.stringify(reaction) },
          broadcast: emptyBroadcast({ channel_id: post.channel_id }),
        },
        (uid) => this.isChannelMember(post.channel_id, uid),
      );
      this.deps.signal.notify();
    }
    return structuredClone(reaction);
  }

  /** GET /channels/{id}/stats: active members (bots included), as model.ChannelStats. */
  channelStats(channelId: string): Record<string, unknown> {
    const members = this.channelMemberRecords(channelId)
      .filter((m) => (this.users.get(m.user_id)?.delete_at ?? 1) === 0);
    const posts = this.channelPosts(channelId, false);
    return {
      channel_id: channelId,
      member_count: members.length,
      guest_count: 0,
      pinnedpost_count: posts.filter((p) => p.is_pinned).length,
      files_count: posts.reduce((n, p) => n + this.filesOf(p).length, 0),
    };
  }

  /** POST /channels/direct: validates the pair and gets or creates the DM (direct_added on creation). */
  submitDirectChannel(sessionUserId: string, body: unknown): ChannelRecord {
    if (!Array.isArray(body) || body.length !== 2) throw invalidBodyParam("user_ids");
    const ids = body.map(String);
    for (const id of ids) if (!isValidId(id)) throw invalidBodyParam("user_id");
    if (!ids.includes(sessionUserId) && !isSystemAdmin(this, sessionUserId)) {
      throw permissionError();
    }
    if (!ids.every((id) => this.users.has(id))) {
      throw new AppError("api.channel.create_direct_channel.invalid_user.app_error", 400);
    }
    return this.getOrCreateDirect(ids[0], ids[1]);
  }

  private getOrCreateDirect(a: string, b: string): ChannelRecord {
    const name = [a, b].sort().join("__");
    const existing = this.channelRecordByName("", name, true);
    if (existing) return existing;
    const now = Date.now();
    const channel: ChannelRecord = {
      ...this.blankChannel(now),
      team_id: "",
      type: "D",
      display_name: "",
      name,
      creator_id: a,
    };
    this.channels.set(channel.id, channel);
    this.channelMembers.set(channel.id, new Map());
    this.putChannelMember(channel.id, a);
    this.putChannelMember(channel.id, b);
    this.deps.sink.publish(
      {
        event: "direct_added",
        data: { creator_id: a, teammate_id: b },
        broadcast: emptyBroadcast({ channel_id: channel.id }),
      },
      (uid) => this.isChannelMember(channel.id, uid),
    );
    this.deps.signal.notify();
    return channel;
  }

  private blankChannel(now: number): ChannelRecord {
    return {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      team_id: "",
      type: "O",
      display_name: "",
      name: "",
      header: "",
      purpose: "",
      last_post_at: 0,
      total_msg_count: 0,
      extra_update_at: 0,
      creator_id: "",
      scheme_id: null,
      props: null,
      group_constrained: null,
      shared: null,
      total_msg_count_root: 0,
      policy_id: null,
      last_root_post_at: 0,
    };
  }

  private putChannelMember(channelId: string, userId: string): void {
    const members = this.channelMembers.get(channelId)!;
    if (members.has(userId)) return;
    const now = Date.now();
    members.set(userId, {
      channel_id: channelId,
      user_id: userId,
      roles: "channel_user",
      last_viewed_at: 0,
      msg_count: 0,
      mention_count: 0,
      mention_count_root: 0,
      urgent_mention_count: 0,
      msg_count_root: 0,
      notify_props: {
        desktop: "default",
        email: "default",
        ignore_channel_mentions: "default",
        mark_unread: "all",
        push: "default",
        channel_auto_follow_threads: "off",
        desktop_threads: "default",
        push_threads: "default",
      },
      last_update_at: now,
      scheme_guest: false,
      scheme_user: true,
      scheme_admin: false,
      explicit_roles: "",
    });
  }

  // ---- EmulatorStore: seeding ----

  /** Creates a user (roles "system_user" unless given) and a token for it. */
  createUser(u: NewUser): { user: UserProfile; token: string } {
    if (this.userRecordByName(u.username)) throw new Error(`username taken: ${u.username}`);
    const now = Date.now();
    const record: UserRecord = {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      username: u.username,
      auth_service: "",
      email: u.is_bot ? `${u.username}@localhost` : `${u.username}@example.com`,
      nickname: "",
      first_name: u.first_name ?? "",
      last_name: u.last_name ?? "",
      position: "",
      roles: u.roles ?? "system_user",
      props: {},
      notify_props: {
        channel: "true",
        comments: "never",
        desktop: "mention",
        desktop_sound: "true",
        email: "true",
        first_name: "false",
        mention_keys: "",
        push: "mention",
        push_status: "online",
      },
      last_password_update: now,
      locale: "en",
      timezone: u.timezone === undefined
        ? { automaticTimezone: "", manualTimezone: "", useAutomaticTimezone: "true" }
        : timezoneRecord(u.timezone),
      disable_welcome_email: false,
    };
    if (u.is_bot) {
      record.is_bot = true;
      record.bot_description = "";
    }
    this.users.set(record.id, record);
    const token = newId();
    this.tokens.set(token, record.id);
    this.deps.signal.notify();
    return { user: this.user(record.id)!, token };
  }

  /** Creates a team: type "O", allow_open_invite false (the server's defaults). */
  createTeam(t: { name: string; display_name?: string }): Team {
    if (this.teamRecordByName(t.name)) throw new Error(`team name taken: ${t.name}`);
    const now = Date.now();
    const team: TeamRecord = {
      id: newId(),
      create_at: now,
      update_at: now,
      delete_at: 0,
      display_name: t.display_name ?? t.name,
      name: t.name,
      description: "",
      email: "",
      type: "O",
      company_name: "",
      allowed_domains: "",
      invite_id: newId(),
      allow_open_invite: false,
      scheme_id: null,
      group_constrained: null,
      policy_id: null,
      cloud_limits_archived: false,
    };
    this.teams.set(team.id, team);
    this.teamMembers.set(team.id, new Map());
    return structuredClone(team) as unknown as Team;
  }

  /**
   * Adds a user to a team (idempotent), as JoinUserToTeam does: refused with 400
   * `app.team.join_user_to_team.save_member.max_accounts.app_error` when the team already has
   * MaxUsersPerTeam active users (bots count); then the user joins the team's default public
   * channels (town-square, off-topic) when they exist, with the server's system posts:
   * `system_join_team` in town-square and `system_join_channel` elsewhere, under the user's id.
   */
  addTeamMember(teamId: string, userId: string): void {
    const members = this.teamMembers.get(teamId);
    if (!members) throw new Error(`unknown team ${teamId}`);
    if (!this.users.has(userId)) throw new Error(`unknown user ${userId}`);
    if (this.isTeamMember(teamId, userId)) return;
    const active =
      [...members.values()].filter((m) =>
        m.delete_at === 0 && this.users.get(m.user_id)?.delete_at === 0
      ).length;
    if (active >= (this.deps.maxUsersPerTeam ?? DEFAULT_MAX_USERS_PER_TEAM)) {
      throw new AppError("app.team.join_user_to_team.save_member.max_accounts.app_error", 400);
    }
    members.set(userId, {
      team_id: teamId,
      user_id: userId,
      roles: "team_user",
      delete_at: 0,
      scheme_guest: false,
      scheme_user: true,
      scheme_admin: false,
      explicit_roles: "",
      create_at: Date.now(),
    });
    // AddTeamMember -> added_to_team, to the user alone (the team hears nothing).
    this.deps.sink.publish(
      {
        event: "added_to_team",
        data: { team_id: teamId, user_id: userId },
        broadcast: emptyBroadcast({ user_id: userId }),
      },
      (uid) => uid === userId,
    );
    for (const name of DEFAULT_CHANNEL_NAMES) {
      const channel = this.channelRecordByName(teamId, name);
      if (
        channel === undefined || channel.type !== "O" || this.isChannelMember(channel.id, userId)
      ) {
        continue;
      }
      this.putChannelMember(channel.id, userId);
      this.writeJoinPost(channel, userId, name === "town-square" ? "team" : "channel");
    }
    this.deps.signal.notify();
  }

  /**
   * The system post the server writes when a user joins a team or channel by themselves
   * (postJoinTeamMessage / postJoinChannelMessage): under the joining user's id, with
   * `props.username`, and `props.from_bot: "true"` when the user is a bot (CreatePost).
   */
  private writeJoinPost(channel: ChannelRecord, userId: string, what: "team" | "channel"): void {
    const user = this.users.get(userId)!;
    const props: Record<string, unknown> = { username: user.username };
    if (user.is_bot) props.from_bot = "true";
    const post = newPostRecord({
      at: this.nextPostTime(),
      user_id: userId,
      channel_id: channel.id,
      root_id: "",
      message: `${user.username} joined the ${what}.`,
      type: what === "team" ? "system_join_team" : "system_join_channel",
      props,
      hashtags: "",
    });
    // A join/leave post moves last_post_at but is not counted (IsJoinLeaveMessage).
    this.savePost(post, channel);
    this.publishPosted(post, channel, user, true, "");
  }

  /** Creates a public or private channel in a team. */
  createChannel(c: NewChannel): Channel {
    if (!this.teams.has(c.team_id)) throw new Error(`unknown team ${c.team_id}`);
    if (this.channelRecordByName(c.team_id, c.name, true)) {
      throw new Error(`channel name taken: ${c.name}`);
    }
    const channel: ChannelRecord = {
      ...this.blankChannel(Date.now()),
      team_id: c.team_id,
      type: c.type,
      display_name: c.display_name ?? c.name,
      name: c.name,
      header: c.header ?? "",
      purpose: c.purpose ?? "",
    };
    this.channels.set(channel.id, channel);
    this.channelMembers.set(channel.id, new Map());
    this.deps.signal.notify();
    return this.channel(channel.id)!;
  }

  /**
   * Adds a user to a channel, and to its team first when needed. Like a user joining by
   * themselves, a new member of a team channel gets a `system_join_channel` post under their
   * own id (`props.from_bot: "true"` for a bot).
   */
  addChannelMember(channelId: string, userId: string): void {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    if (!this.users.has(userId)) throw new Error(`unknown user ${userId}`);
    if (channel.team_id !== "") this.addTeamMember(channel.team_id, userId);
    if (this.isChannelMember(channelId, userId)) return;
    this.putChannelMember(channelId, userId);
    if (channel.team_id !== "") this.writeJoinPost(channel, userId, "channel");
    // AddChannelMember: user_added to the other members, and to the user.
    const data = { user_id: userId, team_id: channel.team_id };
    this.deps.sink.publish(
      {
        event: "user_added",
        data,
        broadcast: emptyBroadcast({ channel_id: channelId, omit_users: { [userId]: true } }),
      },
      (uid) => uid !== userId && this.isChannelMember(channelId, uid),
    );
    this.deps.sink.publish(
      {
        event: "user_added",
        data,
        broadcast: emptyBroadcast({ channel_id: channelId, user_id: userId }),
      },
      (uid) => uid === userId,
    );
    this.deps.signal.notify();
  }

  /**
   * Removes a user from a channel, with the events of RemoveUserFromChannel: `user_removed` to
   * the channel's remaining members (`user_id`, `remover_id`) and to the removed user
   * (`channel_id`, `remover_id`). Nothing when the user is not a member.
   */
  removeChannelMember(channelId: string, userId: string, removerId = ""): void {
    if (!this.channelMembers.get(channelId)?.delete(userId)) return;
    this.deps.sink.publish(
      {
        event: "user_removed",
        data: { user_id: userId, remover_id: removerId },
        broadcast: emptyBroadcast({ channel_id: channelId }),
      },
      (uid) => this.isChannelMember(channelId, uid),
    );
    this.deps.sink.publish(
      {
        event: "user_removed",
        data: { channel_id: channelId, remover_id: removerId },
        broadcast: emptyBroadcast({ user_id: userId }),
      },
      (uid) => uid === userId,
    );
    this.deps.signal.notify();
  }

  /**
   * Removes a user from a team, as LeaveTeam does: out of every channel of the team (no
   * events for those), a `system_remove_from_team` post in town-square under the user's id,
   * `leave_team` (`user_id`, `team_id`) to the team's other members (broadcast `team_id`,
   * the user omitted) and to the user, then the membership kept with delete_at set and no
   * roles. Nothing when the user is not a member.
   */
  removeTeamMember(teamId: string, userId: string): void {
    const member = this.teamMembers.get(teamId)?.get(userId);
    if (member === undefined || member.delete_at !== 0) return;
    for (const channel of this.channels.values()) {
      if (channel.team_id === teamId) this.channelMembers.get(channel.id)?.delete(userId);
    }
    const town = this.channelRecordByName(teamId, "town-square");
    const user = this.users.get(userId)!;
    if (town !== undefined) {
      const post = newPostRecord({
        at: this.nextPostTime(),
        user_id: userId,
        channel_id: town.id,
        root_id: "",
        message: `${user.username} was removed from the team.`,
        type: "system_remove_from_team",
        props: { username: user.username },
        hashtags: "",
      });
      this.savePost(post, town);
      this.publishPosted(post, town, user, true, "");
    }
    const data = { user_id: userId, team_id: teamId };
    this.deps.sink.publish(
      {
        event: "leave_team",
        data,
        broadcast: emptyBroadcast({ team_id: teamId, omit_users: { [userId]: true } }),
      },
      (uid) => uid !== userId && this.isTeamMember(teamId, uid),
    );
    this.deps.sink.publish(
      { event: "leave_team", data, broadcast: emptyBroadcast({ user_id: userId }) },
      (uid) => uid === userId,
    );
    member.delete_at = Date.now();
    member.roles = "";
    this.deps.signal.notify();
  }

  /**
   * Deactivates (`active` false) or reactivates a user, as UpdateActive does: delete_at and
   * update_at set; a deactivated user's tokens are refused (see {@link tokenUser}); and
   * `user_updated` with the user is published as sendUpdatedUserEvent does: to system admins
   * (ContainsSensitiveData), to everyone else sanitized (ContainsSanitizedData), and to the
   * user. Memberships of teams and channels stay.
   */
  setUserActive(userId: string, active: boolean): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    const now = Date.now();
    user.update_at = now;
    user.delete_at = active ? 0 : now;
    const omit = { [userId]: true };
    this.deps.sink.publish(
      {
        event: "user_updated",
        data: { user: userView(user, "") },
        broadcast: emptyBroadcast({ omit_users: omit, contains_sensitive_data: true }),
      },
      (uid) => uid !== userId && isSystemAdmin(this, uid),
    );
    this.deps.sink.publish(
      {
        event: "user_updated",
        data: { user: userView(user, "") },
        broadcast: emptyBroadcast({ omit_users: omit, contains_sanitized_data: true }),
      },
      (uid) => uid !== userId && !isSystemAdmin(this, uid),
    );
    this.deps.sink.publish(
      {
        event: "user_updated",
        data: { user: userView(user, userId) },
        broadcast: emptyBroadcast({ user_id: userId }),
      },
      (uid) => uid === userId,
    );
    this.deps.signal.notify();
  }

  /** Archives a channel: delete_at = update_at = now. */
  archiveChannel(channelId: string): void {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    const now = Date.now();
    channel.delete_at = now;
    channel.update_at = now;
    this.deps.signal.notify();
  }

  /** Gets or creates the DM channel between two users. */
  directChannel(userA: string, userB: string): Channel {
    if (!this.users.has(userA) || !this.users.has(userB)) throw new Error("unknown user");
    return this.channel(this.getOrCreateDirect(userA, userB).id)!;
  }

  /** Adds the system_post_all_public role ("post:channels"). */
  grantPostAllPublic(userId: string): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    if (!user.roles.split(/\s+/).includes("system_post_all_public")) {
      user.roles = `${user.roles} system_post_all_public`.trim();
    }
  }

  /** Sets a user's time zone as their profile stores it (what the web client's settings do). */
  setUserTimezone(userId: string, timezone: UserTimezone): void {
    const user = this.users.get(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    user.timezone = timezoneRecord(timezone);
    user.update_at = Date.now();
    this.deps.signal.notify();
  }

  /** Reacts to a post as the user with the REST rules; throws AppError like the API would. */
  addReaction(userId: string, postId: string, emojiName: string): void {
    this.submitReaction(userId, postId, emojiName);
  }

  /** Edits a post as that user with the REST rules (PUT /posts/{id}/patch). */
  editPost(userId: string, postId: string, message: string): Post {
    return this.postForClient(this.patchPost(userId, postId, { message })) as unknown as Post;
  }

  /**
   * Posts as the user with the REST rules; throws AppError like the API would answer.
   * `create_at` back-dates the post (as an admin may over REST); `type` makes a system post
   * (as the server writes itself, e.g. `system_join_team` under a bot's id).
   */
  createPost(userId: string, p: CreatePostInput): Post {
    const post = this.submitPost(userId, p);
    return this.postForClient(post) as unknown as Post;
  }

  /** Uploads one file as the user with the REST rules. */
  uploadFile(
    userId: string,
    channelId: string,
    name: string,
    bytes: Uint8Array,
    mime?: string,
  ): FileInfo {
    const [info] = this.submitFiles(userId, channelId, [{ name, bytes, mime }]);
    return structuredClone(info) as unknown as FileInfo;
  }

  // ---- EmulatorStore: inspection ----

  /** Non-deleted posts of a channel, oldest first. */
  postsIn(channelId: string): Post[] {
    return this.channelPosts(channelId, false)
      .reverse()
      .map((p) => this.postForClient(p) as unknown as Post);
  }

  /** All posts, deleted included, oldest first. */
  allPosts(): Post[] {
    return [...this.posts.values()]
      .sort((a, b) => a.create_at - b.create_at)
      .map((p) => this.postForClient(p) as unknown as Post);
  }

  /** A copy of a file's bytes. */
  fileBytes(fileId: string): Uint8Array | undefined {
    return this.files.get(fileId)?.bytes.slice();
  }

  /** A file's metadata. */
  getFile(fileId: string): FileInfo | undefined {
    const f = this.files.get(fileId);
    return f ? (structuredClone(f.info) as unknown as FileInfo) : undefined;
  }

  /** A user by username. */
  userByName(username: string): UserProfile | undefined {
    const u = this.userRecordByName(username);
    return u ? this.user(u.id) : undefined;
  }

  /** A channel by id. */
  channel(id: string): Channel | undefined {
    const c = this.channels.get(id);
    return c ? (structuredClone(c) as unknown as Channel) : undefined;
  }

  /** A user's membership of a channel (a copy), with its unread counters. */
  channelMember(channelId: string, userId: string): ChannelMembership | undefined {
    const m = this.channelMembers.get(channelId)?.get(userId);
    return m ? (structuredClone(m) as unknown as ChannelMembership) : undefined;
  }

  /** A channel by team id and name (archived ones included). */
  channelByName(teamId: string, name: string): Channel | undefined {
    const c = this.channelRecordByName(teamId, name, true);
    return c ? this.channel(c.id) : undefined;
  }

  /** Open authenticated sockets. */
  connectedSockets(userId?: string): number {
    return this.deps.countSockets(userId);
  }
}

/**
 * A user's time zone choice: automatic (the browser's zone, `automaticTimezone`) or manual.
 * The server stores all three fields as strings (model.User.Timezone is a StringMap).
 */
export type UserTimezone =
  | { readonly automatic: string }
  | { readonly manual: string; readonly automatic?: string };

function timezoneRecord(tz: UserTimezone): Record<string, string> {
  return "manual" in tz
    ? {
      automaticTimezone: tz.automatic ?? "",
      manualTimezone: tz.manual,
      useAutomaticTimezone: "false",
    }
    : { automaticTimezone: tz.automatic, manualTimezone: "", useAutomaticTimezone: "true" };
}

/** Throws the 400 the server gives for a malformed id in the URL. */
export function requireId(value: string, name: string): string {
  if (!isValidId(value)) throw invalidUrlParam(name);
  return value;
}

/** Adds `value` to the list kept under `key`. */
function appendTo<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list === undefined) lists.set(key, [value]);
  else list.push(value);
}
