import assert from "node:assert/strict";
import {
  describeVariables,
  EnvReader,
  FIXED_PATHS,
  isTimeZone,
  pathNeeds,
  readDeclared,
} from "@postbot/framework";
import {
  ENV_VARIABLES,
  POSTBOT_DECLARATION,
  type PostbotConfig,
  readPostbotConfig,
} from "./config.ts";

const REQUIRED = {
  URL: "chat.example.com",
  TOKEN: "abcdefghijklmnopqrstuvwxyz",
  TEAM_NAME: "staff",
};

function read(values: Record<string, string>) {
  return readPostbotConfig((name) => values[name]);
}

/** Every variable set, for "every variable is read". */
const EVERY_VARIABLE = {
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
  ACTIONS_URL: "http://postbot.internal:8080/",
  TASK_TIMEOUT_SECONDS: "60",
  BROADCAST_CONCURRENCY: "4",
  UNDO_WINDOW_SECONDS: "0",
  SHUTDOWN_GRACE_SECONDS: "5",
};

const alice = { kind: "username", username: "alice" };
const bob = { kind: "username", username: "bob" };

/** Each field: its value from {@link REQUIRED} alone (defaults), and from {@link EVERY_VARIABLE}. */
const FIELDS: ReadonlyArray<
  readonly [field: keyof PostbotConfig, byDefault: unknown, set: unknown]
> = [
  ["serverUrl", "https://chat.example.com", "http://localhost:8065"],
  ["teamName", "staff", "staff"],
  ["sessionTtlSeconds", 300, 120],
  ["sessionCleanupIntervalSeconds", 60, 10],
  ["channelCacheTtlSeconds", 3600, 600],
  ["logLevel", "info", "debug"],
  ["consoleLogLevel", "warning", "error"],
  ["logFile", "logs/bot.log", "var/postbot.log"],
  ["botLogChannelId", "", "0123456789abcdefghijklmnop"],
  ["channelsTomlPath", "channels.toml", "conf/channels.toml"],
  ["dbPath", "broadcast_log.db", "data/log.db"],
  ["tasksDir", "tasks", "plugins"],
  ["schedulerTomlPath", "scheduler.toml", "conf/scheduler.toml"],
  ["schedulerTimezone", undefined, "Europe/Berlin"],
  ["allowedUsers", [], [alice, bob]],
  ["adminUsers", [], [alice]],
  ["broadcastAttribution", "none", "footer"],
  ["healthPort", undefined, 8080],
  ["actionsUrl", undefined, "http://postbot.internal:8080"],
  ["taskTimeoutSeconds", 300, 60],
  ["broadcastConcurrency", 8, 4],
  ["undoWindowSeconds", 3600, 0],
  ["shutdownGraceSeconds", 30, 5],
  ["broadcastConfirmThreshold", 25, 25],
  // The edit window follows the undo window unless set.
  ["editWindowSeconds", 3600, 0],
  ["scheduledFilesDir", "scheduled_files", "scheduled_files"],
];

Deno.test("readPostbotConfig: defaults for every optional variable", () => {
  const result = read(REQUIRED);
  assert.ok(result.ok);
  for (const [field, byDefault] of FIELDS) assert.deepEqual(result.value[field], byDefault, field);
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

Deno.test("readPostbotConfig: ACTIONS_URL is an http(s) address and needs HEALTH_PORT", () => {
  const alone = read({ ...REQUIRED, ACTIONS_URL: "http://10.0.0.5:8080" });
  assert.ok(!alone.ok);
  assert.deepEqual(alone.error.map((p) => p.variable), ["ACTIONS_URL"]);
  assert.match(alone.error[0].message, /needs HEALTH_PORT/);
  for (
    const bad of [
      "postbot:8080",
      "ftp://postbot",
      "http://postbot:8080/?secret=1",
      "http://user:pw@postbot",
      "http://postbot#x",
      "http://",
    ]
  ) {
    const r = read({ ...REQUIRED, HEALTH_PORT: "8080", ACTIONS_URL: bad });
    assert.ok(!r.ok, bad);
    assert.match(r.error[0].message, /the bot's own address/, bad);
  }
  const ok = read({ ...REQUIRED, HEALTH_PORT: "8080", ACTIONS_URL: "https://bot.example/mm//" });
  assert.ok(ok.ok);
  assert.equal(ok.value.actionsUrl, "https://bot.example/mm");
});

Deno.test("readPostbotConfig: every variable is read", () => {
  const result = read(EVERY_VARIABLE);
  assert.ok(result.ok);
  for (const [field, , set] of FIELDS) assert.deepEqual(result.value[field], set, field);
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

Deno.test("deno.json: start grants exactly what the declaration needs", () => {
  const tasks = JSON.parse(Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  // The defaults' paths are what the tasks must grant (other paths are checked at startup).
  const defaults = readDeclared(new EnvReader(() => undefined), POSTBOT_DECLARATION);
  const needs = [...FIXED_PATHS, ...pathNeeds(POSTBOT_DECLARATION, defaults)];
  // The compile task takes its flags from start (scripts/build/compile.ts): one list to check.
  for (const task of ["start"]) {
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
