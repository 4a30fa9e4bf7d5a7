/**
 * `@postbot/harness/postgres`: a throwaway PostgreSQL cluster for tests of postbot's PostgreSQL
 * store -- initialised in a temporary directory, started on a free loopback port (trust
 * authentication, no fsync), a fresh database per test on demand, restartable (a database
 * restart is one of the faults the store must survive), and removed when disposed. It reuses
 * the real server's cluster code (`postgres.ts`): as root, initdb and pg_ctl run as the
 * `postgres` user. It never installs anything: CI installs PostgreSQL before the tests
 * (`.ci/run`), and a machine without it gets an error saying so.
 *
 * @example
 * ```ts ignore
 * import { startPostgres } from "@postbot/harness/postgres";
 *
 * await using pg = await startPostgres();
 * const url = await pg.createDatabase();
 * console.log(url); // postgres://postgres@127.0.0.1:<port>/test_1
 * ```
 *
 * @module
 */

import {
  clusterReady,
  ensureDatabase,
  initCluster,
  locatePostgres,
  type PgInstall,
  startCluster,
  stopCluster,
} from "./postgres.ts";
import { freePort, pollUntilTrue, run } from "./programs.ts";

/** A running throwaway cluster; `await using` stops it and removes its files. */
export interface ThrowawayPostgres extends AsyncDisposable {
  /** The loopback port it listens on. */
  readonly port: number;
  /** The CA that signed the server's certificate, when started with `tls`. */
  readonly caFile?: string;
  /** The connection URL of database `name` (user `postgres`, no password). */
  url(name?: string): string;
  /** Creates a database of its own for one test (a new name each call); its URL. */
  createDatabase(): Promise<string>;
  /** Runs SQL as the superuser through psql (for a test's setup or inspection); stdout. */
  psql(sql: string, database?: string): Promise<string>;
  /** Stops the server (fast shutdown: connections are dropped) and starts it again. */
  restart(): Promise<void>;
  /** Stops the server; the cluster stays until disposed (see {@link ThrowawayPostgres.start}). */
  stop(): Promise<void>;
  /** Starts a stopped server again on the same port. */
  start(): Promise<void>;
  /**
   * Stops the server and removes its files synchronously: for an `unload` listener, when a
   * test file shares one cluster among its tests and cannot await at the end.
   */
  stopNow(): void;
}

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /**
   * Serve TLS too: a CA and a server certificate for `localhost` and 127.0.0.1 are made with
   * openssl; the CA's file is {@link ThrowawayPostgres.caFile}.
   */
  readonly tls?: boolean;
  /**
   * More server settings (`name=value`, no spaces), after the defaults: `fsync=on` undoes the
   * tests' `fsync=off`, for a benchmark that compares durability settings.
   */
  readonly settings?: readonly string[];
}

let databases = 0;

/**
 * Starts a throwaway cluster. Throws when PostgreSQL's programs are missing (the tests that
 * need it must not pass by skipping) or the cluster does not start, with the reason.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = await locatePostgres();
  if (bin === undefined) {
    throw new Error(
      "PostgreSQL is not installed (no initdb found): the PostgreSQL store's tests need it. " +
        "Install it (Debian: `apt-get install postgresql`; .ci/run does this).",
    );
  }
  const pg: PgInstall = { bin };
  const root = await Deno.makeTempDir({ prefix: "postbot-pg-" });
  // initdb runs as the postgres user when we are root: it must reach into the directory.
  await Deno.chmod(root, 0o755);
  const dataDir = `${root}/data`;
  const logFile = `${root}/log/postgres.log`;
  await Deno.mkdir(`${root}/log`, { mode: 0o777 });
  const init = await initCluster(pg, dataDir);
  if (!init.ok) throw new Error(init.error);
  const port = freePort();
  const settings: string[] = [...options.settings ?? []];
  if (options.tls) {
    try {
      settings.push(...await makeCertificates(root));
    } catch (e) {
      await Deno.remove(root, { recursive: true }).catch(() => {});
      throw e;
    }
  }
  const begin = async () => {
    const started = await startCluster(pg, dataDir, port, logFile, settings);
    if (!started.ok) throw new Error(started.error);
    if (!(await pollUntilTrue(() => clusterReady(pg, port), 30_000))) {
      throw new Error(`PostgreSQL on port ${port} did not become ready (log: ${logFile})`);
    }
  };
  try {
    await begin();
  } catch (e) {
    await Deno.remove(root, { recursive: true }).catch(() => {});
    throw e;
  }
  const url = (name = "postgres") => `postgres://postgres@127.0.0.1:${port}/${name}`;
  const stop = () => stopCluster(pg, dataDir);
  return {
    port,
    ...(options.tls ? { caFile: `${root}/tls/ca.pem` } : {}),
    url,
    async createDatabase() {
      const name = `test_${Deno.pid}_${++databases}`;
      const made = await ensureDatabase(pg, port, name);
      if (!made.ok) throw new Error(made.error);
      return url(name);
    },
    async psql(sql: string, database = "postgres") {
      const out = await run(`${bin}/psql`, [
        ...["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", database],
        ...["-v", "ON_ERROR_STOP=1", "-tAc", sql],
      ]);
      if (!out.ok) throw new Error(`psql: ${out.stderr}`);
      return out.stdout;
    },
    async restart() {
      await stop();
      await begin();
    },
    stop,
    start: begin,
    stopNow() {
      const ctl = [`${bin}/pg_ctl`, "-D", dataDir, "-m", "immediate", "-w", "stop"];
      const [program, ...args] = Deno.uid() === 0
        ? ["runuser", "-u", "postgres", "--", ...ctl]
        : ctl;
      new Deno.Command(program, { args, stdout: "null", stderr: "null" }).outputSync();
      Deno.removeSync(root, { recursive: true });
    },
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** Runs openssl; throws with its output when it fails. */
async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await run("openssl", args, { cwd });
  if (!out.ok) throw new Error(`openssl ${args[0]} failed: ${out.stderr}`);
}

/**
 * A CA and a server certificate signed by it for `localhost` and 127.0.0.1, in `root/tls`;
 * the server settings that use them. The key is the postgres user's alone, as PostgreSQL
 * demands.
 */
async function makeCertificates(root: string): Promise<string[]> {
  const dir = `${root}/tls`;
  await Deno.mkdir(dir, { mode: 0o755 });
  const days = ["-days", "2"];
  await openssl([
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"],
    ...[...days, "-subj", "/CN=postbot test CA"],
  ], dir);
  await openssl([
    ...["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr"],
    ...["-subj", "/CN=localhost"],
  ], dir);
  await Deno.writeTextFile(`${dir}/san.ext`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await openssl([
    ...["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key"],
    ...["-CAcreateserial", "-out", "server.pem", ...days, "-extfile", "san.ext"],
  ], dir);
  await Deno.chmod(`${dir}/server.key`, 0o600);
  if (Deno.uid() === 0) {
    const chown = await run("chown", ["postgres:postgres", `${dir}/server.key`]);
    if (!chown.ok) throw new Error(`chown postgres ${dir}/server.key: ${chown.stderr}`);
  }
  return ["ssl=on", `ssl_cert_file=${dir}/server.pem`, `ssl_key_file=${dir}/server.key`];
}
