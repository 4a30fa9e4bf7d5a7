/**
 * What the bot knows about people, for access control: whether a user belongs to the bot's
 * team, and whether their account is still active (and under which username). Answers are
 * asked of Mattermost; positive ones are kept for a while, and dropped the moment the server
 * says they changed: `leave_team` (someone left or was removed from the team) and
 * `user_updated` (a deactivation, a new username) through the bot's {@link ServerWatcher}.
 * When events were lost, or while the WebSocket is down, nothing kept is trusted. A refusal
 * is asked again every time, so a newly added member does not wait.
 *
 * @module
 */

import {
  type Bot,
  isStatus,
  logger,
  type ServerEvent,
  type ServerWatcher,
} from "@postbot/framework";

const log = logger("access");

/** A user's account as it stands now. */
export interface Account {
  readonly active: boolean;
  readonly username: string;
}

/** The parts of the bot this needs (tests pass a stand-in). */
export type PeopleSource = Pick<Bot, "client" | "identity" | "connected">;

/** Team membership and account answers, kept while the server's events say they hold. */
export class TeamMembership {
  readonly #bot: PeopleSource;
  readonly #ttlMs: number;
  readonly #members = new Map<string, number>();
  readonly #accounts = new Map<string, { account: Account; until: number }>();

  constructor(bot: PeopleSource, ttlMs: number) {
    this.#bot = bot;
    this.#ttlMs = ttlMs;
  }

  /** True when `userId` is an active member of the bot's team. */
  async check(userId: string): Promise<boolean> {
    const until = this.#members.get(userId);
    if (until !== undefined && this.#trusted(until)) return true;
    try {
      const member = await this.#bot.client.getTeamMember(this.#bot.identity.teamId, userId);
      if ((member.delete_at ?? 0) > 0) return false;
      this.#members.set(userId, Date.now() + this.#ttlMs);
      return true;
    } catch (e) {
      if (isStatus(e, 404, 403)) return false;
      throw e;
    }
  }

  /** The account of `userId` now; undefined when the server knows no such user. */
  async account(userId: string): Promise<Account | undefined> {
    const kept = this.#accounts.get(userId);
    if (kept !== undefined && this.#trusted(kept.until)) return kept.account;
    try {
      const user = await this.#bot.client.getUser(userId);
      const account = { active: (user.delete_at ?? 0) === 0, username: user.username };
      if (account.active) this.#accounts.set(userId, { account, until: Date.now() + this.#ttlMs });
      return account;
    } catch (e) {
      if (isStatus(e, 404)) return undefined;
      throw e;
    }
  }

  /** Drops what is kept about one user. */
  forget(userId: string): void {
    this.#members.delete(userId);
    this.#accounts.delete(userId);
  }

  /** Drops everything kept. */
  forgetAll(): void {
    this.#members.clear();
    this.#accounts.clear();
  }

  /** The watcher to register with `bot.watch`: membership follows the server's events. */
  watcher(): ServerWatcher {
    return {
      onEvent: (event) => this.#onEvent(event),
      onEventsLost: () => {
        log.info("Server events were lost: cached team memberships and accounts dropped");
        this.forgetAll();
      },
    };
  }

  #onEvent(event: ServerEvent): void {
    const userId = changedUser(event, this.#bot.identity.teamId);
    if (userId === undefined) return;
    this.forget(userId);
    log.info("{event}: cached team membership and account of user {user} dropped", {
      event: event.event,
      user: userId,
    });
  }

  /** A kept answer counts only before its time runs out and while events are arriving. */
  #trusted(until: number): boolean {
    return until > Date.now() && this.#bot.connected;
  }
}

/** The user whose membership or account an event changes, if it is about one. */
export function changedUser(event: ServerEvent, teamId: string): string | undefined {
  const data = event.data;
  switch (event.event) {
    case "leave_team":
      return data.team_id === teamId && typeof data.user_id === "string" ? data.user_id : undefined;
    case "user_updated": {
      const user = data.user as { id?: unknown } | undefined;
      return typeof user?.id === "string" ? user.id : undefined;
    }
    default:
      return undefined;
  }
}
