import assert from "node:assert/strict";
import {
  describeVariables,
  EnvReader,
  FIXED_PATHS,
  isTimeZone,
  pathNeeds,
  readDeclared,
} from "@postbot/framework";
import { ENV_VARIABLES, POSTBOT_DECLARATION, readPostbotConfig } from "./config.ts";

const REQUIRED = {
  URL: "chat.example.com",
  TOKEN: "abcdefghijklmnopqrstuvwxyz",
  TEAM_NAME: "staff",
};

function read(values: Record<string, string>) {
  return readPostbotConfig((name) => values[name]);
}

Deno.test("readPostbotConfig: defaults for every optional variable", () => {
  const result = read(REQUIRED);
  assert.equal(result.ok, true);
  if (!result.ok) return;
  const c = result.value;
  assert.equal(c.serverUrl, "https://chat.example.com");
  assert.equal(c.teamName, "staff");
  assert.equal(c.sessionTtlSeconds, 300);
  assert.equal(c.sessionCleanupIntervalSeconds, 60);
  assert.equal(c.channelCacheTtlSeconds, 3600);
  assert.equal(c.logLevel, "info");
  assert.equal(c.consoleLogLevel, "warning");
  assert.equal(c.logFile, "logs/bot.log");
  assert.equal(c.botLogChannelId, "");
  assert.equal(c.channelsTomlPath, "channels.toml");
  assert.equal(c.dbPath, "broadcast_log.db");
  assert.equal(c.tasksDir, "tasks");
  assert.equal(c.schedulerTomlPath, "scheduler.toml");
  assert.equal(c.schedulerTimezone, undefined);
  assert.deepEqual(c.allowedUsers, []);
  assert.deepEqual(c.adminUsers, []);
  assert.equal(c.broadcastAttribution, "none");
  assert.equal(c.healthPort, undefined);
  assert.equal(c.taskTimeoutSeconds, 300);
  assert.equal(c.broadcastConcurrency, 8);
  assert.equal(c.undoWindowSeconds, 3600);
  assert.equal(c.shutdownGraceSeconds, 30);
  assert.equal(c.broadcastConfirmThreshold, 25);
  assert.equal(c.editWindowSeconds, 3600, "the edit window defaults to the undo window");
  assert.equal(c.scheduledFilesDir, "scheduled_files");
});

Deno.test("readPostbotConfig: EDIT_WINDOW_SECONDS follows UNDO_WINDOW_SECONDS unless set", () => {
  const follows = read({ ...REQUIRED, UNDO_WINDOW_SECONDS: "600" });
  assert.ok(follows.ok);
  assert.equal(follows.value.editWindowSeconds, 600);
  const own = read({ ...REQUIRED, UNDO_WINDOW_SECONDS: "600", EDIT_WINDOW_SECONDS: "60" });
  assert.ok(own.ok);
  assert.equal(own.value.editWindowSeconds, 60);
  const bad = read({ ...REQUIRED, BROADCAST_CONFIRM_THRESHOLD: "-1", EDIT_WINDOW_SECONDS: "x" });
  assert.ok(!bad.ok);
  assert.deepEqual(bad.error.map((p) => p.variable).sort(), [
    "BROADCAST_CONFIRM_THRESHOLD",
    "EDIT_WINDOW_SECONDS",
  ]);
});

Deno.test("readPostbotConfig: every variable is read", () => {
  const result = read({
    ...REQUIRED,
    URL: "http://localhost:8065",
    SESSION_TTL_SECONDS: "120",
    SESSION_CLEANUP_INTERVAL_SECONDS: "10",
    CHANNEL_CACHE_TTL_SECONDS: "600",
    LOG_LEVEL: "DEBUG",
    CONSOLE_LOGGING_LEVEL: "ERROR",
    LOG_FILE: "var/postbot.log",
    BOT_LOG_CHANNEL_ID: "0123456789abcdefghijklmnop",
    CHANNELS_TOML_PATH: "conf/channels.toml",
    DB_PATH: "data/log.db",
    TASKS_DIR: "plugins",
    SCHEDULER_TOML_PATH: "conf/scheduler.toml",
    SCHEDULER_TIMEZONE: "Europe/Berlin",
    ALLOWED_USERS: "alice,bob",
    ADMIN_USERS: "alice",
    BROADCAST_ATTRIBUTION: "Footer",
    HEALTH_PORT: "8080",
    TASK_TIMEOUT_SECONDS: "60",
    BROADCAST_CONCURRENCY: "4",
    UNDO_WINDOW_SECONDS: "0",
    SHUTDOWN_GRACE_SECONDS: "5",
  });
  assert.equal(result.ok, true);
  if (!result.ok) return;
  const c = result.value;
  assert.equal(c.serverUrl, "http://localhost:8065");
  assert.equal(c.sessionTtlSeconds, 120);
  assert.equal(c.sessionCleanupIntervalSeconds, 10);
  assert.equal(c.channelCacheTtlSeconds, 600);
  assert.equal(c.logLevel, "debug");
  assert.equal(c.consoleLogLevel, "error");
  assert.equal(c.logFile, "var/postbot.log");
  assert.equal(c.botLogChannelId, "0123456789abcdefghijklmnop");
  assert.equal(c.channelsTomlPath, "conf/channels.toml");
  assert.equal(c.dbPath, "data/log.db");
  assert.equal(c.tasksDir, "plugins");
  assert.equal(c.schedulerTomlPath, "conf/scheduler.toml");
  assert.equal(c.schedulerTimezone, "Europe/Berlin");
  assert.deepEqual(c.allowedUsers.map((u) => u.kind === "username" && u.username), [
    "alice",
    "bob",
  ]);
  assert.deepEqual(c.adminUsers, [{ kind: "username", username: "alice" }]);
  assert.equal(c.broadcastAttribution, "footer");
  assert.equal(c.healthPort, 8080);
  assert.equal(c.taskTimeoutSeconds, 60);
  assert.equal(c.broadcastConcurrency, 4);
  assert.equal(c.undoWindowSeconds, 0);
  assert.equal(c.shutdownGraceSeconds, 5);
});

Deno.test("readPostbotConfig: bad values are all reported together, by name", () => {
  const result = read({
    URL: "gopher://x",
    CHANNEL_CACHE_TTL_SECONDS: "-5",
    BOT_LOG_CHANNEL_ID: "town-square",
    SCHEDULER_TIMEZONE: "Mars/Olympus",
    LOG_LEVEL: "verbose",
    HEALTH_PORT: "70000",
    BROADCAST_ATTRIBUTION: "header",
    TASK_TIMEOUT_SECONDS: "0",
    BROADCAST_CONCURRENCY: "100",
    UNDO_WINDOW_SECONDS: "1h",
    SHUTDOWN_GRACE_SECONDS: "-1",
  });
  assert.equal(result.ok, false);
  if (result.ok) return;
  const byVariable = new Map(result.error.map((p) => [p.variable, p.message]));
  assert.deepEqual([...byVariable.keys()].sort(), [
    "BOT_LOG_CHANNEL_ID",
    "BROADCAST_ATTRIBUTION",
    "BROADCAST_CONCURRENCY",
    "CHANNEL_CACHE_TTL_SECONDS",
    "HEALTH_PORT",
    "LOG_LEVEL",
    "SCHEDULER_TIMEZONE",
    "SHUTDOWN_GRACE_SECONDS",
    "TASK_TIMEOUT_SECONDS",
    "TEAM_NAME",
    "TOKEN",
    "UNDO_WINDOW_SECONDS",
    "URL",
  ]);
  assert.match(byVariable.get("BOT_LOG_CHANNEL_ID")!, /channel id.*!id.*"town-square"/);
  assert.match(byVariable.get("SCHEDULER_TIMEZONE")!, /IANA time zone.*"Mars\/Olympus"/);
  assert.match(byVariable.get("CHANNEL_CACHE_TTL_SECONDS")!, /whole number from 10 to 604800/);
  assert.match(byVariable.get("HEALTH_PORT")!, /from 1 to 65535/);
  assert.match(byVariable.get("BROADCAST_ATTRIBUTION")!, /one of none, footer/);
});

Deno.test("readPostbotConfig: no problem message repeats the token", () => {
  const token = "secret value with spaces";
  const result = read({ ...REQUIRED, TOKEN: token, LOG_LEVEL: "x" });
  assert.equal(result.ok, false);
  if (result.ok) return;
  for (const p of result.error) assert.equal(p.message.includes(token), false);
});

/** The `--allow-env`, `--allow-read` and `--allow-write` lists of a deno.json task. */
function grantsOf(command: string): Record<"env" | "read" | "write", string[]> {
  const list = (flag: string) => new RegExp(`--allow-${flag}=(\\S+)`).exec(command)?.[1].split(",");
  return { env: list("env") ?? [], read: list("read") ?? [], write: list("write") ?? [] };
}

/** Whether a grant of `granted` covers `path` (the path itself or anything under it). */
function covers(granted: string, path: string): boolean {
  const clean = (p: string) => p.replace(/^\.\//, "").replace(/\/+$/, "");
  return clean(path) === clean(granted) || clean(path).startsWith(`${clean(granted)}/`);
}

Deno.test("deno.json: start and compile grant exactly what the declaration needs", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  // The defaults' paths are what the tasks must grant (other paths are checked at startup).
  const defaults = readDeclared(new EnvReader(() => undefined), POSTBOT_DECLARATION);
  const needs = [...FIXED_PATHS, ...pathNeeds(POSTBOT_DECLARATION, defaults)];
  for (const task of ["start", "compile"]) {
    const grants = grantsOf(tasks[task]);
    assert.deepEqual(
      [...grants.env].sort(),
      [...ENV_VARIABLES].sort(),
      `${task}: --allow-env must list exactly the declared variables`,
    );
    for (const access of ["read", "write"] as const) {
      const wanted = needs.filter((n) => n.access === access);
      const missing = wanted.filter((n) => !grants[access].some((g) => covers(g, n.path)));
      assert.deepEqual(missing, [], `${task}: --allow-${access} lacks what the declaration needs`);
      const extra = grants[access].filter((g) => !wanted.some((n) => covers(g, n.path)));
      assert.deepEqual(extra, [], `${task}: --allow-${access} grants what nothing declares`);
    }
  }
});

Deno.test("README: the configuration table is the declaration's", () => {
  const readme = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Commands"));
  const rows = section.split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [variable, shownDefault, doc] = line.slice(1, -1).split(" | ").map((c) => c.trim());
      return { variable, shownDefault, doc };
    });
  assert.deepEqual(rows, describeVariables(POSTBOT_DECLARATION));
});

Deno.test(".env.example: every declared variable, each value its default", () => {
  const example = Deno.readTextFileSync(new URL("../../.env.example", import.meta.url));
  const assignments = [...example.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => ({
    name: m[1],
    value: m[2].trim(),
  }));
  const declared = Object.values(POSTBOT_DECLARATION);
  assert.deepEqual(
    assignments.map((a) => a.name).sort(),
    declared.map((v) => v.name).sort(),
    ".env.example lists exactly the declared variables (aliases left out)",
  );
  for (const { name, value } of assignments) {
    const variable = declared.find((v) => v.name === name)!;
    // The required ones carry an example; an empty value means "the default".
    if (value === "" || variable.shownDefault === "— (required)") continue;
    assert.equal(value, variable.shownDefault, `${name} in .env.example is not its default`);
  }
});

Deno.test("isTimeZone knows IANA zones", () => {
  assert.equal(isTimeZone("Europe/Berlin"), true);
  assert.equal(isTimeZone("UTC"), true);
  assert.equal(isTimeZone("Europe/Atlantis"), false);
  assert.equal(isTimeZone(""), false);
});
