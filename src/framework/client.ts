/**
 * The bot's own REST calls, typed, on the {@link RestTransport} (catch-up and the app read
 * through the transport itself). The official `Client4` is CommonJS, so it loads Deno's Node
 * compatibility layer: ~9 MB of resident memory on its own for these few calls. `Client4` stays what task plugins receive: it is
 * loaded only in the task process (src/tasks/worker_entry.ts), never in the bot's.
 *
 * Each method sends what `Client4`'s method of the same name sends, so code written against
 * either reads the same. Failures are {@link MattermostError}s, as everywhere on the transport.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { Team, TeamMembership } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import { isStatus } from "./mattermost_error.ts";
import type { RestTransport } from "./rest.ts";

/** What a new post needs; the server fills in the rest. */
export type NewPost = Pick<Post, "channel_id" | "message"> & Partial<Post>;

/**
 * The REST calls the bot layer makes; tests replace it with a recorder.
 *
 * @example
 * ```ts
 * import { MattermostClient, type RestTransport } from "@postbot/framework";
 *
 * declare const transport: RestTransport;
 * const client = new MattermostClient(transport);
 * const me = await client.getMe();
 * await client.createPost({ channel_id: "4xp9fdt7pbgium38k4x5f5wmbr", message: `I am @${me.username}` });
 * ```
 */
export class MattermostClient {
  readonly #transport: RestTransport;

  constructor(transport: RestTransport) {
    this.#transport = transport;
  }

  /** `GET /users/me`: the bot's own account (checks the token at startup). */
  getMe(): Promise<UserProfile> {
    return this.#transport.getJson<UserProfile>("/users/me");
  }

  /** `GET /users/{id}`. */
  getUser(userId: string): Promise<UserProfile> {
    return this.#transport.getJson<UserProfile>(`/users/${encodeURIComponent(userId)}`);
  }

  /** `GET /teams/name/{name}`. */
  getTeamByName(name: string): Promise<Team> {
    return this.#transport.getJson<Team>(`/teams/name/${encodeURIComponent(name)}`);
  }

  /** `GET /teams/{team_id}/members/{user_id}` (404 when the user is not in the team). */
  getTeamMember(teamId: string, userId: string): Promise<TeamMembership> {
    return this.#transport.getJson<TeamMembership>(
      `/teams/${encodeURIComponent(teamId)}/members/${encodeURIComponent(userId)}`,
    );
  }

  /** `POST /posts`: posts as the bot. Not retried by the transport (see post_message.ts). */
  async createPost(post: NewPost): Promise<Post> {
    const response = await this.#transport.send(this.#transport.api("/posts"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(post),
    });
    return await response.json() as Post;
  }
}

/**
 * Whether a user is a member of a channel: the one membership question, asked of the server
 * (`GET /channels/{id}/members/{user}`). Mattermost answers 404 for a non-member and 403 when
 * the asker may not see the channel; both mean "no". Other failures are thrown.
 */
export async function isChannelMember(
  transport: RestTransport,
  channelId: string,
  userId: string,
): Promise<boolean> {
  try {
    await transport.getJson(
      `/channels/${encodeURIComponent(channelId)}/members/${encodeURIComponent(userId)}`,
    );
    return true;
  } catch (e) {
    if (isStatus(e, 404, 403)) return false;
    throw e;
  }
}
