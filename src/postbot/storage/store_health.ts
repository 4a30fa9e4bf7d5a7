/**
 * Whether the stores in the database work right now, for `/healthz`. A database that passed
 * its check at startup can still fail later (a disk going bad, a file damaged behind the
 * bot's back, a full disk): users then get "Something went wrong", and the operator must see
 * it too. Each store (broadcast log, sessions, ...) gets its own watched handle on the one
 * database; an operation failing with a store-level SQLite error (see `sqliteTrouble`: not a
 * constraint or a bug in a statement) marks that store failing, and its next successful
 * operation clears it.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { logger } from "@postbot/framework";
import { sqliteTrouble } from "@postbot/framework/sqlite";
import type { Database, PagedQuery, Row, SqlExecutor, SqlValue } from "../database/port.ts";
import { pagedRows } from "../database/pages.ts";

const log = logger("storage");

/** A store whose last operation failed. */
export interface FailingStore {
  readonly store: string;
  /** SQLite's words. */
  readonly error: string;
  /** When it started failing (ms since epoch). */
  readonly since: number;
}

/** The health of every watched store. */
export class StoreHealth {
  readonly #names = new Set<string>();
  readonly #failing = new Map<string, FailingStore>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Every watched store's name, in the order they were watched. */
  get stores(): readonly string[] {
    return [...this.#names];
  }

  /** The stores whose last operation failed. */
  get failing(): readonly FailingStore[] {
    return [...this.#failing.values()];
  }

  /**
   * `db` as `store` uses it: the same database, with every statement's outcome recorded.
   * Statements prepared through it are watched too.
   */
  watch(db: DatabaseSync, store: string): DatabaseSync {
    this.#names.add(store);
    return new Proxy(db, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "prepare") {
          return (...args: unknown[]) =>
            this.#statement(this.#observe(store, () => value.apply(target, args)), store);
        }
        if (property === "exec") {
          return (...args: unknown[]) => this.#observe(store, () => value.apply(target, args));
        }
        return value.bind(target);
      },
    });
  }

  /** `db` as `store` uses it through the database port, every statement's outcome recorded. */
  watchDatabase(db: Database, store: string): Database {
    this.#names.add(store);
    return new WatchedDatabase(db, (operation) => this.#observeAsync(store, operation));
  }

  #statement(statement: StatementSync, store: string): StatementSync {
    return new Proxy(statement, {
      get: (target, property) => {
        const value = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "run" || property === "get" || property === "all") {
          return (...args: unknown[]) => this.#observe(store, () => value.apply(target, args));
        }
        return value.bind(target);
      },
    });
  }

  /** Runs `operation`, recording its outcome for `store`; rethrows what it throws. */
  #observe<T>(store: string, operation: () => T): T {
    let result: T;
    try {
      result = operation();
    } catch (e) {
      this.#failed(store, e);
      throw e;
    }
    this.#succeeded(store);
    return result;
  }

  /** {@link #observe} of an operation that settles later. */
  async #observeAsync<T>(store: string, operation: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await operation();
    } catch (e) {
      this.#failed(store, e);
      throw e;
    }
    this.#succeeded(store);
    return result;
  }

  #failed(store: string, e: unknown): void {
    if (storeTrouble(e) && !this.#failing.has(store)) {
      const error = (e as Error).message;
      this.#failing.set(store, { store, error, since: this.#now() });
      log.error(
        "The {store} store in the database is failing ({error}); /healthz reports it until " +
          "an operation succeeds again. See README, Troubleshooting.",
        { store, error },
      );
    }
  }

  #succeeded(store: string): void {
    if (this.#failing.delete(store)) log.info("The {store} store works again", { store });
  }
}

/**
 * True for a failure of the store itself, not of a statement: SQLite's store-level errors
 * (`sqliteTrouble`), and on PostgreSQL a connection that failed or ended (no SQLSTATE, or a
 * class 08 connection exception, 57P admin shutdown, 53 insufficient resources).
 */
function storeTrouble(e: unknown): boolean {
  if (sqliteTrouble(e) !== undefined) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code !== "string") return /connect|terminat|timeout|closed/i.test(e.message);
  return /^(08|57P|53)/.test(code) || /^E[A-Z]+$/.test(code);
}

/** A {@link Database} whose every statement goes through `observe`. */
class WatchedDatabase implements Database {
  readonly #db: Database;
  readonly #observe: <T>(operation: () => Promise<T>) => Promise<T>;

  constructor(db: Database, observe: <T>(operation: () => Promise<T>) => Promise<T>) {
    this.#db = db;
    this.#observe = observe;
  }

  get dialect(): Database["dialect"] {
    return this.#db.dialect;
  }

  get nowMs(): string {
    return this.#db.nowMs;
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#observe(() => this.#db.query<T>(sql, params));
  }

  /** Each page is observed like any statement. */
  queryEach<T extends Row = Row>(q: PagedQuery): AsyncIterable<T> {
    return pagedRows((sql, params) => this.query<T>(sql, params), q);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#observe(() => this.#db.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#observe(() => this.#db.transaction(fn));
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
