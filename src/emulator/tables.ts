/**
 * The emulator's data: every record by id, the indexes a request needs so it never scans all
 * posts (posts by channel, replies by root), the post clock, and the read-only lookups that the
 * stores, the routes and the permission checks share. Nothing here changes data by the
 * server's rules: the stores beside it do (users.ts, teams.ts, channels.ts, memberships.ts,
 * posts.ts, post_changes.ts, files.ts, reactions.ts), and store.ts puts them together.
 */

import type { Channel } from "@mattermost/types/channels";
import type { UserProfile } from "@mattermost/types/users";
import type { AuthzLookups } from "./permissions.ts";
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
import { postView, type PostViewOptions, userView } from "./views.ts";

/** An uploaded file: its metadata and its bytes. */
export interface StoredFile {
  info: FileInfoRecord;
  bytes: Uint8Array;
}

/** In-memory Mattermost data and the lookups over it. */
export class Tables implements AuthzLookups {
  /** Users by id. */
  readonly users = new Map<string, UserRecord>();
  /** Personal access and bot tokens: token -> user id. */
  readonly tokens = new Map<string, string>();
  /** Teams by id. */
  readonly teams = new Map<string, TeamRecord>();
  /** Team memberships: team id -> user id -> membership (kept with delete_at on leaving). */
  readonly teamMembers = new Map<string, Map<string, TeamMemberRecord>>();
  /** Channels by id. */
  readonly channels = new Map<string, ChannelRecord>();
  /** Channel memberships: channel id -> user id -> membership, in joining order. */
  readonly channelMembers = new Map<string, Map<string, ChannelMemberRecord>>();
  /** Posts by id. */
  readonly posts = new Map<string, PostRecord>();
  /** Posts by channel id, in saving order: a request never scans them all. */
  readonly postsByChannel = new Map<string, PostRecord[]>();
  /** Replies by root post id, in saving order. */
  readonly repliesByRoot = new Map<string, PostRecord[]>();
  /** Uploaded files by id. */
  readonly files = new Map<string, StoredFile>();
  /** Reactions by post id (model.Reaction JSON). */
  readonly reactions = new Map<string, ReactionRecord[]>();
  #lastPostAt = 0;

  /**
   * The next post time: strictly after the last one (so `since` queries see every post), even
   * when that runs a few ms ahead of the wall clock.
   */
  nextPostTime(): number {
    const now = Math.max(Date.now(), this.#lastPostAt + 1);
    this.#lastPostAt = now;
    return now;
  }

  /** Stores a post under its id, its channel and (a reply) its root. */
  indexPost(post: PostRecord): void {
    this.posts.set(post.id, post);
    appendTo(this.postsByChannel, post.channel_id, post);
    if (post.root_id !== "") appendTo(this.repliesByRoot, post.root_id, post);
  }

  // ---- users and teams ----

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

  /** Whether the user is in the team (a removed member's record stays, with delete_at set). */
  isTeamMember(teamId: string, userId: string): boolean {
    return this.teamMembers.get(teamId)?.get(userId)?.delete_at === 0;
  }

  /** The team membership record. */
  teamMemberRecord(teamId: string, userId: string): TeamMemberRecord | undefined {
    return this.teamMembers.get(teamId)?.get(userId);
  }

  /** The teams a user belongs to. */
  teamsOf(userId: string): TeamRecord[] {
    return [...this.teams.values()].filter((t) => this.isTeamMember(t.id, userId));
  }

  // ---- channels and memberships ----

  /** The stored channel record. */
  channelRecord(id: string): ChannelRecord | undefined {
    return this.channels.get(id);
  }

  /** A channel as clients get it (a copy). */
  channel(id: string): Channel | undefined {
    const c = this.channels.get(id);
    return c ? (structuredClone(c) as unknown as Channel) : undefined;
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

  /** Whether the user is in the channel. */
  isChannelMember(channelId: string, userId: string): boolean {
    return this.channelMembers.get(channelId)?.has(userId) ?? false;
  }

  /** The channel membership record. */
  channelMemberRecord(channelId: string, userId: string): ChannelMemberRecord | undefined {
    return this.channelMembers.get(channelId)?.get(userId);
  }

  /** Every membership of a channel, in joining order. */
  channelMemberRecords(channelId: string): ChannelMemberRecord[] {
    return [...(this.channelMembers.get(channelId)?.values() ?? [])];
  }

  /** Non-archived public channels of a team, by display name (GetPublicChannelsForTeam). */
  publicChannels(teamId: string): ChannelRecord[] {
    return [...this.channels.values()]
      .filter((c) => c.team_id === teamId && c.type === "O" && c.delete_at === 0)
      .sort(byDisplayName);
  }

  /** Channels of the team the user is in, plus their DMs/GMs, by display name (SqlChannelStore.GetChannels). */
  channelsForUser(teamId: string, userId: string, includeDeleted: boolean): ChannelRecord[] {
    return [...this.channels.values()]
      .filter((c) => this.isChannelMember(c.id, userId))
      .filter((c) => c.team_id === teamId || c.team_id === "")
      .filter((c) => includeDeleted || c.delete_at === 0)
      .sort(byDisplayName);
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

  // ---- posts and files ----

  /** The stored post record. */
  postRecord(id: string): PostRecord | undefined {
    return this.posts.get(id);
  }

  /** Posts of a channel, newest first, deleted ones optionally included. */
  channelPosts(channelId: string, includeDeleted: boolean): PostRecord[] {
    return (this.postsByChannel.get(channelId) ?? [])
      .filter((p) => includeDeleted || p.delete_at === 0)
      .sort((a, b) => b.create_at - a.create_at);
  }

  /**
   * A post as clients get it (integrations stripped, metadata.files, metadata.reactions, and a
   * live reply count); by default as a REST read prepares it: with embeds, the stored
   * priority, and a deleted post emptied. See {@link PostViewOptions} for the others.
   */
  postForClient(
    post: PostRecord,
    opts: Omit<PostViewOptions, "files" | "reactions"> = {},
  ): Record<string, unknown> {
    const view = postView(post, {
      embeds: true,
      priority: "stored",
      ...opts,
      files: this.filesOf(post),
      reactions: this.reactions.get(post.id) ?? [],
    });
    if (post.root_id === "") {
      view.reply_count = (this.repliesByRoot.get(post.id) ?? []).filter((p) => p.delete_at === 0)
        .length;
    }
    return view;
  }

  /** The stored file and its bytes. */
  fileRecord(id: string): StoredFile | undefined {
    return this.files.get(id);
  }

  /** Live files attached to a post, in file_ids order. */
  filesOf(post: PostRecord): FileInfoRecord[] {
    return post.file_ids
      .map((id) => this.files.get(id)?.info)
      .filter((f): f is FileInfoRecord => f !== undefined && f.delete_at === 0);
  }
}

/** Channels by display name, then id (the server's ORDER BY DisplayName). */
function byDisplayName(a: ChannelRecord, b: ChannelRecord): number {
  return a.display_name.localeCompare(b.display_name) || a.id.localeCompare(b.id);
}

/** Adds `value` to the list kept under `key`. */
function appendTo<K, V>(lists: Map<K, V[]>, key: K, value: V): void {
  const list = lists.get(key);
  if (list === undefined) lists.set(key, [value]);
  else list.push(value);
}
