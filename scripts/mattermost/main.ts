/**
 * `deno task mattermost [start|provision|where|restart|stop|reset]`: a real Mattermost server
 * (built from source, cached) on loopback for postbot's end-to-end tests and benchmarks.
 *
 * - `start` (default): build when needed, start PostgreSQL and Mattermost, provision the test
 *   world, print where it is. Idempotent: a running server is reused.
 * - `provision`: (re)provision the test world on the running server.
 * - `where`: print server.json and world.json paths and the URL (exit 1 when not running).
 * - `restart [--rate-limit]`: restart Mattermost (optionally with its limiter at 10/s burst 100).
 * - `stop`: stop Mattermost and PostgreSQL (data kept). `reset`: stop and delete all data.
 *
 * Exit codes: 0 ok, 1 failure, 2 usage, 10 Go missing, 11 module proxy, 12 build failed,
 * 13 PostgreSQL missing.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RealBackend, seedScenarioWorld } from "@postbot/harness";
import {
  log,
  pingOk,
  readServerInfo,
  reset,
  restart,
  runDir,
  serverFile,
  start,
  stop,
  worldFile,
} from "@postbot/harness/mattermost";

const USAGE =
  "usage: deno task mattermost [start|provision|where|restart [--rate-limit]|stop|reset]";

/** The server's rate limiter as the issue measured it: 10 requests/s, burst 100. */
export const SERVER_RATE_LIMIT = { perSec: 10, maxBurst: 100 } as const;

function exitCodeFor(error: string): number {
  if (error.startsWith("Go is missing")) return 10;
  if (error.includes("module proxy")) return 11;
  if (error.startsWith("building")) return 12;
  if (error.startsWith("PostgreSQL is missing")) return 13;
  return 1;
}

function fail(error: string): never {
  console.error(`mattermost: ${error}`);
  Deno.exit(exitCodeFor(error));
}

async function provision(): Promise<void> {
  const world = await seedScenarioWorld(await RealBackend.open());
  log(
    `provisioned team ${world.team.name}, bot @${world.bot.user.username}, ` +
      `users ${
        [world.alice, world.bob, world.carol, world.outsider].map((x) => `@${x.user.username}`)
          .join(" ")
      }, ${Object.keys(world.channels).length} channels`,
  );
}

function where(): void {
  const info = readServerInfo();
  if (info === undefined) {
    fail(`no server is running (no ${serverFile()}); run: deno task mattermost`);
  }
  console.log(JSON.stringify(
    {
      url: info.url,
      version: info.version,
      pid: info.pid,
      postgresPort: info.pgPort,
      rateLimit: info.rateLimit,
      runDir: runDir(),
      server: serverFile(),
      world: worldFile(),
      log: `${runDir()}/mm/logs/mattermost.log`,
    },
    null,
    2,
  ));
}

if (import.meta.main) {
  const { positionals, values } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { "rate-limit": { type: "boolean", default: false }, help: { type: "boolean" } },
  });
  const command = positionals[0] ?? "start";
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  switch (command) {
    case "start": {
      const started = await start({ rateLimit: values["rate-limit"] ? SERVER_RATE_LIMIT : null });
      if (!started.ok) fail(started.error);
      await provision().catch((e) => fail(`provisioning failed: ${e.message}`));
      where();
      break;
    }
    case "provision": {
      const info = readServerInfo();
      if (info === undefined || !(await pingOk(info.url))) {
        fail("no server is running; run: deno task mattermost start");
      }
      await provision().catch((e) => fail(`provisioning failed: ${e.message}`));
      break;
    }
    case "where":
      where();
      break;
    case "restart": {
      const restarted = await restart({
        rateLimit: values["rate-limit"] ? SERVER_RATE_LIMIT : null,
      });
      if (!restarted.ok) fail(restarted.error);
      where();
      break;
    }
    case "stop": {
      const stopped = await stop();
      if (!stopped.ok) fail(stopped.error);
      break;
    }
    case "reset": {
      const done = await reset();
      if (!done.ok) fail(done.error);
      break;
    }
    default:
      console.error(USAGE);
      Deno.exit(2);
  }
}
