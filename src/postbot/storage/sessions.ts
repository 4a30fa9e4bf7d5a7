/**
 * Wizard sessions in SQLite, so a restart does not silently drop a broadcast someone was in
 * the middle of preparing.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { SessionBackend, SessionEntry } from "../../framework/sessions.ts";

/** A {@link SessionBackend} on the `sessions` table; states are stored as JSON. */
export class SqliteSessionBackend<S> implements SessionBackend<S> {
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  *loadAll(): Iterable<[string, SessionEntry<S>]> {
    const rows = this.#db.prepare("SELECT user_id, state_json, expires_at FROM sessions").all() as {
      user_id: string;
      state_json: string;
      expires_at: number;
    }[];
    for (const row of rows) {
      try {
        yield [row.user_id, { state: JSON.parse(row.state_json), expiresAt: row.expires_at }];
      } catch {
        this.remove(row.user_id);
      }
    }
  }

  save(userId: string, entry: SessionEntry<S>): void {
    this.#db.prepare(
      `INSERT INTO sessions (user_id, state_json, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET state_json = excluded.state_json,
         expires_at = excluded.expires_at`,
    ).run(userId, JSON.stringify(entry.state), entry.expiresAt);
  }

  remove(userId: string): void {
    this.#db.prepare("DELETE FROM sessions WHERE user_id = ?").run(userId);
  }
}
