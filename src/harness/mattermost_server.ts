/**
 * The local Mattermost test server's lifecycle: build (cached), a private PostgreSQL cluster,
 * the server process on a free loopback port configured through MM_* variables, restart (with
 * or without the server's own rate limiter), and a clean stop. server.json in the run
 * directory says where everything is, so every command is idempotent.
 *
 * @module
 */

import { BUILD_SCRIPT, MM_VERSION, runDir, serverFile } from "./mattermost_paths.ts";
import {
  clusterReady,
  ensureDatabase,
  findPostgres,
  initCluster,
  locatePostgres,
  type PgInstall,
  startCluster,
  stopCluster,
} from "./postgres.ts";
import { freePort, type Outcome, pollUntilTrue, processAlive, run } from "./programs.ts";

/** The server's own rate limiter (RateLimitSettings), or none. */
export interface RateLimit {
  readonly perSec: number;
  readonly maxBurst: number;
}

/** What server.json records about a running server. */
export interface ServerInfo {
  readonly version: string;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly pgPort: number;
  readonly pgBin: string;
  /** The build cache directory (binary, i18n/, templates/, fonts/). */
  readonly home: string;
  readonly rateLimit: RateLimit | null;
  readonly startedAt: string;
}

/** Progress lines go to stderr; stdout is kept for what the caller asked for. */
export function log(line: string): void {
  console.error(`mattermost: ${line}`);
}

/** Reads server.json (undefined when there is none). */
export function readServerInfo(): ServerInfo | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(serverFile())) as ServerInfo;
  } catch {
    return undefined;
  }
}

function writeServerInfo(info: ServerInfo): void {
  Deno.writeTextFileSync(serverFile(), JSON.stringify(info, null, 2));
}

/** Runs the build script; returns the cache directory. Exit codes 10-12 name what failed. */
export async function build(): Promise<Outcome<string>> {
  const child = new Deno.Command("bash", {
    args: [BUILD_SCRIPT],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const out = await child.output();
  const dir = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (out.success && dir !== "") return { ok: true, value: dir };
  const reasons: Record<number, string> = {
    10: "Go is missing",
    11: "the Go module proxy did not serve the pinned Mattermost modules",
    12: "building the Mattermost server failed",
  };
  return { ok: false, error: reasons[out.code] ?? `the build script failed (exit ${out.code})` };
}

/** Whether the server at `url` answers its ping. */
export async function pingOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/api/v4/system/ping`, { signal: AbortSignal.timeout(3_000) });
    await r.body?.cancel();
    return r.ok;
  } catch {
    return false;
  }
}

/** The server's environment: everything on loopback, nothing that calls out of the machine. */
function serverEnv(
  dir: string,
  port: number,
  pgPort: number,
  rateLimit: RateLimit | null,
): Record<string, string> {
  const url = `http://127.0.0.1:${port}`;
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? dir,
    MM_CONFIG: `${dir}/mm/config.json`,
    MM_SQLSETTINGS_DRIVERNAME: "postgres",
    MM_SQLSETTINGS_DATASOURCE:
      `postgres://postgres@127.0.0.1:${pgPort}/mattermost?sslmode=disable&connect_timeout=10`,
    MM_SERVICESETTINGS_LISTENADDRESS: `127.0.0.1:${port}`,
    MM_SERVICESETTINGS_SITEURL: url,
    MM_SERVICESETTINGS_ENABLEBOTACCOUNTCREATION: "true",
    MM_SERVICESETTINGS_ENABLEUSERACCESSTOKENS: "true",
    MM_SERVICESETTINGS_ENABLELOCALMODE: "true",
    MM_SERVICESETTINGS_LOCALMODESOCKETLOCATION: `${dir}/mm/mattermost_local.socket`,
    MM_SERVICESETTINGS_ENABLESECURITYFIXALERT: "false",
    MM_SERVICESETTINGS_ENABLELINKPREVIEWS: "false",
    MM_SERVICESETTINGS_ENABLEPERMALINKPREVIEWS: "false",
    MM_SERVICESETTINGS_ENABLEGIFPICKER: "false",
    MM_SERVICESETTINGS_ENABLEONBOARDINGFLOW: "false",
    // Interactive buttons post to the bot's integration URL; on loopback that is an internal
    // address, which the server refuses unless named here (its default names none).
    MM_SERVICESETTINGS_ALLOWEDUNTRUSTEDINTERNALCONNECTIONS: "127.0.0.1 localhost",
    MM_TEAMSETTINGS_ENABLEOPENSERVER: "true",
    // The default is 50 active users a team; the suite's fixed accounts (the world, 30 wizard
    // users, the tests' own) pass it, as an organisation of any size does: raised as they would.
    MM_TEAMSETTINGS_MAXUSERSPERTEAM: "300",
    MM_PLUGINSETTINGS_ENABLE: "false",
    MM_PLUGINSETTINGS_ENABLEMARKETPLACE: "false",
    MM_PLUGINSETTINGS_ENABLEREMOTEMARKETPLACE: "false",
    MM_PLUGINSETTINGS_AUTOMATICPREPACKAGEDPLUGINS: "false",
    MM_PLUGINSETTINGS_DIRECTORY: `${dir}/mm/plugins`,
    MM_PLUGINSETTINGS_CLIENTDIRECTORY: `${dir}/mm/client/plugins`,
    MM_EMAILSETTINGS_SENDEMAILNOTIFICATIONS: "false",
    MM_EMAILSETTINGS_SENDPUSHNOTIFICATIONS: "false",
    MM_LOGSETTINGS_ENABLEDIAGNOSTICS: "false",
    MM_LOGSETTINGS_ENABLECONSOLE: "false",
    MM_LOGSETTINGS_FILELOCATION: `${dir}/mm/logs`,
    MM_NOTIFICATIONLOGSETTINGS_FILELOCATION: `${dir}/mm/logs`,
    MM_ANNOUNCEMENTSETTINGS_ADMINNOTICESENABLED: "false",
    MM_ANNOUNCEMENTSETTINGS_USERNOTICESENABLED: "false",
    MM_IMAGEPROXYSETTINGS_ENABLE: "false",
    MM_FILESETTINGS_DIRECTORY: `${dir}/mm/data/`,
    MM_RATELIMITSETTINGS_ENABLE: rateLimit === null ? "false" : "true",
    MM_RATELIMITSETTINGS_PERSEC: String(rateLimit?.perSec ?? 10),
    MM_RATELIMITSETTINGS_MAXBURST: String(rateLimit?.maxBurst ?? 100),
    MM_RATELIMITSETTINGS_VARYBYREMOTEADDR: "true",
  };
}

/** The server's working directory: its own data, and links to the cached i18n/templates/fonts. */
async function prepareWorkDir(dir: string, home: string): Promise<void> {
  for (const sub of ["mm", "mm/logs", "mm/data", "mm/plugins", "mm/client/plugins"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
  }
  for (const name of ["i18n", "templates", "fonts"]) {
    const link = `${dir}/mm/${name}`;
    await Deno.remove(link).catch(() => {});
    await Deno.symlink(`${home}/${name}`, link);
  }
}

async function spawnServer(
  dir: string,
  home: string,
  port: number,
  pgPort: number,
  rateLimit: RateLimit | null,
): Promise<Outcome<number>> {
  await prepareWorkDir(dir, home);
  const child = new Deno.Command(`${home}/bin/mattermost`, {
    args: [],
    cwd: `${dir}/mm`,
    env: serverEnv(dir, port, pgPort, rateLimit),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.status.then(() => exited = true);
  const up = await pollUntilTrue(async () => exited || await pingOk(url), 240_000, 250);
  if (!up || exited) {
    let tail = "";
    try {
      tail = (await Deno.readTextFile(`${dir}/mm/logs/mattermost.log`)).split("\n").slice(-10)
        .join("\n");
    } catch {
      // No log.
    }
    if (!exited) {
      try {
        Deno.kill(child.pid, "SIGKILL");
      } catch {
        // Gone.
      }
    }
    return {
      ok: false,
      error: `the Mattermost server did not come up on ${url}${
        exited ? " (it exited)" : " within 240 s"
      }; last log lines:\n${tail}`,
    };
  }
  return { ok: true, value: child.pid };
}

async function postgresFor(): Promise<Outcome<PgInstall>> {
  return await findPostgres(log);
}

/**
 * Starts everything that is not running yet (build, PostgreSQL, Mattermost) and returns where
 * the server is. A running server with another rate-limit setting is restarted with this one.
 */
export async function start(
  options: { rateLimit?: RateLimit | null } = {},
): Promise<Outcome<ServerInfo>> {
  const wantLimit = options.rateLimit ?? null;
  const dir = runDir();
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  await Deno.chmod(dir, 0o755);
  const built = await build();
  if (!built.ok) return built;
  const home = built.value;
  const pg = await postgresFor();
  if (!pg.ok) return pg;

  const previous = readServerInfo();
  let pgPort = previous?.pgPort ?? 0;
  if (pgPort === 0 || !(await clusterReady(pg.value, pgPort))) {
    const init = await initCluster(pg.value, `${dir}/pg`);
    if (!init.ok) return init;
    await stopCluster(pg.value, `${dir}/pg`); // a stale postmaster.pid from a killed run
    pgPort = freePort();
    log(`starting PostgreSQL on 127.0.0.1:${pgPort}`);
    const started = await startCluster(pg.value, `${dir}/pg`, pgPort, `${dir}/pg.log`);
    if (!started.ok) return started;
  }
  const db = await ensureDatabase(pg.value, pgPort, "mattermost");
  if (!db.ok) return db;

  if (previous !== undefined && await processAlive(previous.pid, "mattermost")) {
    const sameLimit = JSON.stringify(previous.rateLimit) === JSON.stringify(wantLimit);
    if (sameLimit && previous.pgPort === pgPort && await pingOk(previous.url)) {
      return { ok: true, value: previous };
    }
    await stopServerProcess(previous.pid);
  }
  const port = freePort();
  log(
    `starting Mattermost ${MM_VERSION} on 127.0.0.1:${port}${
      wantLimit ? ` (rate limit ${wantLimit.perSec}/s burst ${wantLimit.maxBurst})` : ""
    }`,
  );
  const t0 = Date.now();
  const spawned = await spawnServer(dir, home, port, pgPort, wantLimit);
  if (!spawned.ok) return spawned;
  log(`Mattermost is up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const info: ServerInfo = {
    version: MM_VERSION,
    url: `http://127.0.0.1:${port}`,
    port,
    pid: spawned.value,
    pgPort,
    pgBin: pg.value.bin,
    home,
    rateLimit: wantLimit,
    startedAt: new Date().toISOString(),
  };
  writeServerInfo(info);
  return { ok: true, value: info };
}

/** SIGTERM, then SIGKILL after 30 s; resolves when the process is gone. */
async function stopServerProcess(pid: number): Promise<void> {
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const gone = await pollUntilTrue(
    async () => !(await processAlive(pid, "mattermost")),
    30_000,
    100,
  );
  if (!gone) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
    await pollUntilTrue(async () => !(await processAlive(pid, "mattermost")), 10_000, 100);
  }
}

/**
 * Restarts the Mattermost process on the same port (PostgreSQL keeps running): every socket
 * and request is dropped, as in a real server restart. `rateLimit` switches the server's own
 * limiter on (or off with null); by default it keeps the current setting.
 */
export async function restart(
  options: { rateLimit?: RateLimit | null } = {},
): Promise<Outcome<ServerInfo>> {
  const info = readServerInfo();
  if (info === undefined) return { ok: false, error: "no Mattermost server is running here" };
  await stopServerProcess(info.pid);
  const rateLimit = options.rateLimit === undefined ? info.rateLimit : options.rateLimit;
  const spawned = await spawnServer(runDir(), info.home, info.port, info.pgPort, rateLimit);
  if (!spawned.ok) return spawned;
  const next: ServerInfo = {
    ...info,
    pid: spawned.value,
    rateLimit,
    startedAt: new Date().toISOString(),
  };
  writeServerInfo(next);
  return { ok: true, value: next };
}

/** Stops Mattermost and PostgreSQL; the data stays for the next start. */
export async function stop(): Promise<Outcome<void>> {
  const info = readServerInfo();
  if (info !== undefined && await processAlive(info.pid, "mattermost")) {
    log(`stopping Mattermost (pid ${info.pid})`);
    await stopServerProcess(info.pid);
  }
  const bin = info?.pgBin ?? await locatePostgres();
  if (bin !== undefined) {
    log("stopping PostgreSQL");
    await stopCluster({ bin }, `${runDir()}/pg`);
  }
  await Deno.remove(serverFile()).catch(() => {});
  return { ok: true, value: undefined };
}

/** Removes the run directory (database included) after stopping everything. */
export async function reset(): Promise<Outcome<void>> {
  await stop();
  const removed = await run("rm", ["-rf", runDir()]);
  if (!removed.ok) return { ok: false, error: `cannot remove ${runDir()}: ${removed.stderr}` };
  return { ok: true, value: undefined };
}
