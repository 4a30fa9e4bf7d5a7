/**
 * Files every instance shares through the database (`shared_files`, migration 10): with
 * `DATABASE_URL` the instances may run on hosts without a shared directory, so the active
 * keeps the whole text of channels.toml here at each write, and an instance that becomes
 * active compares its own file with it (channels_sync.ts). Writes are fenced: only the
 * active replaces a shared file.
 *
 * @module
 */

import type { Database } from "../database/port.ts";
import type { FenceSource } from "../database/fencing.ts";

/** A shared file as stored: its whole text, when (epoch ms) and by whom it was written. */
export interface SharedFile {
  readonly name: string;
  readonly content: string;
  readonly writtenAt: number;
  readonly writtenBy: string;
}

/** The `shared_files` table: read by anyone, written by the active only. */
export class SharedFiles {
  readonly #db: Database;
  readonly #fence: FenceSource;

  constructor(db: Database, fence: FenceSource) {
    this.#db = db;
    this.#fence = fence;
  }

  /** The stored copy of `name`, or undefined when none was stored yet. */
  async read(name: string): Promise<SharedFile | undefined> {
    const [row] = await this.#db.query<
      { content: string; written_at: number; written_by: string }
    >(
      "SELECT content, written_at, written_by FROM shared_files WHERE name = ?",
      [name],
    );
    return row === undefined ? undefined : {
      name,
      content: row.content,
      writtenAt: Number(row.written_at),
      writtenBy: row.written_by,
    };
  }

  /**
   * Stores `file` in place of any earlier copy, fenced: false when this instance may not
   * act (a standby, or its lease was lost), and nothing was written.
   */
  async write(file: SharedFile): Promise<boolean> {
    const changed = await this.#db.run(
      `INSERT INTO shared_files (name, content, written_at, written_by)
       SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), CAST(? AS TEXT)
       WHERE ${this.#fence()}
       ON CONFLICT (name) DO UPDATE SET content = excluded.content,
         written_at = excluded.written_at, written_by = excluded.written_by`,
      [file.name, file.content, file.writtenAt, file.writtenBy],
    );
    return changed > 0;
  }
}
