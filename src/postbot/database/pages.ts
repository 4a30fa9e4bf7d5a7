/**
 * Keyset pagination, the port's one way to read a large result without holding it whole: a
 * broadcast to 10,000 people has 10,000 delivery rows, and reading them at once keeps every
 * row alive beside whatever the reader makes of it. Each page is a statement of its own, so
 * nothing stays open between pages: the reader may await, and write, while it reads (SQLite
 * has one connection; a PostgreSQL cursor would pin a pooled one and a transaction).
 *
 * @module
 */

import { keepHeapNear } from "@postbot/framework/heap_budget";
import type { PagedQuery, Row, SqlValue } from "./port.ts";

/** Rows a page unless a query says otherwise. */
export const PAGE_SIZE = 500;

/**
 * The rows of `q` one at a time, each page read by `query` when the previous one is used up.
 * A row written between pages is seen if its key is past the page read last.
 */
export async function* pagedRows<T extends Row>(
  query: (sql: string, params: readonly SqlValue[]) => Promise<T[]>,
  q: PagedQuery,
): AsyncGenerator<T, void, undefined> {
  const size = q.pageSize ?? PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`page size ${size}`);
  let after = q.start;
  for (;;) {
    const page = await query(q.sql, [...(q.params ?? []), after, size]);
    if (page.length === 0) return;
    after = page[page.length - 1][q.key];
    for (const row of page) {
      yield row;
      keepHeapNear();
    }
    if (page.length < size) return;
  }
}
