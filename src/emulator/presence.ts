/**
 * Users' statuses (online, away, dnd, offline), as the server keeps them: a WebSocket connection
 * or a REST post (`set_online`) makes a user online, and a status set by hand through
 * `PUT /users/{id}/status` stays until set again, whatever the sockets do. `@here` notifies only
 * those online.
 *
 * @module
 */

import { invalidBodyParam } from "./http.ts";

/** The statuses `PUT /users/{id}/status` accepts. */
export type UserStatusName = "online" | "away" | "dnd" | "offline";

const NAMES = new Set<string>(["online", "away", "dnd", "offline"]);

/** A status as `GET /users/{id}/status` returns it. */
export interface UserStatusView {
  user_id: string;
  status: UserStatusName;
  manual: boolean;
  last_activity_at: number;
  dnd_end_time: number;
}

/** Who is online: set by hand, by a post, or by an open socket. */
export class Presence {
  readonly #manual = new Map<string, UserStatusName>();
  readonly #active = new Map<string, number>();
  readonly #countSockets: (userId: string) => number;

  constructor(countSockets: (userId: string) => number) {
    this.#countSockets = countSockets;
  }

  /** A REST post with `set_online` (the default): the poster is active now. */
  touched(userId: string): void {
    this.#active.set(userId, Date.now());
  }

  /** The status a client sees. */
  statusOf(userId: string): UserStatusView {
    const manual = this.#manual.get(userId);
    const last = this.#active.get(userId) ?? 0;
    const auto: UserStatusName = this.#countSockets(userId) > 0 || last > 0 ? "online" : "offline";
    return {
      user_id: userId,
      status: manual ?? auto,
      manual: manual !== undefined,
      last_activity_at: last,
      dnd_end_time: 0,
    };
  }

  /** Whether `@here` reaches the user. */
  isOnline(userId: string): boolean {
    return this.statusOf(userId).status === "online";
  }

  /** `PUT /users/{id}/status` (the route checked the user): one of the four, else 400 status. */
  setByHand(userId: string, status: unknown): UserStatusView {
    if (typeof status !== "string" || !NAMES.has(status)) throw invalidBodyParam("status");
    this.#manual.set(userId, status as UserStatusName);
    return this.statusOf(userId);
  }
}
