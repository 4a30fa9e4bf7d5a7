/**
 * Teams and team membership as the server keeps them: a team, joining it (the member limit,
 * `added_to_team`, the default channels with their join posts) and leaving it (out of its
 * channels, `system_remove_from_team`, `leave_team`).
 */

import type { Team } from "@mattermost/types/teams";
import { AppError } from "./http.ts";
import { newId } from "./ids.ts";
import type { MembershipStore } from "./memberships.ts";
import type { PostStore } from "./posts.ts";
import type { TeamRecord } from "./records.ts";
import type { StoreEvents } from "./store_events.ts";
import type { Tables } from "./tables.ts";

/** Default TeamSettings.MaxUsersPerTeam: a team holds at most this many active users. */
export const DEFAULT_MAX_USERS_PER_TEAM = 50;
/** The channels a user joins with a team (DefaultChannelNames without ExperimentalDefaultChannels). */
const DEFAULT_CHANNEL_NAMES = ["town-square", "off-topic"];

/** What joining and leaving a team needs besides the tables. */
export interface TeamStoreDeps {
  readonly memberships: MembershipStore;
  readonly posts: PostStore;
  /** TeamSettings.MaxUsersPerTeam; DEFAULT_MAX_USERS_PER_TEAM when undefined. */
  readonly maxUsersPerTeam?: number;
}

/** Teams and who is in them. */
export class TeamStore {
  readonly #tables: Tables;
  readonly #events: StoreEvents;
  readonly #deps: TeamStoreDeps;

  /** A store over the shared tables, announcing through `events`. */
  constructor(tables: Tables, events: StoreEvents, deps: TeamStoreDeps) {
    this.#tables = tables;
    this.#events = events;
    this.#deps = deps;
  }

  /** Creates a team: type "O", allow_open_invite false (the server's defaults). */
  createTeam(t: { name: string; display_name?: string }): Team {
    if (this.#tables.teamRecordByName(t.name)) throw new Error(`team name taken: ${t.name}`);
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
    this.#tables.teams.set(team.id, team);
    this.#tables.teamMembers.set(team.id, new Map());
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
    const members = this.#tables.teamMembers.get(teamId);
    if (!members) throw new Error(`unknown team ${teamId}`);
    if (!this.#tables.users.has(userId)) throw new Error(`unknown user ${userId}`);
    if (this.#tables.isTeamMember(teamId, userId)) return;
    const active =
      [...members.values()].filter((m) =>
        m.delete_at === 0 && this.#tables.users.get(m.user_id)?.delete_at === 0
      ).length;
    if (active >= (this.#deps.maxUsersPerTeam ?? DEFAULT_MAX_USERS_PER_TEAM)) {
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
    this.#events.publish(
      "added_to_team",
      { team_id: teamId, user_id: userId },
      { user_id: userId },
      (uid) => uid === userId,
    );
    for (const name of DEFAULT_CHANNEL_NAMES) {
      const channel = this.#tables.channelRecordByName(teamId, name);
      if (
        channel === undefined || channel.type !== "O" ||
        this.#tables.isChannelMember(channel.id, userId)
      ) {
        continue;
      }
      this.#deps.memberships.join(channel.id, userId);
      this.#deps.posts.writeJoinPost(channel, userId, name === "town-square" ? "team" : "channel");
    }
    this.#events.changed();
  }

  /**
   * Removes a user from a team, as LeaveTeam does: out of every channel of the team (no
   * events for those), a `system_remove_from_team` post in town-square under the user's id,
   * `leave_team` (`user_id`, `team_id`) to the team's other members (broadcast `team_id`,
   * the user omitted) and to the user, then the membership kept with delete_at set and no
   * roles. Nothing when the user is not a member.
   */
  removeTeamMember(teamId: string, userId: string): void {
    const member = this.#tables.teamMemberRecord(teamId, userId);
    if (member === undefined || member.delete_at !== 0) return;
    for (const channel of this.#tables.channels.values()) {
      if (channel.team_id === teamId) this.#tables.channelMembers.get(channel.id)?.delete(userId);
    }
    const town = this.#tables.channelRecordByName(teamId, "town-square");
    const user = this.#tables.users.get(userId)!;
    if (town !== undefined) {
      this.#deps.posts.writeSystemPost(
        town,
        user,
        "system_remove_from_team",
        `${user.username} was removed from the team.`,
        { username: user.username },
      );
    }
    const data = { user_id: userId, team_id: teamId };
    this.#events.publish(
      "leave_team",
      data,
      { team_id: teamId, omit_users: { [userId]: true } },
      (uid) => uid !== userId && this.#tables.isTeamMember(teamId, uid),
    );
    this.#events.publish("leave_team", data, { user_id: userId }, (uid) => uid === userId);
    member.delete_at = Date.now();
    member.roles = "";
    this.#events.changed();
  }
}
