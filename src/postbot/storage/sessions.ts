/**
 * Wizard sessions in the database, so a restart does not silently drop a broadcast someone
 * was in the middle of preparing, and a standby taking over continues it. Writes are fenced
 * (database/fencing.ts): an instance that lost the lease cannot overwrite the state the new
 * active keeps.
 *
 * @module
 */

import type { SessionBackend, SessionEntry } from "@postbot/framework";
import type { Database } from "../database/port.ts";
import { type FenceSource, SOLE_INSTANCE } from "../database/fencing.ts";

/**
 * A {@link SessionBackend} on the `sessions` table; states are stored as JSON and checked by
 * `decode` when read back (a row that is not even JSON is decoded from `undefined`), so a
 * state the app cannot read reaches it as such instead of being trusted or dropped unseen.
 */
export class StoredSessionBackend<S> implements SessionBackend<S> {
  readonly #db: Database;
  readonly #decode: (stored: unknown) => S;
  readonly #fence: FenceSource;

  constructor(db: Database, decode: (stored: unknown) => S, fence: FenceSource = SOLE_INSTANCE) {
    this.#db = db;
    this.#decode = decode;
    this.#fence = fence;
  }

  async loadAll(): Promise<[string, SessionEntry<S>][]> {
    const rows = await this.#db.query<{ user_id: string; state_json: string; expires_at: number }>(
      "SELECT user_id, state_json, expires_at FROM sessions",
    );
    return rows.map((row) => [row.user_id, {
      state: this.#decode(parseJson(row.state_json)),
      expiresAt: row.expires_at,
    }]);
  }

  async save(userId: string, entry: SessionEntry<S>): Promise<void> {
    await this.#db.run(
      `INSERT INTO sessions (user_id, state_json, expires_at)
       SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER) WHERE ${this.#fence()}
       ON CONFLICT (user_id) DO UPDATE SET state_json = excluded.state_json,
         expires_at = excluded.expires_at`,
      [userId, JSON.stringify(entry.state), entry.expiresAt],
    );
  }

  async remove(userId: string): Promise<void> {
    await this.#db.run(`DELETE FROM sessions WHERE user_id = ? AND ${this.#fence()}`, [userId]);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
