/**
 * Wizard sessions in SQLite, so a restart does not silently drop a broadcast someone was in
 * the middle of preparing.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import type { SessionBackend, SessionEntry } from "@postbot/framework";

/**
 * A {@link SessionBackend} on the `sessions` table; states are stored as JSON and checked by
 * `decode` when read back (a row that is not even JSON is decoded from `undefined`), so a
 * state the app cannot read reaches it as such instead of being trusted or dropped unseen.
 */
export class SqliteSessionBackend<S> implements SessionBackend<S> {
  readonly #db: DatabaseSync;
  readonly #decode: (stored: unknown) => S;

  constructor(db: DatabaseSync, decode: (stored: unknown) => S) {
    this.#db = db;
    this.#decode = decode;
  }

  *loadAll(): Iterable<[string, SessionEntry<S>]> {
    const rows = this.#db.prepare("SELECT user_id, state_json, expires_at FROM sessions").all() as {
      user_id: string;
      state_json: string;
      expires_at: number;
    }[];
    for (const row of rows) {
      yield [row.user_id, {
        state: this.#decode(parseJson(row.state_json)),
        expiresAt: row.expires_at,
      }];
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
