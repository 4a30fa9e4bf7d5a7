/**
 * The team's people, read from the server for target resolution and for the check before a
 * delivery run: the active members of the team (`GET /users?in_team=&active=true`, 200 a
 * page: one snapshot answers every `@name`, list and `everyone` of an answer), a channel's
 * members (`GET /users?in_channel=`, 200 a page), and why a person cannot be reached any
 * more (`POST /users/ids` for those missing from the snapshot).
 *
 * @module
 */

import type { UserProfile } from "@mattermost/types/users";
import type { RestTransport } from "@postbot/framework";
import { keepHeapNear } from "@postbot/framework/heap_budget";
import type { PersonTarget } from "../broadcast/model.ts";
import type { PeopleLookup, TeamPerson } from "./resolution.ts";

/** The server's page size limit. */
const PAGE = 200;

/** Most pages read of one list (200,000 people): a bound, not a expected size. */
const MAX_PAGES = 1_000;

/** How a person is shown: full name, else nickname, else username. */
function displayNameOf(u: UserProfile): string {
  const full = [u.first_name, u.last_name].filter((p) => p !== undefined && p !== "").join(" ");
  return full !== ""
    ? full
    : u.nickname !== undefined && u.nickname !== ""
    ? u.nickname
    : u.username;
}

/** The team's people on the server. */
export class TeamDirectory implements PeopleLookup {
  readonly #transport: RestTransport;
  readonly #teamId: string;

  constructor(transport: RestTransport, teamId: string) {
    this.#transport = transport;
    this.#teamId = teamId;
  }

  /** The active members of the team, bots flagged, by user id. */
  async teamPeople(): Promise<ReadonlyMap<string, TeamPerson>> {
    const people = new Map<string, TeamPerson>();
    await this.#eachActiveMember((u) =>
      people.set(u.id, {
        id: u.id,
        username: u.username,
        displayName: displayNameOf(u),
        isBot: u.is_bot === true,
      })
    );
    return people;
  }

  /**
   * Hands every active member of the team to `each`, read a page (200) at a time and parsed
   * one profile at a time: 10,000 full profiles are never alive at once, nor 200 of them.
   */
  async #eachActiveMember(each: (u: UserProfile) => void): Promise<void> {
    for (let page = 0; page < MAX_PAGES; page++) {
      let read = 0;
      for await (
        const u of this.#transport.getJsonObjects<UserProfile>(
          `/users?in_team=${this.#teamId}&active=true&page=${page}&per_page=${PAGE}`,
        )
      ) {
        read++;
        if ((u.delete_at ?? 0) === 0) each(u);
        keepHeapNear();
      }
      if (read < PAGE) break;
    }
  }

  /**
   * The user ids of a channel's active members. Through `GET /users?in_channel=` (ordered by
   * username, so paging is stable) rather than `GET /channels/{id}/members`, which has no
   * order on the real server: its pages can repeat or skip a member of a big channel.
   */
  async channelMemberIds(channelId: string): Promise<string[]> {
    const ids = new Set<string>();
    const channel = encodeURIComponent(channelId);
    for (let page = 0; page < MAX_PAGES; page++) {
      const users = await this.#transport.getJson<UserProfile[]>(
        `/users?in_channel=${channel}&active=true&page=${page}&per_page=${PAGE}`,
      );
      for (const u of users) ids.add(u.id);
      if (users.length < PAGE) break;
    }
    return [...ids];
  }

  /**
   * Which of `people` cannot be reached now, with why (for the report): not an active member
   * of the team any more -- deactivated, gone, or out of the team. One snapshot of the team,
   * then one request per 200 missing people to say which.
   */
  async unreachable(people: readonly PersonTarget[]): Promise<Map<string, string>> {
    // Only the ids: who they are is in `people` already (10,000 of them before a big run).
    const team = new Set<string>();
    await this.#eachActiveMember((u) => team.add(u.id));
    const missing = people.filter((p) => !team.has(p.userId));
    const why = new Map<string, string>();
    for (let i = 0; i < missing.length; i += PAGE) {
      const chunk = missing.slice(i, i + PAGE);
      const response = await this.#transport.send(this.#transport.api("/users/ids"), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(chunk.map((p) => p.userId)),
      });
      const found = new Map((await response.json() as UserProfile[]).map((u) => [u.id, u]));
      for (const p of chunk) {
        const user = found.get(p.userId);
        why.set(
          p.userId,
          user === undefined
            ? `@${p.username}'s account no longer exists`
            : (user.delete_at ?? 0) !== 0
            ? `@${p.username}'s account is deactivated`
            : `@${p.username} is no longer a member of the team`,
        );
      }
    }
    return why;
  }
}
