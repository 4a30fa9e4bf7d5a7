/**
 * A private PostgreSQL cluster for the test server: found (or installed through apt-get),
 * initialised once in the run directory, started on a free loopback port and stopped again.
 * initdb and pg_ctl refuse to run as root, so as root they run as the `postgres` user.
 *
 * @module
 */

import { type Outcome, run } from "./programs.ts";

/** Where the PostgreSQL programs are. */
export interface PgInstall {
  readonly bin: string;
}

/** A running cluster. */
export interface PgCluster {
  readonly dataDir: string;
  readonly port: number;
}

const IS_ROOT = Deno.uid() === 0;

/** A command line run as the `postgres` user when we are root. */
function asPostgres(program: string, args: string[]): [string, string[]] {
  return IS_ROOT ? ["runuser", ["-u", "postgres", "--", program, ...args]] : [program, args];
}

/** The directory of PostgreSQL's programs, without installing anything. */
export async function locatePostgres(): Promise<string | undefined> {
  const versions: number[] = [];
  try {
    for await (const e of Deno.readDir("/usr/lib/postgresql")) {
      if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
    }
  } catch {
    // Not a Debian layout.
  }
  for (const v of versions.sort((a, b) => b - a)) {
    const bin = `/usr/lib/postgresql/${v}/bin`;
    if (await exists(`${bin}/initdb`)) return bin;
  }
  const which = await run("sh", ["-c", "command -v initdb"]);
  if (which.ok && which.stdout.trim() !== "") return which.stdout.trim().replace(/\/initdb$/, "");
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Finds PostgreSQL's programs; as root on Debian, installs `postgresql` when missing. */
export async function findPostgres(log: (line: string) => void): Promise<Outcome<PgInstall>> {
  const bin = await locatePostgres();
  if (bin !== undefined) return { ok: true, value: { bin } };
  const hasApt = (await run("sh", ["-c", "command -v apt-get"])).ok;
  if (!IS_ROOT || !hasApt) {
    return {
      ok: false,
      error: "PostgreSQL is missing (no initdb found): install it (Debian: " +
        "`apt-get install postgresql`) and run this again.",
    };
  }
  log("PostgreSQL is missing: installing it with apt-get (postgresql)\u2026");
  const update = await run("apt-get", ["update"], { env: { DEBIAN_FRONTEND: "noninteractive" } });
  if (!update.ok) return { ok: false, error: `apt-get update failed:\n${update.stderr}` };
  const install = await run(
    "apt-get",
    ["install", "-y", "--no-install-recommends", "postgresql"],
    { env: { DEBIAN_FRONTEND: "noninteractive" } },
  );
  if (!install.ok) {
    return { ok: false, error: `apt-get install postgresql failed:\n${install.stderr}` };
  }
  const installed = await locatePostgres();
  if (installed === undefined) {
    return { ok: false, error: "PostgreSQL was installed but initdb is still not found" };
  }
  return { ok: true, value: { bin: installed } };
}

/** Creates the cluster directory once (trust authentication, loopback only). */
export async function initCluster(pg: PgInstall, dataDir: string): Promise<Outcome<void>> {
  if (await exists(`${dataDir}/PG_VERSION`)) return { ok: true, value: undefined };
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (IS_ROOT) {
    const chown = await run("chown", ["postgres:postgres", dataDir]);
    if (!chown.ok) return { ok: false, error: `chown postgres ${dataDir}: ${chown.stderr}` };
  }
  const [program, args] = asPostgres(`${pg.bin}/initdb`, [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C",
  ]);
  const init = await run(program, args);
  if (!init.ok) return { ok: false, error: `initdb failed:\n${init.stdout}\n${init.stderr}` };
  return { ok: true, value: undefined };
}

/** Whether the cluster answers on `port`. */
export async function clusterReady(pg: PgInstall, port: number): Promise<boolean> {
  return (await run(`${pg.bin}/pg_isready`, ["-h", "127.0.0.1", "-p", String(port)])).ok;
}

/**
 * Starts the cluster on a loopback port (waits until it accepts connections); `settings` are
 * more `name=value` server settings (e.g. TLS).
 */
export async function startCluster(
  pg: PgInstall,
  dataDir: string,
  port: number,
  logFile: string,
  settings: readonly string[] = [],
): Promise<Outcome<PgCluster>> {
  if (IS_ROOT) await run("chown", ["postgres:postgres", logFile.replace(/\/[^/]*$/, "")]);
  const [program, args] = asPostgres(`${pg.bin}/pg_ctl`, [
    "-D",
    dataDir,
    "-l",
    logFile,
    "-w",
    "-t",
    "60",
    "-o",
    `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off` +
    settings.map((setting) => ` -c ${setting}`).join(""),
    "start",
  ]);
  const started = await run(program, args);
  if (!started.ok) {
    let tail = "";
    try {
      tail = (await Deno.readTextFile(logFile)).split("\n").slice(-15).join("\n");
    } catch {
      // No log yet.
    }
    return { ok: false, error: `pg_ctl start failed:\n${started.stderr}\n${tail}` };
  }
  return { ok: true, value: { dataDir, port } };
}

/** Creates a database unless it exists. */
export async function ensureDatabase(
  pg: PgInstall,
  port: number,
  name: string,
): Promise<Outcome<void>> {
  const psql = (sql: string) =>
    run(`${pg.bin}/psql`, [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-tAc",
      sql,
    ]);
  const found = await psql(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  if (!found.ok) return { ok: false, error: `psql failed: ${found.stderr}` };
  if (found.stdout.trim() === "1") return { ok: true, value: undefined };
  const created = await psql(`CREATE DATABASE ${name}`);
  if (!created.ok) return { ok: false, error: `CREATE DATABASE failed: ${created.stderr}` };
  return { ok: true, value: undefined };
}

/** Stops the cluster (fast shutdown); nothing when it is not running. */
export async function stopCluster(pg: PgInstall, dataDir: string): Promise<void> {
  if (!(await exists(`${dataDir}/postmaster.pid`))) return;
  const [program, args] = asPostgres(`${pg.bin}/pg_ctl`, [
    "-D",
    dataDir,
    "-m",
    "fast",
    "-w",
    "stop",
  ]);
  await run(program, args);
}
