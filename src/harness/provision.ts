/**
 * Provisioning a real Mattermost server over its REST API, idempotently: the system admin
 * (the first user), teams, users and the bot with personal access tokens, channels and
 * memberships. Everything is "get or create" and converges on the wanted state, because the
 * test server is reused across runs and has hard limits (50 users per team, 250 active users):
 * accounts are a fixed, reusable set named by username, never created per test.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import { Rest, RestError } from "./rest.ts";

/** An account with a personal access token. */
export interface Account {
  readonly user: UserProfile;
  readonly token: string;
}

/** What world.json keeps between runs: the admin's credentials and every token handed out. */
export interface WorldState {
  url: string;
  admin: { username: string; password: string; token: string };
  /** username -> token (personal access tokens, bot included). */
  tokens: Record<string, string>;
}

/** The system admin's username (the first account of the server, so it is system admin). */
export const ADMIN_USERNAME = "sysadmin";
const ADMIN_PASSWORD = "Postbot-admin-1!";
const USER_PASSWORD = "Postbot-user-1!";
const TOKEN_DESCRIPTION = "postbot tests";

/** Reads world.json, or undefined when missing or unreadable. */
export function readWorldState(path: string): WorldState | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as WorldState;
  } catch {
    return undefined;
  }
}

/** Provisions one server as its system admin; remembers tokens in world.json. */
export class Provisioner {
  /** The REST client authenticated as the system admin. */
  readonly admin: Rest;
  /** The system admin's account. */
  readonly adminUser: UserProfile;
  readonly #state: WorldState;
  readonly #path: string;
  readonly #users = new Map<string, UserProfile>();

  private constructor(admin: Rest, adminUser: UserProfile, state: WorldState, path: string) {
    this.admin = admin;
    this.adminUser = adminUser;
    this.#state = state;
    this.#path = path;
  }

  /** Logs in as (or first creates) the system admin of the server at `url`. */
  static async open(url: string, statePath: string): Promise<Provisioner> {
    const anonymous = new Rest(url);
    const saved = readWorldState(statePath);
    const state: WorldState = saved?.url === url ? saved : {
      url,
      admin: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD, token: "" },
      tokens: {},
    };
    if (state.admin.token !== "") {
      const me = await anonymous.as(state.admin.token).find<UserProfile>("/users/me")
        .catch(() => undefined);
      if (me !== undefined) {
        return new Provisioner(anonymous.as(state.admin.token), me, state, statePath);
      }
    }
    let login = await anonymous.raw("POST", "/users/login", {
      login_id: state.admin.username,
      password: state.admin.password,
    });
    if (login.status === 401 || login.status === 400) {
      await login.body?.cancel();
      // A fresh server: the first account created becomes the system admin.
      await anonymous.json("POST", "/users", {
        username: state.admin.username,
        email: `${state.admin.username}@example.com`,
        password: state.admin.password,
      });
      login = await anonymous.raw("POST", "/users/login", {
        login_id: state.admin.username,
        password: state.admin.password,
      });
    }
    if (!login.ok) {
      throw new RestError("POST /users/login", login.status, "", await login.text());
    }
    const adminUser = await login.json() as UserProfile;
    if (!adminUser.roles.includes("system_admin")) {
      throw new Error(
        `${state.admin.username} is not a system admin on ${url}: provision a fresh server`,
      );
    }
    state.admin.token = login.headers.get("Token") ?? "";
    const p = new Provisioner(anonymous.as(state.admin.token), adminUser, state, statePath);
    await p.#save();
    return p;
  }

  async #save(): Promise<void> {
    const tmp = `${this.#path}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify(this.#state, null, 2), { mode: 0o600 });
    await Deno.rename(tmp, this.#path);
  }

  /** A team by name, created (open, type "O") when missing; the admin joins it. */
  async team(name: string, displayName: string): Promise<Team> {
    let team = await this.admin.find<Team>(`/teams/name/${name}`);
    if (team === undefined) {
      team = await this.admin.json<Team>("POST", "/teams", {
        name,
        display_name: displayName,
        type: "O",
      });
    }
    await this.joinTeam(team.id, this.adminUser.id);
    return team;
  }

  /** A user (or bot) by username, created or reactivated when needed, with a working token. */
  async account(username: string, options: { bot?: boolean } = {}): Promise<Account> {
    let user = this.#users.get(username) ??
      await this.admin.find<UserProfile>(`/users/username/${username}`);
    if (user === undefined) {
      if (options.bot) {
        const bot = await this.admin.json<{ user_id: string }>("POST", "/bots", {
          username,
          display_name: username,
          description: "postbot under test",
        });
        user = await this.admin.json<UserProfile>("GET", `/users/${bot.user_id}`);
      } else {
        user = await this.admin.json<UserProfile>("POST", "/users", {
          username,
          email: `${username}@example.com`,
          password: USER_PASSWORD,
        });
      }
    } else if (user.delete_at > 0) {
      if (user.is_bot) {
        await this.admin.json("POST", `/bots/${user.id}/enable`);
      } else {
        await this.admin.json("PUT", `/users/${user.id}/active`, { active: true });
      }
      user = await this.admin.json<UserProfile>("GET", `/users/${user.id}`);
    }
    this.#users.set(username, user);
    let token: string | undefined = this.#state.tokens[username];
    if (token !== undefined) {
      const me = await this.admin.as(token).find<UserProfile>("/users/me").catch(() => undefined);
      if (me?.id !== user.id) token = undefined;
    }
    if (token === undefined) {
      const created = await this.admin.json<{ token: string }>(
        "POST",
        `/users/${user.id}/tokens`,
        { description: TOKEN_DESCRIPTION },
      );
      token = created.token;
      this.#state.tokens[username] = token;
      await this.#save();
    }
    return { user, token };
  }

  /**
   * A new bot account under `username`: an existing bot of that name is renamed and disabled
   * first (disabled accounts count against no limit). Each test scenario gets a bot with no
   * history -- no DM channels, no memberships -- as a freshly installed bot would.
   */
  async freshBot(username: string): Promise<Account> {
    const old = await this.admin.find<UserProfile>(`/users/username/${username}`);
    if (old !== undefined) {
      if (!old.is_bot) throw new Error(`@${username} exists and is not a bot`);
      await this.admin.json("PUT", `/bots/${old.id}`, {
        username: `${username}-${Date.now().toString(36)}`,
      });
      if (old.delete_at === 0) await this.admin.json("POST", `/bots/${old.id}/disable`);
      this.#users.delete(username);
    }
    delete this.#state.tokens[username];
    return await this.account(username, { bot: true });
  }

  /** Deactivates a user (DELETE /users/{id}); bots are disabled instead. */
  async deactivate(userId: string): Promise<void> {
    const user = await this.admin.json<UserProfile>("GET", `/users/${userId}`);
    if (user.delete_at > 0) return;
    if (user.is_bot) await this.admin.json("POST", `/bots/${userId}/disable`);
    else await this.admin.json("DELETE", `/users/${userId}`);
    this.#users.delete(user.username);
  }

  /** Adds a user to a team unless already there. */
  async joinTeam(teamId: string, userId: string): Promise<void> {
    const member = await this.admin.find<{ delete_at: number }>(
      `/teams/${teamId}/members/${userId}`,
    );
    if (member !== undefined && member.delete_at === 0) return;
    await this.admin.json("POST", `/teams/${teamId}/members`, {
      team_id: teamId,
      user_id: userId,
    });
  }

  /** Removes a user from a team when a member. */
  async leaveTeam(teamId: string, userId: string): Promise<void> {
    const member = await this.admin.find<{ delete_at: number }>(
      `/teams/${teamId}/members/${userId}`,
    );
    if (member === undefined || member.delete_at !== 0) return;
    await this.admin.json("DELETE", `/teams/${teamId}/members/${userId}`);
  }

  /** A public or private channel by name, created or restored when needed. */
  async channel(c: {
    team_id: string;
    name: string;
    display_name: string;
    type: "O" | "P";
  }): Promise<Channel> {
    let channel = await this.admin.find<Channel>(
      `/teams/${c.team_id}/channels/name/${c.name}?include_deleted=true`,
    );
    if (channel === undefined) {
      channel = await this.admin.json<Channel>("POST", "/channels", c);
    } else {
      if (channel.delete_at > 0) {
        channel = await this.admin.json<Channel>("POST", `/channels/${channel.id}/restore`);
      }
      if (channel.display_name !== c.display_name) {
        channel = await this.admin.json<Channel>("PUT", `/channels/${channel.id}/patch`, {
          display_name: c.display_name,
        });
      }
    }
    return channel;
  }

  /** User ids of a channel's members. */
  async channelMembers(channelId: string): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let page = 0;; page++) {
      const members = await this.admin.json<{ user_id: string }[]>(
        "GET",
        `/channels/${channelId}/members?page=${page}&per_page=200`,
      );
      for (const m of members) ids.add(m.user_id);
      if (members.length < 200) return ids;
    }
  }

  /**
   * Makes a channel's members exactly `userIds` (joining their team first). Town Square keeps
   * everyone: nobody can be removed from a team's default channel.
   */
  async setChannelMembers(channel: Channel, userIds: readonly string[]): Promise<void> {
    const current = await this.channelMembers(channel.id);
    const wanted = new Set(userIds);
    for (const id of wanted) {
      if (current.has(id)) continue;
      await this.joinTeam(channel.team_id, id);
      await this.addChannelMember(channel.id, id);
    }
    if (channel.name === "town-square") return;
    for (const id of current) {
      if (!wanted.has(id)) await this.removeChannelMember(channel.id, id);
    }
  }

  /** Adds a user to a channel (as the admin). */
  async addChannelMember(channelId: string, userId: string): Promise<void> {
    await this.admin.json("POST", `/channels/${channelId}/members`, { user_id: userId });
  }

  /** Removes a user from a channel (as the admin); nothing when not a member. */
  async removeChannelMember(channelId: string, userId: string): Promise<void> {
    const r = await this.admin.raw("DELETE", `/channels/${channelId}/members/${userId}`);
    await r.body?.cancel();
    if (!r.ok && r.status !== 404) {
      throw new RestError(`DELETE /channels/${channelId}/members/${userId}`, r.status, "", "");
    }
  }
}
