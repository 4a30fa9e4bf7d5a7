/**
 * A complete bot built only from `@postbot/framework`: it answers `!hello` in direct messages.
 * The package README shows this file; a test runs it against the Mattermost emulator.
 *
 *   URL=chat.example.com TOKEN=... TEAM_NAME=staff deno run --allow-net \
 *     --allow-read=.env,logs --allow-write=logs --allow-env=URL,TOKEN,TEAM_NAME,ALLOWED_USERS,\
 *   ADMIN_USERS,ALLOWED_BOTS,USER_RATE_LIMIT,USER_RATE_WINDOW_SECONDS,SESSION_TTL_SECONDS,\
 *   SESSION_CLEANUP_INTERVAL_SECONDS,LOG_LEVEL,CONSOLE_LOG_LEVEL,CONSOLE_LOGGING_LEVEL,LOG_FILE \
 *   src/framework/examples/hello_bot.ts
 *
 * @module
 */

import {
  Bot,
  BOT_VARIABLES,
  CommandDispatcher,
  directMessagesOnly,
  EnvReader,
  envSource,
  formatProblems,
  logger,
  readBotConfig,
  setupLogging,
  ungrantedVariables,
  variableNames,
} from "@postbot/framework";

const APP = "hellobot";

// Configuration: URL, TOKEN, TEAM_NAME, ... from the environment or .env, every problem at once.
const ungranted = ungrantedVariables(variableNames(BOT_VARIABLES));
if (ungranted.length > 0) {
  console.error(formatProblems(ungranted, { app: APP, fix: "Grant them with --allow-env." }));
  Deno.exit(2);
}
const source = envSource({ explicit: false, getEnv: (name) => Deno.env.get(name) });
if (!source.ok) {
  console.error(formatProblems([source.error], { app: APP }));
  Deno.exit(2);
}
const reader = new EnvReader(source.value);
const config = readBotConfig(reader);
if (reader.problems.length > 0) {
  const secrets = [source.value("TOKEN") ?? ""];
  console.error(formatProblems(reader.problems, { app: APP, secrets }));
  Deno.exit(2);
}
const closeLogs = await setupLogging({
  app: APP,
  logLevel: config.logLevel,
  consoleLogLevel: config.consoleLogLevel,
  logFile: config.logFile,
  secrets: [config.token],
});

// The bot: sign in, then DMs only, then the commands; anything else gets a hint.
const connected = await Bot.connect(config);
if (!connected.ok) {
  console.error(connected.error.message);
  Deno.exit(1);
}
const commands = new CommandDispatcher().register({
  name: "hello",
  summary: "says hello",
  run: (ctx) => ctx.reply(`Hello, @${ctx.username}!`),
});
const bot = connected.value
  .use(directMessagesOnly())
  .use(commands.middleware((ctx) => ctx.reply("Send `!hello` and I will say hello.")));
const started = await bot.start();
if (!started.ok) {
  console.error(started.error.message);
  Deno.exit(1);
}
logger("main").info("{app} is listening", { app: APP });

// Until SIGINT or SIGTERM: then let the messages being handled finish.
const stopped = Promise.withResolvers<void>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => stopped.resolve());
}
await stopped.promise;
await bot.stop();
await closeLogs();
