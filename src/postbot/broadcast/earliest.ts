/**
 * "When is the next one due?" for the stores that a due loop (due_loop.ts) watches (scheduled
 * broadcasts, approval and edit requests, automatic reminders): the smallest time column among
 * the rows in a waiting state, read the same way on both engines.
 *
 * @module
 */

import type { Database } from "../database/port.ts";

/**
 * The smallest `column` (epoch ms) of the rows of `table` matching `where`, or undefined when
 * none match. The names and the condition are the caller's constants, never user input.
 */
export async function earliest(
  db: Database,
  table: string,
  column: string,
  where: string,
): Promise<number | undefined> {
  const [row] = await db.query<{ next: number | null }>(
    `SELECT MIN(${column}) AS next FROM ${table} WHERE ${where}`,
  );
  return row === undefined || row.next === null ? undefined : Number(row.next);
}
