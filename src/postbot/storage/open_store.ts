/**
 * Opens the store the configuration names: SQLite at `DB_PATH` (the default: one instance,
 * the file locked so no second one can start), or PostgreSQL at `DATABASE_URL`, shared by any
 * number of instances of which the one holding the lease is active (database/lease.ts). Either
 * way the result is the database port, the fence of outward actions and this instance's role.
 *
 * @module
 */

import { err, logger, ok, type Problem, type Result } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import type { PostbotConfig } from "../config.ts";
import type { Database } from "../database/port.ts";
import { type FenceSource, NEVER, SOLE_INSTANCE } from "../database/fencing.ts";
import { ensureLeaseTable, Lease } from "../database/lease.ts";
import { LeaseKeeper, type Role } from "../database/lease_keeper.ts";
import { connectPostgres } from "../database/postgres_database.ts";
import { migratePostgres } from "../database/postgres_migrations.ts";
import { SqliteDatabase } from "../database/sqlite_database.ts";
import { MIGRATIONS } from "../migrations.ts";
import { POSTGRES_MIGRATIONS } from "../migrations_postgres.ts";
import { APP_NAME } from "../name.ts";
import { databaseSettingProblem } from "./setting_problem.ts";
import { lockDatabase } from "./lock.ts";

const log = logger("storage");

/** The store, opened: the port, the fence, and who this instance is. */
export interface OpenedStore {
  readonly database: Database;
  /** The condition of writes that commit to an outward action (database/fencing.ts). */
  readonly fence: FenceSource;
  /** Where the data is, as an operator may read it (`DB_PATH`, or the URL without password). */
  readonly shown: string;
  /** This instance's name in the lease (`<pid>-<random>`); undefined with SQLite. */
  readonly holder?: string;
  /** This instance's role; undefined with SQLite (always the only, active, one). */
  readonly keeper?: LeaseKeeper;
  /** Resolves when this instance becomes active (at once with SQLite). */
  readonly active: Promise<void>;
  /** Resolves when this instance, once active, lost the lease (never with SQLite). */
  readonly lost: Promise<void>;
}

/** Opens the configured store; `opened` closes what was opened (the keeper releases first). */
export async function openStore(
  config: PostbotConfig,
  opened: AsyncDisposableStack,
): Promise<Result<OpenedStore, Problem>> {
  return config.database === undefined
    ? await openSqlite(config, opened)
    : await openShared(config, opened);
}

/** Takes the single-instance lock and opens (and migrates) the SQLite file, in that order. */
async function openSqlite(
  config: PostbotConfig,
  opened: AsyncDisposableStack,
): Promise<Result<OpenedStore, Problem>> {
  const lock = await lockDatabase(config.dbPath);
  if (!lock.ok) return lock;
  opened.defer(() => lock.value.close());
  const db = openDatabase(config.dbPath, MIGRATIONS, { app: APP_NAME });
  if (!db.ok) return err(databaseSettingProblem(db.error));
  opened.defer(() => db.value.close());
  return ok({
    database: new SqliteDatabase(db.value),
    fence: SOLE_INSTANCE,
    shown: config.dbPath,
    active: Promise.resolve(),
    lost: new Promise<void>(() => {}),
  });
}

/**
 * Connects to PostgreSQL, migrates it (under an advisory lock: several instances starting at
 * once migrate once) and starts the lease keeper. This instance is a standby until the keeper
 * takes the lease.
 */
async function openShared(
  config: PostbotConfig,
  opened: AsyncDisposableStack,
): Promise<Result<OpenedStore, Problem>> {
  const target = config.database!;
  const connected = await connectPostgres(target);
  if (!connected.ok) return connected;
  const database = connected.value;
  opened.defer(() => database.close());
  try {
    await ensureLeaseTable(database);
  } catch (e) {
    return err({ message: `The database ${target.shown} cannot be used: ${(e as Error).message}` });
  }
  const migrated = await migratePostgres(database, POSTGRES_MIGRATIONS, APP_NAME);
  if (!migrated.ok) return migrated;
  const lease = new Lease(database, {
    holder: `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`,
    ttlMs: config.leaseTtlSeconds * 1000,
  });
  const active = Promise.withResolvers<void>();
  const lost = Promise.withResolvers<void>();
  const keeper = new LeaseKeeper(lease, {
    renewMs: config.leaseRenewSeconds * 1000,
    onChange: (role, previous) => {
      logRole(role, previous);
      if (role.kind === "active") active.resolve();
      else if (previous.kind === "active" && role.reason.kind !== "stopped") lost.resolve();
    },
  });
  keeper.start();
  // Released first when closing: a standby takes over at once (graceful hand-over).
  opened.defer(() => keeper.stop());
  const fence: FenceSource = () => {
    const role = keeper.role;
    return role.kind === "active" && keeper.mayAct() ? lease.fence(role.epoch).sql : NEVER;
  };
  log.info("Shared store {url}: this instance is {holder}", {
    url: target.shown,
    holder: lease.holder,
  });
  return ok({
    database,
    fence,
    shown: target.shown,
    holder: lease.holder,
    keeper,
    active: active.promise,
    lost: lost.promise,
  });
}

/** One log line per change of role. */
function logRole(role: Role, previous: Role): void {
  if (role.kind === "active") {
    log.info("This instance is now active (lease epoch {epoch})", { epoch: role.epoch });
  } else if (previous.kind === "active") {
    log.error("This instance lost the lease ({reason}): it acts no more", {
      reason: role.reason.kind,
    });
  } else if (role.reason.kind === "unreachable") {
    log.warn("Standby: the database cannot be reached ({error})", { error: role.reason.error });
  } else if (role.reason.kind === "held_by") {
    log.info("Standby: {holder} is active", { holder: role.reason.holder });
  }
}
