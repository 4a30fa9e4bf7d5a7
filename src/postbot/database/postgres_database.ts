/**
 * The database port on PostgreSQL, through `npm:pg` (pure JavaScript; see
 * docs/high_availability.md for the choice). Two things about pg matter here. It reads `PG*`
 * environment variables whenever it builds a client, and postbot runs with an explicit
 * `--allow-env` list: clients are built with `process.env` hidden, so everything comes from
 * DATABASE_URL and no permission is asked. The password is handed over by a function, so it
 * sits in no option object a stack trace or log line could show, and pg never falls back on
 * reading `~/.pgpass`. BIGINT columns (epoch milliseconds, counts) come back as numbers.
 *
 * @module
 */

// @ts-types="@types/pg"
import pg from "pg";
import process from "node:process";
import type { ConnectionOptions } from "node:tls";
import { err, ok, type Problem, type Result } from "@postbot/framework";
import type { Database, PagedQuery, Row, SqlExecutor, SqlValue } from "./port.ts";
import { toPostgres } from "./dialect.ts";
import { pagedRows } from "./pages.ts";
import type { PostgresTarget } from "./postgres_url.ts";
import { PreparedNames, stalePlan } from "./prepared_names.ts";

const INT8_OID = 20;

/** BIGINT as a number (pg's default is a string: values past 2^53 would lose digits). */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new Error(`BIGINT ${text} is beyond 2^53`);
  return value;
}

/** pg's type parsers, BIGINT read as a number; nothing global is changed. */
const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID && format !== "binary") return parseInt8;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

/**
 * pg's Client, built while `process.env` is hidden (see the module's doc). A constructor
 * function returning the client: pg.Pool calls it with `new`, and the hiding must wrap the
 * whole of pg's constructor, which a subclass could not do around `super`.
 */
const EnvFreeClient = function (config?: pg.ClientConfig): pg.Client {
  const saved = process.env;
  process.env = {};
  try {
    return new pg.Client(config);
  } finally {
    process.env = saved;
  }
} as unknown as typeof pg.Client;

/**
 * Statements on one pooled connection (a transaction's) or on the pool. A statement with
 * parameters is sent as a named prepared statement (prepared_names.ts); one without is sent
 * as it is (a migration's script of several statements cannot be prepared).
 */
class PgStatements implements SqlExecutor {
  readonly #on: pg.Pool | pg.PoolClient;
  readonly #names: PreparedNames;

  /** Whether the statements run in a transaction (a failed one has aborted it). */
  readonly #inTransaction: boolean;

  constructor(on: pg.Pool | pg.PoolClient, names: PreparedNames, inTransaction: boolean) {
    this.#on = on;
    this.#names = names;
    this.#inTransaction = inTransaction;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.#send(sql, params)).rows as T[];
  }

  queryEach<T extends Row = Row>(q: PagedQuery): AsyncIterable<T> {
    return pagedRows((sql, params) => this.query<T>(sql, params), q);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.#send(sql, params)).rowCount ?? 0;
  }

  async #send(sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> {
    const text = toPostgres(sql);
    const values = params as SqlValue[];
    if (values.length === 0) return await this.#on.query(text);
    try {
      return await this.#on.query({ name: this.#names.of(text), text, values });
    } catch (e) {
      // The statement did not run (see prepared_names.ts); in a transaction, the transaction
      // is tried again as a whole.
      if (!stalePlan(e)) throw e;
      this.#names.renew();
      if (this.#inTransaction) throw e;
      return await this.#on.query({ name: this.#names.of(text), text, values });
    }
  }
}

/**
 * How long a statement is tried again while the server cannot be reached or is restarting:
 * shorter than the lease's TTL, so an active either gets through or steps down in time.
 */
const RETRY_WINDOW_MS = 8_000;

/** The waits between tries (then the last one repeats). */
const RETRY_DELAYS_MS = [100, 250, 500, 1_000];

/**
 * Whether a failure means the statement did not run and may be tried again: no connection
 * (refused, reset, ended), or the server shutting down or starting up (SQLSTATE class 08,
 * 57P01-57P03). A statement cut off this way was rolled back with its transaction.
 */
export function transientFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && (/^08/.test(code) || /^57P0[123]$/.test(code))) return true;
  if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT)$/.test(code)) {
    return true;
  }
  return /Connection terminated|connection timeout|Client has encountered a connection error/i
    .test(e.message);
}

/** Runs `attempt` until it succeeds, fails for good, or the retry window is over. */
async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + RETRY_WINDOW_MS;
  for (let n = 0;; n++) {
    try {
      return await attempt();
    } catch (e) {
      const wait = RETRY_DELAYS_MS[Math.min(n, RETRY_DELAYS_MS.length - 1)];
      if (!transientFailure(e) || performance.now() + wait > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/**
 * {@link Database} on a PostgreSQL pool. A statement (or a whole transaction) that fails
 * because the server cannot be reached or is restarting is tried again for a few seconds:
 * a restart of PostgreSQL loses no accepted work.
 */
export class PostgresDatabase implements Database {
  readonly dialect = "postgres";
  /** The database server's clock, at the start of the statement. */
  readonly nowMs = "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)";
  readonly #pool: pg.Pool;
  readonly #statements: PgStatements;
  readonly #names = new PreparedNames();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.#statements = new PgStatements(pool, this.#names, false);
  }

  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return retrying(() => this.#statements.query<T>(sql, params));
  }

  /** Each page is tried again on its own, like any statement. */
  queryEach<T extends Row = Row>(q: PagedQuery): AsyncIterable<T> {
    return pagedRows((sql, params) => this.query<T>(sql, params), q);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return retrying(() => this.#statements.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return retrying(async () => {
      try {
        return await this.#transactionOnce(fn);
      } catch (e) {
        // Rolled back; its statements now have new names (see prepared_names.ts).
        if (!stalePlan(e)) throw e;
        return await this.#transactionOnce(fn);
      }
    });
  }

  async #transactionOnce<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      try {
        const result = await fn(new PgStatements(client, this.#names, true));
        await client.query("COMMIT");
        return result;
      } catch (e) {
        await client.query("ROLLBACK").catch((rollback) => broken = rollback as Error);
        throw e;
      }
    } finally {
      // A connection that could not roll back is closed, not handed to the next caller.
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

/** Options of {@link connectPostgres}. */
export interface PostgresOptions {
  /** Connections kept at most (default 5: a bot's statements are short). */
  readonly maxConnections?: number;
  /** Told about a connection that failed while idle (pg raises it outside any query). */
  readonly onIdleError?: (message: string) => void;
}

/** The TLS settings pg takes for an sslmode (the CA file read here). */
async function tlsOptions(target: PostgresTarget): Promise<false | ConnectionOptions> {
  switch (target.sslMode) {
    case "disable":
      return false;
    case "require":
      return { rejectUnauthorized: false };
    case "verify-ca":
    case "verify-full": {
      const ca = await Deno.readTextFile(target.caFile!);
      return target.sslMode === "verify-full"
        ? { ca, rejectUnauthorized: true, servername: target.host }
        : { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    }
  }
}

/**
 * A pool on the target, checked by one round trip. A failure is a problem naming the server
 * by the URL without its password.
 */
export async function connectPostgres(
  target: PostgresTarget,
  options: PostgresOptions = {},
): Promise<Result<PostgresDatabase, Problem>> {
  let ssl: false | ConnectionOptions;
  try {
    ssl = await tlsOptions(target);
  } catch (e) {
    return err({
      message: `DATABASE_URL ${target.shown}: the CA file ${target.caFile} cannot be read ` +
        `(${(e as Error).message})`,
      hint: "sslrootcert must name a readable PEM file, granted to the bot with --allow-read.",
    });
  }
  const pool = new pg.Pool({
    Client: EnvFreeClient,
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    password: () => Promise.resolve(target.password.reveal()),
    ssl,
    connectionTimeoutMillis: target.connectTimeoutSeconds * 1000,
    application_name: target.applicationName,
    max: options.maxConnections ?? 5,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    types: TYPES,
  });
  pool.on("error", (e) => options.onIdleError?.(target.password.scrub(e.message)));
  try {
    await pool.query("SELECT 1");
  } catch (e) {
    await pool.end().catch(() => {});
    return err(connectProblem(target, e));
  }
  return ok(new PostgresDatabase(pool));
}

/** Why a first connection failed, for the operator. */
function connectProblem(target: PostgresTarget, e: unknown): Problem {
  const message = target.password.scrub(e instanceof Error ? e.message : String(e));
  return {
    message: `DATABASE_URL ${target.shown} cannot be reached: ${message}`,
    hint: "Check that PostgreSQL runs there, that the user and database exist and that the " +
      "password and sslmode are right.",
  };
}
