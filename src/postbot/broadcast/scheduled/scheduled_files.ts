/**
 * Where the files of a scheduled broadcast wait until it is sent: a directory of their own
 * under `SCHEDULED_FILES_DIR` (SQLite: one instance, one disk), or rows of `scheduled_files`
 * in the shared database (PostgreSQL: whichever instance is active when it is due must reach
 * them). Either way they are kept as they were at confirmation and removed when the broadcast
 * is sent or withdrawn.
 *
 * @module
 */

import { FileBytes } from "@postbot/framework";
import type { Database } from "../../database/port.ts";

/** The files of scheduled broadcasts, by broadcast id and position. */
export interface ScheduledFiles {
  /** Keeps a broadcast's files (each complete and durable before this resolves). */
  write(id: string, contents: readonly FileBytes[]): Promise<void>;
  /** The `count` files of a broadcast, in order; throws when one is missing. */
  read(id: string, count: number): Promise<FileBytes[]>;
  /** Forgets a broadcast's files (none kept is fine). */
  remove(id: string): Promise<void>;
}

/** The most a file kept in the database may weigh (PostgreSQL holds it in one value). */
export const MAX_DATABASE_FILE_BYTES = 50 * 1024 * 1024;

/** The most the files of one broadcast kept in the database may weigh together. */
export const MAX_DATABASE_BROADCAST_BYTES = 100 * 1024 * 1024;

/** {@link ScheduledFiles} in a directory per broadcast (`<dir>/<id>/<n>`). */
export class DirectoryFiles implements ScheduledFiles {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir.replace(/\/+$/, "") || ".";
  }

  /** The directory holding one scheduled broadcast's files. */
  dirOf(id: string): string {
    return `${this.#dir}/${id}`;
  }

  async write(id: string, contents: readonly FileBytes[]): Promise<void> {
    if (contents.length === 0) return;
    const dir = this.dirOf(id);
    await Deno.mkdir(dir, { recursive: true });
    for (const [i, content] of contents.entries()) {
      const file = await Deno.open(`${dir}/${i}`, { write: true, create: true, truncate: true });
      try {
        // A copy: writing may take the buffers over, and the chunks are shared.
        const bytes = content.bytes();
        for (let written = 0; written < bytes.byteLength;) {
          written += await file.write(bytes.subarray(written));
        }
        await file.sync();
      } finally {
        file.close();
      }
    }
  }

  async read(id: string, count: number): Promise<FileBytes[]> {
    const out: FileBytes[] = [];
    for (let i = 0; i < count; i++) {
      out.push(new FileBytes([await Deno.readFile(`${this.dirOf(id)}/${i}`)]));
    }
    return out;
  }

  async remove(id: string): Promise<void> {
    await Deno.remove(this.dirOf(id), { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

/** {@link ScheduledFiles} as rows of `scheduled_files`, capped in size. */
export class DatabaseFiles implements ScheduledFiles {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async write(id: string, contents: readonly FileBytes[]): Promise<void> {
    let total = 0;
    for (const content of contents) {
      const size = content.bytes().byteLength;
      total += size;
      if (size > MAX_DATABASE_FILE_BYTES || total > MAX_DATABASE_BROADCAST_BYTES) {
        throw new Error(
          `its files are too big to keep in the shared database (at most ` +
            `${MAX_DATABASE_FILE_BYTES >> 20} MB a file, ${MAX_DATABASE_BROADCAST_BYTES >> 20} ` +
            "MB together)",
        );
      }
    }
    await this.#db.transaction(async (tx) => {
      for (const [i, content] of contents.entries()) {
        await tx.run(
          "INSERT INTO scheduled_files (broadcast_id, idx, content) VALUES (?, ?, ?)",
          [id, i, content.bytes()],
        );
      }
    });
  }

  async read(id: string, count: number): Promise<FileBytes[]> {
    const rows = await this.#db.query<{ idx: number; content: Uint8Array }>(
      "SELECT idx, content FROM scheduled_files WHERE broadcast_id = ? ORDER BY idx",
      [id],
    );
    if (rows.length !== count) {
      throw new Error(`${count - rows.length} of its ${count} files are missing`);
    }
    return rows.map((r) => new FileBytes([new Uint8Array(r.content)]));
  }

  async remove(id: string): Promise<void> {
    await this.#db.run("DELETE FROM scheduled_files WHERE broadcast_id = ?", [id]);
  }
}
