/**
 * The database port on embedded SQLite (`node:sqlite`, opened by the framework's
 * `openDatabase`: WAL, checks, numbered migrations under `BEGIN IMMEDIATE`). node:sqlite is
 * synchronous and has one connection, so a transaction whose body awaits would let any other
 * statement slip into it: here a transaction holds the connection, and every statement from
 * outside waits until it ends.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import {
  type DatabaseNaming,
  type DatabaseProblem,
  type Migration,
  openDatabase,
} from "@postbot/framework/sqlite";
import { ok, type Result } from "@postbot/framework";
import type { Database, PagedQuery, Row, SqlExecutor, SqlValue } from "./port.ts";
import { pagedRows } from "./pages.ts";

/** Statements on the one connection, prepared once each. */
class SqliteStatements implements SqlExecutor {
  readonly #db: DatabaseSync;
  readonly #prepared = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #statement(sql: string): StatementSync {
    let statement = this.#prepared.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#prepared.set(sql, statement);
    }
    return statement;
  }

  query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return Promise.resolve(this.#statement(sql).all(...(params as SQLInputValue[])) as T[]);
  }

  queryEach<T extends Row = Row>(q: PagedQuery): AsyncIterable<T> {
    return pagedRows((sql, params) => this.query<T>(sql, params), q);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Promise.resolve(
      Number(this.#statement(sql).run(...(params as SQLInputValue[])).changes),
    );
  }
}

/** {@link Database} on a SQLite file (or `:memory:`). */
export class SqliteDatabase implements Database {
  readonly dialect = "sqlite";
  /** The process's clock: one SQLite file has one process (storage/lock.ts). */
  readonly nowMs = "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
  readonly #db: DatabaseSync;
  readonly #statements: SqliteStatements;
  /** Settles when the running transaction ends; undefined when none runs. */
  #open: Promise<void> | undefined;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#statements = new SqliteStatements(db);
  }

  /** The connection underneath, for the stores not yet moved onto the port. */
  get connection(): DatabaseSync {
    return this.#db;
  }

  // The waits below are inline loops, not a helper: awaiting a helper would yield even when no
  // transaction runs, and one could begin in that gap.

  async query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    while (this.#open !== undefined) await this.#open;
    return this.#statements.query<T>(sql, params);
  }

  /** Each page waits for a running transaction like any statement. */
  queryEach<T extends Row = Row>(q: PagedQuery): AsyncIterable<T> {
    return pagedRows((sql, params) => this.query<T>(sql, params), q);
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    while (this.#open !== undefined) await this.#open;
    return this.#statements.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.#open !== undefined) await this.#open;
    let end = () => {};
    this.#open = new Promise((resolve) => end = resolve);
    try {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await fn(this.#statements);
        this.#db.exec("COMMIT");
        return result;
      } catch (e) {
        this.#db.exec("ROLLBACK");
        throw e;
      }
    } finally {
      this.#open = undefined;
      end();
    }
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}

/** Opens (creating and migrating) the SQLite database at `path` behind the port. */
export function openSqliteDatabase(
  path: string,
  migrations: readonly Migration[],
  naming?: DatabaseNaming,
): Result<SqliteDatabase, DatabaseProblem> {
  const opened = openDatabase(path, migrations, naming);
  return opened.ok ? ok(new SqliteDatabase(opened.value)) : opened;
}
