import type { Dialect } from "../database/port.ts";

/**
 * Reading rows of postbot's tables: the pieces every table's row mapper needs, so the
 * broadcast log and the scheduled broadcasts read their common columns one way.
 *
 * @module
 */

/** A row as `node:sqlite` returns it. */
export type Row = Record<string, unknown>;

const utf8 = new TextDecoder();

/**
 * `, CAST(<table>.<column> AS BLOB) AS <column>_bytes` for each column, to select after `*`
 * and read with {@link fullText}: node:sqlite cuts a TEXT value at the first NUL character
 * when reading it, and the user's texts must come back exactly as they were stored. Nothing
 * on PostgreSQL, whose TEXT holds no NUL at all (what is stored comes back whole).
 */
export function bytesColumns(dialect: Dialect, table: string, columns: readonly string[]): string {
  if (dialect === "postgres") return "";
  return columns.map((c) => `, CAST(${table}.${c} AS BLOB) AS ${c}_bytes`).join("");
}

/** A text column, from its bytes when they were selected too ({@link bytesColumns}). */
export function fullText(r: Row, column: string): string {
  const bytes = r[`${column}_bytes`];
  return bytes instanceof Uint8Array ? utf8.decode(bytes) : String(r[column]);
}

/** A nullable number column. */
export function numberOrNull(value: unknown): number | null {
  return value === null ? null : Number(value);
}

/** A nullable text column. */
export function textOrNull(value: unknown): string | null {
  return value === null ? null : String(value);
}

/** Who sent a broadcast and when it was created: columns both broadcast tables have. */
export interface SenderColumns {
  readonly id: string;
  readonly senderId: string;
  readonly senderUsername: string;
  readonly createdAt: number;
}

/** The {@link SenderColumns} of a row (`id`, `sender_id`, `sender_username`, `created_at`). */
export function senderColumns(r: Row): SenderColumns {
  return {
    id: String(r.id),
    senderId: String(r.sender_id),
    senderUsername: String(r.sender_username),
    createdAt: Number(r.created_at),
  };
}
