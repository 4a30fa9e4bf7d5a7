/**
 * The emulator's store: the stores of each resource (users, teams, channels and their
 * memberships, posts and their changes, files, reactions, presence) wired to one set of
 * {@link Tables}, behind the {@link EmulatorStore} interface tests seed and inspect through.
 * Mutations follow the real server's checks and emit the same WebSocket events; seeding
 * helpers (createUser, addChannelMember...) are lenient on purpose. The routes reach the
 * stores and the tables directly.
 */

import type { Channel, ChannelMembership } from "@mattermost/types/channels";
import type { FileInfo } from "@mattermost/types/files";
import type { Post } from "@mattermost/types/posts";
import type { Reaction } from "@mattermost/types/reactions";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import { ChannelStore, type NewChannel } from "./channels.ts";
import { FileStore } from "./files.ts";
import { MembershipStore } from "./memberships.ts";
import { PostChanges } from "./post_changes.ts";
import { type CreatePostInput, PostStore } from "./posts.ts";
import { Presence } from "./presence.ts";
import type { EmulatorConfig } from "./config.ts";
import { PostActions } from "./post_actions.ts";
import { ReactionStore } from "./reactions.ts";
import type { ChangeSignal } from "./signal.ts";
import { type EventSink, StoreEvents } from "./store_events.ts";
import { Tables } from "./tables.ts";
import { TeamStore } from "./teams.ts";
import type { EmulatorStore } from "./types.ts";
import { type NewUser, UserStore, type UserTimezone } from "./users.ts";

/** What the store is wired to: the change signal, the WebSocket sink, limits, the socket count. */
export interface MemoryStoreDeps {
  /** The server settings a test may change while it runs (shared with the Emulator). */
  config: EmulatorConfig;
  signal: ChangeSignal;
  sink: EventSink;
  maxFileSize: number;
  maxUsersPerTeam?: number;
  countSockets: (userId?: string) => number;
}

/** In-memory Mattermost data with the server's rules. */
export class MemoryStore implements EmulatorStore {
  /** The records and the lookups over them. */
  readonly tables = new Tables();
  /** Users' statuses (`@here`, `GET`/`PUT /users/{id}/status`). */
  readonly presence: Presence;
  /** Accounts and tokens. */
  readonly users: UserStore;
  /** Teams and team membership. */
  readonly teams: TeamStore;
  /** Channels, DMs and channel membership. */
  readonly channels: ChannelStore;
  /** Memberships' unread counters. */
  readonly memberships: MembershipStore;
  /** New posts. */
  readonly posts: PostStore;
  /** Edits and deletions of posts. */
  readonly postChanges: PostChanges;
  /** Uploads. */
  readonly files: FileStore;
  /** Reactions. */
  readonly reactions: ReactionStore;
  /** Interactive button clicks. */
  readonly actions: PostActions;
  readonly #countSockets: (userId?: string) => number;

  /** Wires the stores to the change signal, the WebSocket sink and the socket counter. */
  constructor(deps: MemoryStoreDeps) {
    const tables = this.tables;
    const events = new StoreEvents(deps.sink, deps.signal);
    this.#countSockets = deps.countSockets;
    this.presence = new Presence((userId) => deps.countSockets(userId));
    this.users = new UserStore(tables, events);
    this.files = new FileStore(tables, events, deps.maxFileSize);
    const config = deps.config;
    this.reactions = new ReactionStore(tables, events, config);
    this.memberships = new MembershipStore(tables, events);
    const { files, memberships, presence } = this;
    this.posts = new PostStore(tables, events, { config, files, memberships, presence });
    this.postChanges = new PostChanges(tables, events, config);
    this.actions = new PostActions(tables, events, config, this.postChanges);
    const posts = this.posts;
    this.teams = new TeamStore(tables, events, {
      memberships,
      posts,
      maxUsersPerTeam: deps.maxUsersPerTeam,
    });
    this.channels = new ChannelStore(tables, events, {
      config,
      teams: this.teams,
      memberships,
      posts,
    });
  }

  // ---- EmulatorStore: seeding ----

  /** Creates a user (roles "system_user" unless given) and a token for it. */
  createUser(u: NewUser): { user: UserProfile; token: string } {
    return this.users.createUser(u);
  }

  /** Sets a user's time zone as their profile stores it (what the web client's settings do). */
  setUserTimezone(userId: string, timezone: UserTimezone): void {
    this.users.setUserTimezone(userId, timezone);
  }

  /** Deactivates or reactivates a user (`user_updated` to everyone); tokens follow. */
  setUserActive(userId: string, active: boolean): void {
    this.users.setUserActive(userId, active);
  }

  /** Adds the system_post_all_public role ("post:channels"). */
  grantPostAllPublic(userId: string): void {
    this.users.grantPostAllPublic(userId);
  }

  /** Creates a team: type "O", allow_open_invite false (the server's defaults). */
  createTeam(t: { name: string; display_name?: string }): Team {
    return this.teams.createTeam(t);
  }

  /** Adds a user to a team (idempotent) with its default channels, as JoinUserToTeam does. */
  addTeamMember(teamId: string, userId: string): void {
    this.teams.addTeamMember(teamId, userId);
  }

  /** Removes a user from a team and its channels, as LeaveTeam does. */
  removeTeamMember(teamId: string, userId: string): void {
    this.teams.removeTeamMember(teamId, userId);
  }

  /** Creates a public or private channel in a team. */
  createChannel(c: NewChannel): Channel {
    return this.channels.createChannel(c);
  }

  /** Adds a user to a channel, and to its team first when needed. */
  addChannelMember(channelId: string, userId: string): void {
    this.channels.addChannelMember(channelId, userId);
  }

  /** Removes a user from a channel (`user_removed` to its members and to the user). */
  removeChannelMember(channelId: string, userId: string, removerId = ""): void {
    this.channels.removeChannelMember(channelId, userId, removerId);
  }

  /** Archives a channel: delete_at = update_at = now. */
  archiveChannel(channelId: string): void {
    this.channels.archiveChannel(channelId);
  }

  /** Gets or creates the DM channel between two users. */
  directChannel(userA: string, userB: string): Channel {
    return this.channels.directChannel(userA, userB);
  }

  /**
   * Posts as the user with the REST rules; throws AppError like the API would answer.
   * `create_at` back-dates the post (as an admin may over REST); `type` makes a system post
   * (as the server writes itself, e.g. `system_join_team` under a bot's id).
   */
  createPost(userId: string, p: CreatePostInput): Post {
    return this.posts.clientPost(this.posts.submitPost(userId, p), { priority: "echo" });
  }

  /** Edits a post as that user with the REST rules (PUT /posts/{id}/patch). */
  editPost(userId: string, postId: string, message: string): Post {
    return this.posts.clientPost(this.postChanges.patchPost(userId, postId, { message }));
  }

  /** Reacts to a post as the user with the REST rules; throws AppError like the API would. */
  addReaction(userId: string, postId: string, emojiName: string): void {
    this.reactions.submitReaction(userId, postId, emojiName);
  }

  /** Removes the user's reaction with the REST rules (200 and an event even when absent). */
  removeReaction(userId: string, postId: string, emojiName: string): void {
    this.reactions.removeReaction(userId, userId, postId, emojiName);
  }

  /** Clicks a post's button as the user (POST /posts/{id}/actions/{action_id} rules). */
  async clickAction(
    userId: string,
    postId: string,
    actionId: string,
  ): Promise<{ status: "OK"; trigger_id: string }> {
    return await this.actions.click(userId, postId, actionId);
  }

  /** Uploads one file as the user with the REST rules. */
  uploadFile(
    userId: string,
    channelId: string,
    name: string,
    bytes: Uint8Array,
    mime?: string,
  ): FileInfo {
    const [info] = this.files.submitFiles(userId, channelId, [{ name, bytes, mime }]);
    return structuredClone(info) as unknown as FileInfo;
  }

  /** Marks channels viewed by the user, as their client does; returns each one's last_post_at. */
  viewChannels(userId: string, channelIds: string[]): Record<string, number> {
    return this.memberships.viewChannels(userId, channelIds);
  }

  // ---- EmulatorStore: inspection ----

  /** Non-deleted posts of a channel, oldest first. */
  postsIn(channelId: string): Post[] {
    return this.tables.channelPosts(channelId, false).reverse().map((p) =>
      this.posts.clientPost(p)
    );
  }

  /** All posts, deleted included, oldest first. */
  allPosts(): Post[] {
    return [...this.tables.posts.values()]
      .sort((a, b) => a.create_at - b.create_at)
      .map((p) => this.posts.clientPost(p));
  }

  /** The live reactions to a post, oldest first (deleted posts' too). */
  reactionsTo(postId: string): Reaction[] {
    return structuredClone(
      (this.tables.reactions.get(postId) ?? []).filter((r) => r.delete_at === 0)
        .sort((a, b) => a.create_at - b.create_at),
    ) as unknown as Reaction[];
  }

  /**
   * A post as stored, integrations (URL and context) included -- what no client ever sees:
   * for tests of what a bot put in its buttons.
   */
  storedPost(postId: string): Post | undefined {
    const post = this.tables.posts.get(postId);
    return post ? structuredClone(post) as unknown as Post : undefined;
  }

  /** Whom a post notifies (what `posted` events carry as `mentions`): for tests. */
  mentionedBy(postId: string): string[] {
    return this.posts.mentionedBy(postId);
  }

  /** A copy of a file's bytes. */
  fileBytes(fileId: string): Uint8Array | undefined {
    return this.tables.files.get(fileId)?.bytes.slice();
  }

  /** A file's metadata. */
  getFile(fileId: string): FileInfo | undefined {
    const f = this.tables.files.get(fileId);
    return f ? (structuredClone(f.info) as unknown as FileInfo) : undefined;
  }

  /** A user as GET /users/me shows it to themselves. */
  user(id: string): UserProfile | undefined {
    return this.tables.user(id);
  }

  /** A user by username. */
  userByName(username: string): UserProfile | undefined {
    const u = this.tables.userRecordByName(username);
    return u ? this.tables.user(u.id) : undefined;
  }

  /** A channel by id. */
  channel(id: string): Channel | undefined {
    return this.tables.channel(id);
  }

  /** A user's membership of a channel (a copy), with its unread counters. */
  channelMember(channelId: string, userId: string): ChannelMembership | undefined {
    const m = this.tables.channelMemberRecord(channelId, userId);
    return m ? (structuredClone(m) as unknown as ChannelMembership) : undefined;
  }

  /** A channel by team id and name (archived ones included). */
  channelByName(teamId: string, name: string): Channel | undefined {
    const c = this.tables.channelRecordByName(teamId, name, true);
    return c ? this.tables.channel(c.id) : undefined;
  }

  /** Open authenticated sockets. */
  connectedSockets(userId?: string): number {
    return this.#countSockets(userId);
  }
}
