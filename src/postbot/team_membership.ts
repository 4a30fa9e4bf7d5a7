/**
 * Whether a user belongs to the bot's team, for access control: asked of Mattermost, with
 * positive answers cached for a while (a refusal is asked again, so a newly added member
 * does not wait).
 *
 * @module
 */

import { type Bot, isStatus } from "@postbot/framework";

/** Caches positive team-membership answers for `ttlMs`; refusals are re-checked. */
export class TeamMembership {
  readonly #bot: Bot;
  readonly #ttlMs: number;
  readonly #members = new Map<string, number>();

  constructor(bot: Bot, ttlMs: number) {
    this.#bot = bot;
    this.#ttlMs = ttlMs;
  }

  /** True when `userId` is an active member of the bot's team. */
  async check(userId: string): Promise<boolean> {
    const until = this.#members.get(userId);
    if (until !== undefined && until > Date.now()) return true;
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
}
