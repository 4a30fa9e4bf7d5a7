/**
 * The Mattermost server an end-to-end test runs against, behind one interface: the emulator
 * (the default; fresh per scenario, with fault switches) or a real Mattermost server
 * (`deno task e2e` sets POSTBOT_E2E_BACKEND=real; reused across tests, so its world is a fixed
 * set of accounts and channels brought back to a known state, and reads only see what was
 * posted since the scenario started). The methods mirror the emulator store's seeding and
 * inspection calls, made asynchronous because a real server is reached over REST.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { FileInfo } from "@mattermost/types/files";
import type { Post } from "@mattermost/types/posts";
import type { Reaction } from "@mattermost/types/reactions";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import type { Emulator, UserTimezone } from "@postbot/mattermost-emulator";

export type { UserTimezone } from "@postbot/mattermost-emulator";

/** Which kind of server. */
export type BackendKind = "emulator" | "real";

/** The backend this test run uses (POSTBOT_E2E_BACKEND=real -> the real server). */
export const BACKEND: BackendKind = Deno.env.get("POSTBOT_E2E_BACKEND") === "real"
  ? "real"
  : "emulator";

/**
 * For `Deno.test`/`t.step` `ignore`: true on the real server. The reason is documentation for
 * the reader (which emulator fault switch or inspection the test needs); such tests are
 * counted as ignored, never as passed, on the real server.
 */
export function emulatorOnly(_reason: string): boolean {
  return BACKEND === "real";
}

/** For `ignore`: true on the emulator, for tests of faults only a real server produces here. */
export function realServerOnly(_reason: string): boolean {
  return BACKEND === "emulator";
}

/** A person in the test world, with a token for the REST API. */
export interface Person {
  readonly user: UserProfile;
  readonly token: string;
}

/** A public or private channel to create. */
export interface ChannelSpec {
  team_id: string;
  name: string;
  display_name?: string;
  type: "O" | "P";
}

/** A post to create as a user. */
export interface PostSpec {
  channel_id: string;
  message: string;
  file_ids?: string[];
  /** Props, `attachments` with interactive buttons included. */
  props?: Record<string, unknown>;
  root_id?: string;
  /** `priority` ({priority, requested_ack?, persistent_notifications?}) is what servers read. */
  metadata?: { priority?: Record<string, unknown> };
}

/** A REST answer as a test sees it: the status and the parsed JSON body (or its text). */
export interface RestAnswer {
  readonly status: number;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
}

/** The server under test, as the tests see it. */
export interface Backend {
  readonly kind: BackendKind;
  /** Base URL for the bot and for REST calls. */
  readonly url: string;
  /** The emulator, when this is one (fault switches, request log); undefined on a real server. */
  readonly emulator: Emulator | undefined;
  /** Posts created before this instant (ms) belong to earlier tests and are never returned. */
  epoch: number;
  /**
   * How often tests poll this server for a condition: often on the emulator, less often on a
   * real server, and rarely while its rate limiter is on (the tests' requests count too).
   */
  readonly pollIntervalMs: number;

  /** A team by name (created when missing). */
  team(name: string, displayName: string): Promise<Team>;
  /** A user (or bot) by username with a token: created, or on a real server reused. */
  createUser(u: { username: string; is_bot?: boolean; roles?: string }): Promise<Person>;
  /** Reacts to a post as the user (who must have been created through this backend). */
  addReaction(userId: string, postId: string, emojiName: string): Promise<void>;
  /** Removes the user's reaction to a post, as their client does. */
  removeReaction(userId: string, postId: string, emojiName: string): Promise<void>;
  /** The live reactions to a post, oldest first. */
  reactions(postId: string): Promise<Reaction[]>;
  /**
   * Clicks a button of a post as the user (POST /posts/{id}/actions/{action_id}): the server
   * calls the button's integration and applies its answer. The answer is returned whatever
   * its status (200 `{status, trigger_id}`, or the server's error).
   */
  clickButton(userId: string, postId: string, actionId: string): Promise<RestAnswer>;
  /** Marks the channel read by the user, as their client does when they look at it. */
  viewChannel(userId: string, channelId: string): Promise<void>;
  /**
   * TeamSettings.RestrictDirectMessage: "team" refuses new DMs between people who share no
   * team. A real server is shared: a test that sets "team" sets "any" back in a `finally`.
   */
  setRestrictDirectMessage(mode: "any" | "team"): Promise<void>;
  /** Adds a user to a team. */
  addTeamMember(teamId: string, userId: string): Promise<void>;
  /** Removes a user from a team (when a member), and so from its channels. */
  removeTeamMember(teamId: string, userId: string): Promise<void>;
  /**
   * Deactivates (`false`) or reactivates (`true`) a user. A real server allows 250 active
   * users and is shared by every test: reactivate whoever a test deactivated, in a `finally`.
   */
  setUserActive(userId: string, active: boolean): Promise<void>;
  /** A channel with no members but `members` (created, or on a real server reused and reset). */
  createChannel(c: ChannelSpec, members?: readonly string[]): Promise<Channel>;
  /** Adds a user to a channel (and its team). */
  addChannelMember(channelId: string, userId: string): Promise<void>;
  /** Removes a user from a channel. */
  removeChannelMember(channelId: string, userId: string): Promise<void>;
  /**
   * Archives every public channel of the team but `keep` (and Town Square). A real server
   * keeps the channels of earlier tests; this makes its team look like a fresh emulator's.
   */
  archiveOtherChannels(teamId: string, keep: ReadonlySet<string>): Promise<void>;
  /** Sets a user's time zone (manual, or automatic as a client reports it). */
  setUserTimezone(userId: string, timezone: UserTimezone): Promise<void>;
  /** Archives a channel. */
  archiveChannel(channelId: string): Promise<void>;
  /** The DM channel of two users (created when missing). */
  directChannel(userA: string, userB: string): Promise<Channel>;
  /** Posts as the user (who must have been created through this backend). */
  createPost(userId: string, p: PostSpec): Promise<Post>;

  /** Live posts of a channel created since {@link epoch}, oldest first (system posts too). */
  postsIn(channelId: string): Promise<Post[]>;
  /** A post by id, deleted ones included (undefined when unknown). */
  post(postId: string): Promise<Post | undefined>;
  /** A file's bytes. */
  fileBytes(fileId: string): Promise<Uint8Array | undefined>;
  /** A file's metadata. */
  getFile(fileId: string): Promise<FileInfo | undefined>;
  /** A channel by id. */
  channel(id: string): Promise<Channel | undefined>;
  /** A channel by team id and name (archived ones included). */
  channelByName(teamId: string, name: string): Promise<Channel | undefined>;

  /**
   * Restarts the server: every socket and request is dropped. On a real server `rateLimit`
   * switches its own limiter on ({perSec, maxBurst}) or off (null).
   */
  restart(options?: { rateLimit?: { perSec: number; maxBurst: number } | null }): Promise<void>;
  /**
   * Switches the server's rate limiter on (per remote address) or off. The emulator changes
   * it at once; a real server is restarted with it (every socket drops), so switch it before
   * the bot starts.
   */
  setRateLimit(quota: { perSec: number; maxBurst: number } | null): Promise<void>;
  /** Releases what the scenario used (stops the emulator; deactivates nothing shared). */
  stop(): Promise<void>;
}

/** A post the server wrote itself (join/leave/add messages): `type` starts with `system_`. */
export function isSystemPost(post: Post): boolean {
  return typeof post.type === "string" && post.type.startsWith("system_");
}

/** Polls `probe` until it returns a truthy value (which is returned), or throws on timeout. */
export async function waitFor<T>(
  probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  options: { timeoutMs?: number; message?: string; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value) return value;
    if (Date.now() >= deadline) {
      throw new Error(options.message ?? `condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 40));
  }
}
