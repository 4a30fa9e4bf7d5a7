/**
 * The public contract of the emulator (re-exported by mod.ts). Other engineers code against
 * exactly these names.
 */

import type { Channel, ChannelMembership } from "@mattermost/types/channels";
import type { FileInfo } from "@mattermost/types/files";
import type { Post } from "@mattermost/types/posts";
import type { Reaction } from "@mattermost/types/reactions";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import type { EmulatorConfig } from "./config.ts";
import type { Faults } from "./faults.ts";
import type { WaitForOptions } from "./signal.ts";
import type { NewChannel } from "./channels.ts";
import type { CreatePostInput } from "./posts.ts";
import type { NewUser, UserTimezone } from "./users.ts";

export type { EmulatorConfig } from "./config.ts";
export type { FailRule, Faults, HeldRequest, HoldRule } from "./faults.ts";
export type { NewChannel } from "./channels.ts";
export type { CreatePostInput } from "./posts.ts";
export type { NewUser, UserTimezone } from "./users.ts";
export type { RateLimitQuota } from "./rate_limit.ts";
export type { WaitForOptions } from "./signal.ts";

/** How to start the emulator. */
export interface EmulatorOptions {
  /** Interface to listen on; default 127.0.0.1. */
  hostname?: string;
  /** Port; 0 (default) picks a free one. */
  port?: number;
  /** PEM certificate and key: serve https/wss instead of http/ws. */
  tls?: { cert: string; key: string };
  /** Largest accepted upload in bytes (FileSettings.MaxFileSize); default 100 MiB. */
  maxFileSize?: number;
  /** TeamSettings.MaxUsersPerTeam: active users a team may hold; default 50 (the server's). */
  maxUsersPerTeam?: number;
  /**
   * ServiceSettings.WebserverMode. "gzip" (the real server's default) compresses answers of
   * 1 KiB and more for clients that accept it and gives file downloads an
   * X-Uncompressed-Content-Length; default "uncompressed", which spares every test the
   * compression.
   */
  webserverMode?: "gzip" | "uncompressed";
  /** Site URL subpath such as "/mm"; default "" (API at /api/v4). */
  siteUrlPath?: string;
  /** Server settings to start with (see {@link EmulatorConfig}); changeable later on `emu.config`. */
  config?: Partial<EmulatorConfig>;
  /**
   * How the `latencyMs` fault waits before answering; default a timer. Tests pass one they
   * resolve themselves, to see the delay applied without timing anything.
   */
  delay?: (ms: number) => Promise<void>;
}

/** One REST request as the emulator answered it. */
export interface RequestRecord {
  method: string;
  /** Path below the site subpath, with /api/v4, without query string (e.g. "/api/v4/posts"). */
  path: string;
  status: number;
  /** The authenticated user, when the request carried a valid token. */
  userId?: string;
  /** Epoch milliseconds when the answer was sent. */
  at: number;
}

/** A running emulator; `await using emu = await startEmulator()` stops it at the block's end. */
export interface Emulator extends AsyncDisposable {
  /** Base URL the bot is configured with, e.g. "http://127.0.0.1:41234" (+ subpath). */
  readonly url: string;
  /** Seed and inspect data. */
  readonly store: EmulatorStore;
  /** Misbehaviour switches. */
  readonly faults: Faults;
  /** The server's settings (RestrictDirectMessage, AllowedUntrustedInternalConnections...). */
  readonly config: EmulatorConfig;
  /** Every REST request (and WebSocket upgrade) in order. */
  readonly requests: RequestRecord[];
  /**
   * Client connections (TCP) open now, WebSockets included: whether clients let go of the
   * idle connections they pool.
   */
  readonly openConnections: number;
  /** Resolves when `probe` returns something truthy; re-checked on every state change. */
  waitFor<T>(probe: () => T | undefined | null | false, opts?: WaitForOptions): Promise<T>;
  /** Simulates a server restart: drops every socket; with loseEvents (default true) forgets resume buffers. */
  restart(opts?: { loseEvents?: boolean }): Promise<void>;
  /** Closes everything and frees the port. */
  stop(): Promise<void>;
}

/** Seeding and inspection of the emulator's data. */
export interface EmulatorStore {
  /** Creates a user and a personal access / bot token for Bearer auth. */
  createUser(u: NewUser): { user: UserProfile; token: string };
  /** Sets the user's profile time zone (automatic or manual), as the web client's settings do. */
  setUserTimezone(userId: string, timezone: UserTimezone): void;
  /** Reacts to a post as that user (POST /reactions rules); throws AppError on violations. */
  addReaction(userId: string, postId: string, emojiName: string): void;
  /** Removes that user's reaction (DELETE .../reactions/{emoji_name} rules); throws AppError. */
  removeReaction(userId: string, postId: string, emojiName: string): void;
  /**
   * Clicks a button of a post as that user (POST /posts/{id}/actions/{action_id} rules: the
   * emulator calls the integration and applies its answer); rejects with AppError.
   */
  clickAction(
    userId: string,
    postId: string,
    actionId: string,
  ): Promise<{ status: "OK"; trigger_id: string }>;
  /** Edits a post's message as that user (PUT /posts/{id}/patch rules). */
  editPost(userId: string, postId: string, message: string): Post;
  /** Creates a team (type "O", not open to invites). */
  createTeam(t: { name: string; display_name?: string }): Team;
  /** Makes the user a member of the team. */
  addTeamMember(teamId: string, userId: string): void;
  /** Creates a public ("O") or private ("P") channel in a team. */
  createChannel(c: NewChannel): Channel;
  /** Makes the user a member of the channel (and of its team, if needed). */
  addChannelMember(channelId: string, userId: string): void;
  /** Removes the user from the channel (`user_removed` to its members and to the user). */
  removeChannelMember(channelId: string, userId: string, removerId?: string): void;
  /** Removes the user from the team and its channels (`leave_team` to the team and the user). */
  removeTeamMember(teamId: string, userId: string): void;
  /** Deactivates or reactivates the user (`user_updated` to everyone); tokens follow. */
  setUserActive(userId: string, active: boolean): void;
  /** Archives the channel (sets delete_at). */
  archiveChannel(channelId: string): void;
  /** Gets or creates the DM channel of two users (type "D", name "<idA>__<idB>" sorted). */
  directChannel(userA: string, userB: string): Channel;
  /** Gives the user the "post:channels" role (system_post_all_public -> create_post_public). */
  grantPostAllPublic(userId: string): void;
  /** Posts as that user through the REST rules and events; throws AppError on violations. */
  createPost(userId: string, p: CreatePostInput): Post;
  /** Uploads a file as that user through the REST rules; throws AppError on violations. */
  uploadFile(
    userId: string,
    channelId: string,
    name: string,
    bytes: Uint8Array,
    mime?: string,
  ): FileInfo;
  /** Non-deleted posts of a channel, oldest first. */
  postsIn(channelId: string): Post[];
  /** Whom a post notifies (user ids), as the server computes mentions: for tests. */
  mentionedBy(postId: string): string[];
  /** Every post, deleted ones included (delete_at > 0). */
  allPosts(): Post[];
  /** A post as stored, with its actions' integrations (URL, context), which clients never see. */
  storedPost(postId: string): Post | undefined;
  /** The live reactions to a post, oldest first. */
  reactionsTo(postId: string): Reaction[];
  /** Stored bytes of a file. */
  fileBytes(fileId: string): Uint8Array | undefined;
  /** File metadata. */
  getFile(fileId: string): FileInfo | undefined;
  /** A user by id. */
  user(id: string): UserProfile | undefined;
  /** A user by username. */
  userByName(username: string): UserProfile | undefined;
  /** A channel by id. */
  channel(id: string): Channel | undefined;
  /**
   * Marks channels viewed by the user, as their client does (POST /channels/members/{user}/view);
   * returns each channel's last_post_at.
   */
  viewChannels(userId: string, channelIds: string[]): Record<string, number>;
  /** A user's membership of a channel, with its unread counters (msg_count, last_viewed_at...). */
  channelMember(channelId: string, userId: string): ChannelMembership | undefined;
  /** A channel by team and name (DMs: team "" ). */
  channelByName(teamId: string, name: string): Channel | undefined;
  /** Open, authenticated WebSocket connections (of one user, or all). */
  connectedSockets(userId?: string): number;
}
