/**
 * Channels as the server keeps them: public and private team channels, direct-message
 * channels (POST /channels/direct, `direct_added`), adding and removing members with their
 * events and join posts, archiving, and GET /channels/{id}/stats.
 */

import type { Channel } from "@mattermost/types/channels";
import type { EmulatorConfig } from "./config.ts";
import { AppError, invalidBodyParam, permissionError } from "./http.ts";
import { isValidId, newId } from "./ids.ts";
import type { MembershipStore } from "./memberships.ts";
import { isSystemAdmin } from "./permissions.ts";
import type { PostStore } from "./posts.ts";
import type { ChannelRecord } from "./records.ts";
import { commonTeamIds } from "./restricted_dm.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";
import type { TeamStore } from "./teams.ts";

/** A public or private team channel to seed with `createChannel`. */
export interface NewChannel {
  team_id: string;
  name: string;
  display_name?: string;
  type: "O" | "P";
  header?: string;
  purpose?: string;
}

/** What channel changes need besides the tables. */
export interface ChannelStoreDeps {
  readonly config: EmulatorConfig;
  readonly teams: TeamStore;
  readonly memberships: MembershipStore;
  readonly posts: PostStore;
}

/** Channels and who is in them. */
export class ChannelStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #deps: ChannelStoreDeps;
  readonly #config: EmulatorConfig;

  /** A store over the shared tables, announcing through `events`. */
  constructor(tables: Tables, events: StoreEvents, deps: ChannelStoreDeps) {
    this.#tables = tables;
    this.#events = events;
    this.#deps = deps;
    this.#config = deps.config;
  }

  /** Creates a public or private channel in a team. */
  createChannel(c: NewChannel): Channel {
    if (!this.#tables.teams.has(c.team_id)) throw new Error(`unknown team ${c.team_id}`);
    if (this.#tables.channelRecordByName(c.team_id, c.name, true)) {
      throw new Error(`channel name taken: ${c.name}`);
    }
    const channel: ChannelRecord = {
      ...blankChannel(Date.now()),
      team_id: c.team_id,
      type: c.type,
      display_name: c.display_name ?? c.name,
      name: c.name,
      header: c.header ?? "",
      purpose: c.purpose ?? "",
    };
    this.#tables.channels.set(channel.id, channel);
    this.#tables.channelMembers.set(channel.id, new Map());
    this.#events.changed();
    return this.#tables.channel(channel.id)!;
  }

  /**
   * Adds a user to a channel, and to its team first when needed. Like a user joining by
   * themselves, a new member of a team channel gets a `system_join_channel` post under their
   * own id (`props.from_bot: "true"` for a bot).
   */
  addChannelMember(channelId: string, userId: string): void {
    const channel = this.#tables.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    if (!this.#tables.users.has(userId)) throw new Error(`unknown user ${userId}`);
    if (channel.team_id !== "") this.#deps.teams.addTeamMember(channel.team_id, userId);
    if (this.#tables.isChannelMember(channelId, userId)) return;
    this.#deps.memberships.join(channelId, userId);
    if (channel.team_id !== "") this.#deps.posts.writeJoinPost(channel, userId, "channel");
    // AddChannelMember: user_added to the other members, and to the user.
    const data = { user_id: userId, team_id: channel.team_id };
    this.#events.publish(
      "user_added",
      data,
      { channel_id: channelId, omit_users: { [userId]: true } },
      (uid) => uid !== userId && this.#tables.isChannelMember(channelId, uid),
    );
    this.#events.publish(
      "user_added",
      data,
      { channel_id: channelId, user_id: userId },
      (uid) => uid === userId,
    );
    this.#events.changed();
  }

  /**
   * Removes a user from a channel, with the events of RemoveUserFromChannel: `user_removed` to
   * the channel's remaining members (`user_id`, `remover_id`) and to the removed user
   * (`channel_id`, `remover_id`). Nothing when the user is not a member.
   */
  removeChannelMember(channelId: string, userId: string, removerId = ""): void {
    if (!this.#tables.channelMembers.get(channelId)?.delete(userId)) return;
    this.#events.publish(
      "user_removed",
      { user_id: userId, remover_id: removerId },
      { channel_id: channelId },
      (uid) => this.#tables.isChannelMember(channelId, uid),
    );
    this.#events.publish(
      "user_removed",
      { channel_id: channelId, remover_id: removerId },
      { user_id: userId },
      (uid) => uid === userId,
    );
    this.#events.changed();
  }

  /** Archives a channel: delete_at = update_at = now. */
  archiveChannel(channelId: string): void {
    const channel = this.#tables.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    const now = Date.now();
    channel.delete_at = now;
    channel.update_at = now;
    this.#events.changed();
  }

  /** Gets or creates the DM channel between two users. */
  directChannel(userA: string, userB: string): Channel {
    if (!this.#tables.users.has(userA) || !this.#tables.users.has(userB)) {
      throw new Error("unknown user");
    }
    return this.#tables.channel(this.#getOrCreateDirect(userA, userB).id)!;
  }

  /**
   * POST /channels/direct (createDirectChannel -> GetOrCreateDirectChannel): the body is a
   * JSON array of ids (anything else: 400 `api.payload.parse.error`), duplicates removed, the
   * caller alone meaning a DM with oneself; two valid ids, the caller's among them (403 unless
   * a system admin). An existing DM is returned as it is; a new one, under RestrictDirectMessage
   * "team", needs the two to share a team (403, admins exempt); both must exist (400). A
   * deactivated user is no obstacle. Publishes `direct_added` on creation.
   */
  submitDirectChannel(sessionUserId: string, body: unknown): ChannelRecord {
    if (!Array.isArray(body) || body.some((id) => typeof id !== "string")) {
      throw new AppError("api.payload.parse.error", 400);
    }
    const ids = [...new Set(body as string[])];
    if (ids.length === 1 && ids[0] === sessionUserId) ids.push(sessionUserId);
    if (ids.length !== 2) throw invalidBodyParam("user_ids");
    for (const id of ids) if (!isValidId(id)) throw invalidBodyParam("user_id");
    const admin = isSystemAdmin(this.#tables, sessionUserId);
    if (!ids.includes(sessionUserId) && !admin) throw permissionError();
    const existing = this.#tables.channelRecordByName("", [...ids].sort().join("__"), true);
    if (existing) return existing;
    if (
      this.#config.restrictDirectMessage === "team" && !admin &&
      commonTeamIds(this.#tables, ids).length === 0
    ) {
      throw new AppError("api.channel.create_channel.direct_channel.team_restricted_error", 403);
    }
    if (!ids.every((id) => this.#tables.users.has(id))) {
      throw new AppError("api.channel.create_direct_channel.invalid_user.app_error", 400);
    }
    return this.#getOrCreateDirect(ids[0], ids[1]);
  }

  /** GET /channels/{id}/stats: active members (bots included), as model.ChannelStats. */
  channelStats(channelId: string): Record<string, unknown> {
    const members = this.#tables.channelMemberRecords(channelId)
      .filter((m) => (this.#tables.users.get(m.user_id)?.delete_at ?? 1) === 0);
    const posts = this.#tables.channelPosts(channelId, false);
    return {
      channel_id: channelId,
      member_count: members.length,
      guest_count: 0,
      pinnedpost_count: posts.filter((p) => p.is_pinned).length,
      files_count: posts.reduce((n, p) => n + this.#tables.filesOf(p).length, 0),
    };
  }

  #getOrCreateDirect(a: string, b: string): ChannelRecord {
    const name = [a, b].sort().join("__");
    const existing = this.#tables.channelRecordByName("", name, true);
    if (existing) return existing;
    const channel: ChannelRecord = {
      ...blankChannel(Date.now()),
      team_id: "",
      type: "D",
      display_name: "",
      name,
      creator_id: a,
    };
    this.#tables.channels.set(channel.id, channel);
    this.#tables.channelMembers.set(channel.id, new Map());
    this.#deps.memberships.join(channel.id, a);
    this.#deps.memberships.join(channel.id, b);
    this.#events.publish(
      "direct_added",
      { creator_id: a, teammate_id: b },
      { channel_id: channel.id },
      (uid) => this.#tables.isChannelMember(channel.id, uid),
    );
    this.#events.changed();
    return channel;
  }
}

/** A channel record with the server's defaults, created `now`. */
function blankChannel(now: number): ChannelRecord {
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
