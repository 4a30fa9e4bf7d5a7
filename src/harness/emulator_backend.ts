/**
 * The emulator behind the {@link Backend} interface: a fresh emulator per scenario, seeded
 * directly through its store (no REST round trips), with its fault switches reachable
 * through `emulator`.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { FileInfo } from "@mattermost/types/files";
import type { Post } from "@mattermost/types/posts";
import type { Team } from "@mattermost/types/teams";
import type { Reaction } from "@mattermost/types/reactions";
import {
  AppError,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from "@postbot/mattermost-emulator";
import type {
  Backend,
  ChannelSpec,
  Person,
  PostSpec,
  RestAnswer,
  UserTimezone,
} from "./backend.ts";

/** A {@link Backend} over a running emulator. */
export class EmulatorBackend implements Backend {
  readonly kind = "emulator" as const;
  readonly emulator: Emulator;
  epoch = 0;
  readonly pollIntervalMs = 25;

  private constructor(emulator: Emulator) {
    this.emulator = emulator;
  }

  /**
   * Starts a fresh emulator. Like the real test server (mattermost_server.ts), it lets
   * interactive buttons reach integrations on 127.0.0.1 and localhost only.
   */
  static async start(options: EmulatorOptions = {}): Promise<EmulatorBackend> {
    return new EmulatorBackend(
      await startEmulator({
        ...options,
        config: { allowedUntrustedInternalConnections: "127.0.0.1 localhost", ...options.config },
      }),
    );
  }

  /** The emulator's base URL. */
  get url(): string {
    return this.emulator.url;
  }

  team(name: string, displayName: string): Promise<Team> {
    const s = this.emulator.store;
    return Promise.resolve(s.createTeam({ name, display_name: displayName }));
  }

  addReaction(userId: string, postId: string, emojiName: string): Promise<void> {
    this.emulator.store.addReaction(userId, postId, emojiName);
    return Promise.resolve();
  }

  removeReaction(userId: string, postId: string, emojiName: string): Promise<void> {
    this.emulator.store.removeReaction(userId, postId, emojiName);
    return Promise.resolve();
  }

  reactions(postId: string): Promise<Reaction[]> {
    return Promise.resolve(this.emulator.store.reactionsTo(postId));
  }

  async clickButton(userId: string, postId: string, actionId: string): Promise<RestAnswer> {
    try {
      return { status: 200, body: await this.emulator.store.clickAction(userId, postId, actionId) };
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return { status: e.statusCode, body: e.toBody("") };
    }
  }

  viewChannel(userId: string, channelId: string): Promise<void> {
    this.emulator.store.viewChannels(userId, [channelId]);
    return Promise.resolve();
  }

  setRestrictDirectMessage(mode: "any" | "team"): Promise<void> {
    this.emulator.config.restrictDirectMessage = mode;
    return Promise.resolve();
  }

  createUser(u: { username: string; is_bot?: boolean; roles?: string }): Promise<Person> {
    const created = this.emulator.store.createUser(u);
    return Promise.resolve({ user: created.user, token: created.token });
  }

  addTeamMember(teamId: string, userId: string): Promise<void> {
    this.emulator.store.addTeamMember(teamId, userId);
    return Promise.resolve();
  }

  removeTeamMember(teamId: string, userId: string): Promise<void> {
    this.emulator.store.removeTeamMember(teamId, userId);
    return Promise.resolve();
  }

  setUserActive(userId: string, active: boolean): Promise<void> {
    this.emulator.store.setUserActive(userId, active);
    return Promise.resolve();
  }

  createChannel(c: ChannelSpec, members: readonly string[] = []): Promise<Channel> {
    const s = this.emulator.store;
    const channel = s.createChannel(c);
    for (const m of members) s.addChannelMember(channel.id, m);
    return Promise.resolve(s.channel(channel.id)!);
  }

  addChannelMember(channelId: string, userId: string): Promise<void> {
    this.emulator.store.addChannelMember(channelId, userId);
    return Promise.resolve();
  }

  removeChannelMember(channelId: string, userId: string): Promise<void> {
    this.emulator.store.removeChannelMember(channelId, userId);
    return Promise.resolve();
  }

  archiveOtherChannels(_teamId: string, _keep: ReadonlySet<string>): Promise<void> {
    // A fresh emulator has no channels of earlier tests.
    return Promise.resolve();
  }

  setUserTimezone(userId: string, timezone: UserTimezone): Promise<void> {
    this.emulator.store.setUserTimezone(userId, timezone);
    return Promise.resolve();
  }

  archiveChannel(channelId: string): Promise<void> {
    this.emulator.store.archiveChannel(channelId);
    return Promise.resolve();
  }

  directChannel(userA: string, userB: string): Promise<Channel> {
    return Promise.resolve(this.emulator.store.directChannel(userA, userB));
  }

  createPost(userId: string, p: PostSpec): Promise<Post> {
    return Promise.resolve(this.emulator.store.createPost(userId, p));
  }

  postsIn(channelId: string): Promise<Post[]> {
    return Promise.resolve(
      this.emulator.store.postsIn(channelId).filter((p) => p.create_at >= this.epoch),
    );
  }

  post(postId: string): Promise<Post | undefined> {
    return Promise.resolve(this.emulator.store.allPosts().find((p) => p.id === postId));
  }

  fileBytes(fileId: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.emulator.store.fileBytes(fileId));
  }

  getFile(fileId: string): Promise<FileInfo | undefined> {
    return Promise.resolve(this.emulator.store.getFile(fileId));
  }

  channel(id: string): Promise<Channel | undefined> {
    return Promise.resolve(this.emulator.store.channel(id));
  }

  channelByName(teamId: string, name: string): Promise<Channel | undefined> {
    return Promise.resolve(this.emulator.store.channelByName(teamId, name));
  }

  async restart(): Promise<void> {
    await this.emulator.restart({ loseEvents: true });
  }

  setRateLimit(quota: { perSec: number; maxBurst: number } | null): Promise<void> {
    this.emulator.faults.rateLimit = quota;
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
  }
}
