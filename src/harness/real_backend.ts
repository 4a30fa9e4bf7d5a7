/**
 * A real Mattermost server (started by `deno task mattermost`) behind the {@link Backend}
 * interface. The server is shared by every test of a run and keeps its history, so accounts
 * and channels are reused by name and brought back to the wanted state, and reads only return
 * posts created since the scenario's {@link Backend.epoch}. Everything goes through the REST
 * API as the system admin, or as the user whose post it is.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { FileInfo } from "@mattermost/types/files";
import type { Post, PostList } from "@mattermost/types/posts";
import type { Reaction } from "@mattermost/types/reactions";
import type { Team } from "@mattermost/types/teams";
import { worldFile } from "./mattermost_paths.ts";
import { Provisioner } from "./provision.ts";
import { Rest } from "./rest.ts";
import { pingOk, readServerInfo, restart } from "./mattermost_server.ts";
import type {
  Backend,
  ChannelSpec,
  Person,
  PostSpec,
  RestAnswer,
  UserTimezone,
} from "./backend.ts";

/** A {@link Backend} over the local real Mattermost server. */
export class RealBackend implements Backend {
  readonly kind = "real" as const;
  readonly emulator = undefined;
  readonly url: string;
  epoch = 0;
  #limited = false;
  /** Whether this backend set RestrictDirectMessage to "team" (stop sets it back). */
  #restrictedDms = false;
  /** Provisioning as the system admin. */
  readonly provisioner: Provisioner;
  readonly #tokens = new Map<string, string>();

  private constructor(url: string, provisioner: Provisioner) {
    this.url = url;
    this.provisioner = provisioner;
  }

  /** Connects to the running server (throws with the command to run when there is none). */
  static async open(): Promise<RealBackend> {
    const info = readServerInfo();
    if (info === undefined || !(await pingOk(info.url))) {
      throw new Error(
        "no real Mattermost server is running: start one with `deno task mattermost` " +
          "(or run the suite with `deno task e2e`, which starts it)",
      );
    }
    return new RealBackend(info.url, await Provisioner.open(info.url, worldFile()));
  }

  get pollIntervalMs(): number {
    return this.#limited ? 1_000 : 150;
  }

  get #admin(): Rest {
    return this.provisioner.admin;
  }

  team(name: string, displayName: string): Promise<Team> {
    return this.provisioner.team(name, displayName);
  }

  /** Users created through this backend (their DM channels with the bot are made up front). */
  knownUsers(): string[] {
    return [...this.#tokens.keys()];
  }

  /** A user reused by username; a bot is always a fresh account (see Provisioner.freshBot). */
  async createUser(u: { username: string; is_bot?: boolean; roles?: string }): Promise<Person> {
    const account = u.is_bot
      ? await this.provisioner.freshBot(u.username)
      : await this.provisioner.account(u.username);
    const roles = u.roles ?? (u.is_bot ? undefined : "system_user");
    if (roles !== undefined && account.user.roles !== roles) {
      await this.#admin.json("PUT", `/users/${account.user.id}/roles`, { roles });
    }
    this.#tokens.set(account.user.id, account.token);
    return account;
  }

  addTeamMember(teamId: string, userId: string): Promise<void> {
    return this.provisioner.joinTeam(teamId, userId);
  }

  removeTeamMember(teamId: string, userId: string): Promise<void> {
    return this.provisioner.leaveTeam(teamId, userId);
  }

  async setUserActive(userId: string, active: boolean): Promise<void> {
    if (!active) return await this.provisioner.deactivate(userId);
    const user = await this.#admin.json<{ delete_at: number }>("GET", `/users/${userId}`);
    if (user.delete_at > 0) {
      await this.#admin.json("PUT", `/users/${userId}/active`, { active: true });
    }
  }

  async createChannel(c: ChannelSpec, members: readonly string[] = []): Promise<Channel> {
    const channel = await this.provisioner.channel({
      ...c,
      display_name: c.display_name ?? c.name,
    });
    await this.provisioner.setChannelMembers(channel, members);
    return channel;
  }

  async addChannelMember(channelId: string, userId: string): Promise<void> {
    const channel = await this.#admin.json<Channel>("GET", `/channels/${channelId}`);
    if (channel.team_id !== "") await this.provisioner.joinTeam(channel.team_id, userId);
    await this.provisioner.addChannelMember(channelId, userId);
  }

  removeChannelMember(channelId: string, userId: string): Promise<void> {
    return this.provisioner.removeChannelMember(channelId, userId);
  }

  async archiveOtherChannels(teamId: string, keep: ReadonlySet<string>): Promise<void> {
    const extra: string[] = [];
    for (let page = 0;; page++) {
      const list = await this.#admin.json<Channel[]>(
        "GET",
        `/teams/${teamId}/channels?page=${page}&per_page=200`,
      );
      for (const c of list) {
        if (!keep.has(c.id) && c.name !== "town-square") extra.push(c.id);
      }
      if (list.length < 200) break;
    }
    // A few at a time: hundreds of channels may be left from a test with many.
    for (let i = 0; i < extra.length; i += 8) {
      await Promise.all(extra.slice(i, i + 8).map((id) => this.archiveChannel(id)));
    }
  }

  async setUserTimezone(userId: string, timezone: UserTimezone): Promise<void> {
    const manual = "manual" in timezone;
    await this.#admin.json("PUT", `/users/${userId}/patch`, {
      timezone: {
        useAutomaticTimezone: manual ? "false" : "true",
        automaticTimezone: timezone.automatic ?? "",
        manualTimezone: manual ? timezone.manual : "",
      },
    });
  }

  async archiveChannel(channelId: string): Promise<void> {
    await this.#admin.json("DELETE", `/channels/${channelId}`);
  }

  directChannel(userA: string, userB: string): Promise<Channel> {
    return this.#admin.json<Channel>("POST", "/channels/direct", [userA, userB]);
  }

  async addReaction(userId: string, postId: string, emojiName: string): Promise<void> {
    await this.#as(userId).json("POST", "/reactions", {
      user_id: userId,
      post_id: postId,
      emoji_name: emojiName,
    });
  }

  createPost(userId: string, p: PostSpec): Promise<Post> {
    return this.#as(userId).json<Post>("POST", "/posts", p);
  }

  async removeReaction(userId: string, postId: string, emojiName: string): Promise<void> {
    await this.#as(userId).json(
      "DELETE",
      `/users/${userId}/posts/${postId}/reactions/${emojiName}`,
    );
  }

  async reactions(postId: string): Promise<Reaction[]> {
    // The server answers `null`, not [], when a post has no reactions.
    return (await this.#admin.json<Reaction[] | null>("GET", `/posts/${postId}/reactions`)) ?? [];
  }

  async clickButton(userId: string, postId: string, actionId: string): Promise<RestAnswer> {
    const r = await this.#as(userId).raw("POST", `/posts/${postId}/actions/${actionId}`, {});
    const text = await r.text();
    try {
      return { status: r.status, body: JSON.parse(text) };
    } catch {
      return { status: r.status, body: text };
    }
  }

  async viewChannel(userId: string, channelId: string): Promise<void> {
    await this.#as(userId).json("POST", "/channels/members/me/view", { channel_id: channelId });
  }

  async setRestrictDirectMessage(mode: "any" | "team"): Promise<void> {
    this.#restrictedDms = mode === "team";
    await this.#admin.json("PUT", "/config/patch", {
      TeamSettings: { RestrictDirectMessage: mode },
    });
  }

  /** The REST client of a user created through this backend. */
  #as(userId: string): Rest {
    const token = this.#tokens.get(userId);
    if (token === undefined) throw new Error(`no token for user ${userId}: create it first`);
    return this.#admin.as(token);
  }

  async postsIn(channelId: string): Promise<Post[]> {
    // `since` returns everything created or changed since then (deleted posts too).
    const list = await this.#admin.json<PostList>(
      "GET",
      `/channels/${channelId}/posts?since=${Math.max(this.epoch, 1)}`,
    );
    return Object.values(list.posts)
      .filter((p) => p.create_at >= this.epoch && p.delete_at === 0)
      .sort((a, b) => a.create_at - b.create_at || a.id.localeCompare(b.id));
  }

  post(postId: string): Promise<Post | undefined> {
    return this.#admin.find<Post>(`/posts/${postId}?include_deleted=true`);
  }

  async fileBytes(fileId: string): Promise<Uint8Array | undefined> {
    const r = await this.#admin.raw("GET", `/files/${fileId}`);
    if (!r.ok) {
      await r.body?.cancel();
      return undefined;
    }
    return new Uint8Array(await r.arrayBuffer());
  }

  getFile(fileId: string): Promise<FileInfo | undefined> {
    return this.#admin.find<FileInfo>(`/files/${fileId}/info`);
  }

  channel(id: string): Promise<Channel | undefined> {
    return this.#admin.find<Channel>(`/channels/${id}`);
  }

  channelByName(teamId: string, name: string): Promise<Channel | undefined> {
    return this.#admin.find<Channel>(
      `/teams/${teamId}/channels/name/${name}?include_deleted=true`,
    );
  }

  async restart(
    options: { rateLimit?: { perSec: number; maxBurst: number } | null } = {},
  ): Promise<void> {
    const restarted = await restart(options);
    if (!restarted.ok) throw new Error(restarted.error);
  }

  async setRateLimit(quota: { perSec: number; maxBurst: number } | null): Promise<void> {
    this.#limited = quota !== null;
    if (JSON.stringify(readServerInfo()?.rateLimit ?? null) === JSON.stringify(quota)) return;
    await this.restart({ rateLimit: quota });
  }

  async stop(): Promise<void> {
    if (this.#restrictedDms) await this.setRestrictDirectMessage("any");
    // A test that switched the server's limiter on leaves the next one a normal server.
    if (readServerInfo()?.rateLimit) await this.restart({ rateLimit: null });
  }
}
