/**
 * postbot's entry point (`deno task start`): parse flags, load and check the configuration,
 * set up logging, start the bot, and run until SIGINT or SIGTERM.
 *
 * `--task-host` (first argument) is not for people: the bot starts itself that way to run one
 * task job in a process of its own (src/tasks/host.ts).
 *
 * Exit status: 0 after a clean shutdown, 1 when the bot could not start (the server, the
 * token, the team, channels.toml's content), 2 when the configuration is invalid or a place it
 * names cannot be used (a read-only directory, a damaged database: see storage/preflight.ts).
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  deniedHost,
  deniedPaths,
  describeProblem,
  envSource,
  formatProblems,
  formatVariables,
  logger,
  setupLogging,
  ungrantedVariables,
} from "@postbot/framework";
import {
  ENV_VARIABLES,
  POSTBOT_DECLARATION,
  type PostbotConfig,
  readPostbotConfig,
} from "./src/postbot/config.ts";
import { APP_NAME } from "./src/postbot/name.ts";
import { startPostbot } from "./src/postbot/app.ts";
import { migrateCommand } from "./src/postbot/migrate_command.ts";
import { postbotPathNeeds } from "./src/postbot/path_needs.ts";
import { hostMain } from "./src/tasks/host.ts";
import { fsProblem } from "./src/postbot/storage/fs_problem.ts";
import { checkStorage } from "./src/postbot/storage/preflight.ts";
import { asConfigProblem, isSettingProblem } from "./src/postbot/storage/setting_problem.ts";
import { TASK_HOST_FLAG } from "./src/tasks/host_protocol.ts";

const USAGE = `Usage: deno task start [--env-file PATH] [--healthcheck | --migrate]

Relays one direct message (with its files) to many Mattermost channels, and runs scheduled
task plugins. Configuration comes from the environment and from .env in the working
directory (or the file given with --env-file); see README.md.

  --env-file PATH  read this file instead of .env
  --healthcheck    ask the running bot's health endpoint (HEALTH_PORT) and exit 0 when it
                   is healthy, 1 when not: the container HEALTHCHECK
  --migrate        copy the SQLite log (DB_PATH) into the PostgreSQL database at
                   DATABASE_URL (new and empty; stop the bot first), then exit

Variables (real environment variables win over .env; each must be granted with --allow-env,
which deno task start and the compiled binary do):
${formatVariables(POSTBOT_DECLARATION)}`;

function fail(message: string, status: number): never {
  console.error(message);
  Deno.exit(status);
}

async function main(): Promise<void> {
  const flags = parseFlags();
  if (flags.help) {
    console.log(USAGE);
    return;
  }
  const { config, secrets } = readConfig(flags["env-file"]);
  if (flags.healthcheck) Deno.exit(await healthcheck(config.healthPort));
  if (flags.migrate) Deno.exit(await migrateCommand(config));
  const denied = [
    ...await deniedPaths(postbotPathNeeds(config)),
    ...await deniedHost(config.serverUrl),
  ];
  if (denied.length > 0) fail(formatProblems(denied, { app: APP_NAME, secrets }), 2);
  // Only once every path is granted: the checks touch them.
  const storage = await checkStorage(config);
  if (storage.problems.length > 0) {
    fail(formatProblems(storage.problems, { app: APP_NAME, secrets, fix: PLACES_FIX }), 2);
  }
  Deno.exit(await run(config, storage.warnings, secrets));
}

/** Why the bot stopped when not for a signal: it lost the lease to another instance. */
const LEASE_LOST = "lease lost";

/** The exit status then (EX_TEMPFAIL: start again, as a standby). */
const LEASE_LOST_STATUS = 75;

/** The last line under problems with the places settings name. */
const PLACES_FIX = "Fix the places named above, or point the settings elsewhere (in .env or " +
  "the environment), then start the bot again.";

/** The command-line flags; a wrong one ends the process with the usage (status 2). */
function parseFlags(): {
  "env-file"?: string;
  help?: boolean;
  healthcheck?: boolean;
  migrate?: boolean;
} {
  try {
    return parseArgs({
      args: Deno.args,
      options: {
        "env-file": { type: "string" },
        help: { type: "boolean", short: "h" },
        healthcheck: { type: "boolean" },
        migrate: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail(`${(e as Error).message}\n\n${USAGE}`, 2);
  }
}

/**
 * The configuration from the environment and the .env file, and the secrets no message may
 * echo; anything wrong ends the process with every problem listed (status 2).
 */
function readConfig(envFile: string | undefined): { config: PostbotConfig; secrets: string[] } {
  // A variable the process may not read would silently be its default: refuse instead.
  const ungranted = ungrantedVariables(ENV_VARIABLES);
  if (ungranted.length > 0) {
    fail(
      formatProblems(ungranted, {
        app: APP_NAME,
        fix: "Grant them in the command line that starts the bot.",
      }),
      2,
    );
  }
  const source = envSource({
    envFile,
    explicit: envFile !== undefined,
    getEnv: (name) => Deno.env.get(name),
  });
  if (!source.ok) fail(formatProblems([source.error], { app: APP_NAME }), 2);
  // The token must not be echoed, even from a variable it was pasted into by mistake.
  const token = source.value("TOKEN")?.trim();
  // Nor the database's password (DATABASE_URL), whatever a problem message quotes.
  const password = databasePassword(source.value("DATABASE_URL"));
  const secrets = [token, password].filter((v): v is string => v !== undefined && v !== "");
  const config = readPostbotConfig(source.value);
  if (!config.ok) fail(formatProblems(config.error, { app: APP_NAME, secrets }), 2);
  return { config: config.value, secrets };
}

/** The password in a `postgres://user:password@...` URL, as written (undefined: none). */
function databasePassword(url: string | undefined): string | undefined {
  const match = /^[a-z][a-z0-9+.-]*:\/\/[^:/@?#]*:([^@/?#]*)@/i.exec(url?.trim() ?? "");
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** Runs the bot until SIGINT or SIGTERM; the exit status. */
async function run(
  config: PostbotConfig,
  warnings: readonly string[],
  secrets: string[],
): Promise<number> {
  const report = { app: APP_NAME, secrets, fix: PLACES_FIX };
  let closeLogs: () => Promise<void>;
  try {
    closeLogs = await setupLogging({
      logLevel: config.logLevel,
      consoleLogLevel: config.consoleLogLevel,
      logFile: config.logFile,
      secrets: config.database === undefined
        ? [config.token]
        : [config.token, config.database.password],
      app: APP_NAME,
    });
  } catch (e) {
    // Checked before, but the place can change in between.
    fail(formatProblems([fsProblem("LOG_FILE", config.logFile, "file", e)], report), 2);
  }
  const log = logger("main");
  const signals = listenForSignals((signal) => {
    log.info("Received {signal} while starting; exiting", { signal });
    void closeLogs().finally(() => Deno.exit(0));
  });
  log.info("postbot starting (Deno {deno}, pid {pid})", {
    deno: Deno.version.deno,
    pid: Deno.pid,
  });
  for (const warning of warnings) log.warn("{warning}", { warning });
  const started = await startPostbot(config);
  signals.started();
  if (!started.ok && isSettingProblem(started.error)) {
    await closeLogs();
    console.error(formatProblems([asConfigProblem(started.error)], report));
    return 2;
  }
  if (!started.ok) {
    // Logged once: the console sink prints fatal lines at every CONSOLE_LOG_LEVEL.
    log.fatal("{reason}", { reason: describeProblem(started.error) });
    await closeLogs();
    return 1;
  }
  const ended = await Promise.race([
    signals.stopped,
    started.value.lost.then(() => LEASE_LOST),
  ]);
  if (ended === LEASE_LOST) {
    log.error(
      "Another instance took over the shared database; stopping (status {status}) so the " +
        "supervisor starts this one again as a standby",
      { status: LEASE_LOST_STATUS },
    );
  } else log.info("Received {signal}; shutting down", { signal: ended });
  await started.value.stop();
  await closeLogs();
  return ended === LEASE_LOST ? LEASE_LOST_STATUS : 0;
}

/**
 * Listens for SIGINT and SIGTERM before anything starts: a signal between "ready" and a later
 * listener would kill the process without a clean shutdown. A signal while starting calls
 * `whileStarting` (which ends the process); after `started()`, it resolves `stopped`.
 */
function listenForSignals(
  whileStarting: (signal: Deno.Signal) => void,
): { stopped: Promise<string>; started(): void } {
  const stopped = Promise.withResolvers<string>();
  let starting = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      stopped.resolve(signal);
      if (starting) whileStarting(signal);
    });
  }
  return { stopped: stopped.promise, started: () => starting = false };
}

/** Exit status for a container HEALTHCHECK: 0 when /healthz answers 200. */
async function healthcheck(port: number | undefined): Promise<number> {
  if (port === undefined) {
    console.error("HEALTH_PORT is not set, so there is no health endpoint to ask.");
    return 1;
  }
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      signal: AbortSignal.timeout(5_000),
    });
    console.log(await response.text());
    return response.status === 200 ? 0 : 1;
  } catch (e) {
    console.error(`The health endpoint on port ${port} did not answer: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) {
  // The bot re-runs its own executable in this mode for every task inspection and run
  // (src/tasks/host.ts); in a compiled binary there is no other way to start a task process.
  if (Deno.args[0] === TASK_HOST_FLAG) Deno.exit(await hostMain());
  await main();
}
