/**
 * What one DM's database work costs, engine against engine, without the bot, the emulator or
 * the users around it: the processed-post claim (the only statement a DM sends to the database,
 * issue 23) timed one at a time and in bursts of 50 at once, on a SQLite file (the bot's
 * settings: WAL, synchronous=NORMAL) and on a throwaway PostgreSQL cluster on the same cores,
 * with the fence of a single instance and with a lease's fence. `SELECT 1` gives PostgreSQL's
 * floor: a network round trip and nothing else. Each row gives a call's median latency alone
 * and the CPU it cost the client (this process) and the server (PostgreSQL's processes), then
 * the wall time of 50 claims at once through the store (batched: storage/claim_batch.ts).
 *
 * @module
 */

import { startPostgres, type ThrowawayPostgres } from "@postbot/harness/postgres";
import { MIGRATIONS } from "../src/postbot/migrations.ts";
import { POSTGRES_MIGRATIONS } from "../src/postbot/migrations_postgres.ts";
import type { Database } from "../src/postbot/database/port.ts";
import { openSqliteDatabase } from "../src/postbot/database/sqlite_database.ts";
import { connectPostgres } from "../src/postbot/database/postgres_database.ts";
import { parsePostgresUrl } from "../src/postbot/database/postgres_url.ts";
import { migratePostgres } from "../src/postbot/database/postgres_migrations.ts";
import { ensureLeaseTable, Lease } from "../src/postbot/database/lease.ts";
import { type FenceSource, SOLE_INSTANCE } from "../src/postbot/database/fencing.ts";
import { StoredProcessedPosts } from "../src/postbot/storage/processed_posts.ts";
import type { BenchRow } from "./support.ts";
import { processCpuMs } from "./support.ts";

const SEQUENTIAL = 2_000;
const BURST = 50;
const BURSTS = 40;

let posts = 0;

/** What calls one after the other cost: median latency, CPU per call (client, server). */
interface Alone {
  readonly ms: number;
  readonly clientCpuMs: number;
  readonly serverCpuMs: number;
}

/** Calls one after the other (after a warm-up), timed and with the CPU they used. */
async function alone(call: () => Promise<unknown>, serverCpu: () => Promise<number>) {
  for (let i = 0; i < 200; i++) await call();
  const times: number[] = [];
  const [client0, server0] = [await processCpuMs(Deno.pid), await serverCpu()];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    await call();
    times.push(performance.now() - t);
  }
  const [client1, server1] = [await processCpuMs(Deno.pid), await serverCpu()];
  times.sort((a, b) => a - b);
  return {
    ms: times[Math.floor(times.length / 2)],
    clientCpuMs: (client1 - client0) / SEQUENTIAL,
    serverCpuMs: (server1 - server0) / SEQUENTIAL,
  } satisfies Alone;
}

/** Bursts of {@link BURST} calls at once; the median burst's wall time, ms. */
async function bursts(call: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let b = 0; b < BURSTS; b++) {
    const t = performance.now();
    await Promise.all(Array.from({ length: BURST }, call));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** A claim of a post never seen before, through the store (batched) or as one statement. */
function claimer(db: Database, fence: FenceSource, batched: boolean): () => Promise<unknown> {
  const processed = new StoredProcessedPosts(db, fence);
  if (batched) return () => processed.claim(`post-${++posts}`, "channel-1", Date.now());
  return () =>
    db.run(
      `INSERT INTO processed_posts (post_id, channel_id, create_at)
       SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER)
       WHERE ${fence()} ON CONFLICT (post_id) DO NOTHING`,
      [`post-${++posts}`, "channel-1", Date.now()],
    );
}

async function openPostgres(pg: ThrowawayPostgres): Promise<Database> {
  const target = parsePostgresUrl(await pg.createDatabase());
  if (!target.ok) throw new Error(target.error.message);
  const db = await connectPostgres(target.value);
  if (!db.ok) throw new Error(db.error.message);
  await ensureLeaseTable(db.value);
  const migrated = await migratePostgres(db.value, POSTGRES_MIGRATIONS);
  if (!migrated.ok) throw new Error(migrated.error.message);
  return db.value;
}

async function leaseFence(db: Database): Promise<FenceSource> {
  const lease = new Lease(db, { holder: "bench", ttlMs: 600_000 });
  const taken = await lease.acquire();
  if (taken.kind !== "held") throw new Error("the lease was not taken");
  const sql = lease.fence(taken.epoch).sql;
  return () => sql;
}

const ms = (x: number) => `${x.toFixed(3)} ms`;

/** CPU (ms) used so far by the cluster's processes (the postmaster and its children). */
async function postgresCpuMs(port: number): Promise<number> {
  const text = async (args: string[]) =>
    new TextDecoder().decode((await new Deno.Command("pgrep", { args }).output()).stdout);
  const parent = (await text(["-f", `postgres.*-p ${port}`])).trim().split("\n")[0];
  const pids = [parent, ...(await text(["-P", parent])).trim().split("\n")]
    .map(Number).filter((p) => p > 0);
  const each = await Promise.all(pids.map((p) => processCpuMs(p).catch(() => 0)));
  return each.reduce((a, b) => a + b, 0);
}

/** One row: a call alone (latency, CPU) and, when given, a burst through the store. */
async function row(
  name: string,
  call: () => Promise<unknown>,
  serverCpu: () => Promise<number>,
  burst?: () => Promise<unknown>,
): Promise<BenchRow> {
  const one = await alone(call, serverCpu);
  const cpu = `CPU per call: client ${ms(one.clientCpuMs)}, server ${ms(one.serverCpuMs)}`;
  const many = burst === undefined
    ? ""
    : `; ${BURST} claims at once (batched) ${ms(await bursts(burst))}`;
  return { name, result: `alone ${ms(one.ms)} (${cpu})${many}`, aim: "" };
}

/**
 * PostgreSQL's durability settings compared: the throwaway cluster's (the tests' and the
 * round trip benchmark's), the one promising what SQLite's WAL with synchronous=NORMAL
 * promises (a commit is safe from a crash of the process, not from the machine losing power,
 * which may lose the last commits but corrupts nothing), and PostgreSQL's default (every
 * commit flushed to disk before it is answered).
 */
const DURABILITY = [
  { name: "fsync=off (throwaway cluster)", settings: [], expect: "off on" },
  {
    name: "fsync=on, synchronous_commit=off (as SQLite NORMAL)",
    settings: ["fsync=on", "synchronous_commit=off"],
    expect: "on off",
  },
  { name: "fsync=on, synchronous_commit=on (default)", settings: ["fsync=on"], expect: "on on" },
] as const;

/** PostgreSQL's floor and its claims with each fence, on a fresh database of `pg`. */
async function postgresRows(pg: ThrowawayPostgres, durability: string): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const db = await openPostgres(pg);
  try {
    const server = () => postgresCpuMs(pg.port);
    rows.push(await row(`PostgreSQL ${durability}: SELECT 1`, () => db.query("SELECT 1"), server));
    const lease = await leaseFence(db);
    for (const [label, fence] of [["1 = 1", SOLE_INSTANCE], ["lease", lease]] as const) {
      rows.push(
        await row(
          `PostgreSQL ${durability}: claim, fence ${label}`,
          claimer(db, fence, false),
          server,
          claimer(db, fence, true),
        ),
      );
    }
  } finally {
    await db.close();
  }
  return rows;
}

/** The rows: SQLite, then PostgreSQL's floor and its claims with each fence. */
export async function claimBenchmark(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = await Deno.makeTempDir({ prefix: "postbot-claim-" });
  const sqlite = openSqliteDatabase(`${dir}/claims.db`, MIGRATIONS);
  if (!sqlite.ok) throw new Error(sqlite.error.message);
  const none = () => Promise.resolve(0);
  rows.push(
    await row(
      "SQLite file (WAL, synchronous=NORMAL): claim",
      claimer(sqlite.value, SOLE_INSTANCE, false),
      none,
      claimer(sqlite.value, SOLE_INSTANCE, true),
    ),
  );
  await sqlite.value.close();
  await Deno.remove(dir, { recursive: true });
  for (const durability of DURABILITY) {
    await using pg = await startPostgres({ settings: durability.settings });
    const shown = await pg.psql(
      "SELECT current_setting('fsync') || ' ' || " +
        "current_setting('synchronous_commit')",
    );
    if (shown.trim() !== durability.expect) throw new Error(`settings not applied: ${shown}`);
    rows.push(...await postgresRows(pg, durability.name));
  }
  return rows;
}

if (import.meta.main) console.log(await claimBenchmark());
