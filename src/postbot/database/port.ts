/**
 * The database port: what postbot's stores ask of a database, whichever engine is behind it --
 * embedded SQLite (one process, the default) or a shared PostgreSQL (an active/standby pair).
 * Statements are written once, in the dialect both engines understand, with `?` placeholders;
 * the PostgreSQL adapter translates them (`dialect.ts`), the only place that knows the
 * difference. Every call is async: PostgreSQL is across a network, and a store written against
 * this port runs on both.
 *
 * @module
 */

/** A value bound to a placeholder or read from a column. */
export type SqlValue = string | number | null | Uint8Array;

/** A row as read: column name to value. Stores narrow it to their own row types. */
export type Row = Record<string, SqlValue>;

/** A SELECT read a page at a time, ordered by a key (see {@link SqlExecutor.queryEach}). */
export interface PagedQuery {
  /**
   * The statement of one page. Its last two placeholders are the key to start after and the
   * page size: it ends like `AND seq > ? ORDER BY seq LIMIT ?`.
   */
  readonly sql: string;
  /** The values of the placeholders before those two. */
  readonly params?: readonly SqlValue[];
  /** The key column as named in the rows: unique and never null among the rows selected. */
  readonly key: string;
  /** A value below every key: the first page starts after it. */
  readonly start: SqlValue;
  /** Rows a page (default 500, pages.ts). */
  readonly pageSize?: number;
}

/** Statements on a connection or inside a transaction. */
export interface SqlExecutor {
  /** Runs a statement that returns rows (SELECT, or a write with RETURNING). */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /**
   * Runs a SELECT a page at a time (keyset pagination, see pages.ts) and yields its rows one
   * at a time: for a result too large to hold whole (a broadcast's 10,000 deliveries).
   */
  queryEach<T extends Row = Row>(q: PagedQuery): AsyncIterable<T>;
  /** Runs a statement and answers how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

/** The engine behind a {@link Database}: the few statements that differ are chosen by it. */
export type Dialect = "sqlite" | "postgres";

/** A database the stores use: statements, transactions, and closing. */
export interface Database extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. The
   * statements of `fn` must go through the executor it receives; other work waits or runs on
   * another connection, never inside it.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * The SQL expression for "now" in epoch milliseconds, in the database's clock where the
   * database has one (PostgreSQL): instances on different hosts then agree on what expired.
   */
  readonly nowMs: string;
  /** Closes the connections; further calls fail. */
  close(): Promise<void>;
}
