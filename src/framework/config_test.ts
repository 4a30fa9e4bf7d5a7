import assert from "node:assert/strict";
import { envSource, normalizeServerUrl, readBotConfig } from "./config.ts";
import { EnvReader } from "./env_reader.ts";

const REQUIRED = {
  URL: "chat.example.com",
  TOKEN: "abcdefghijklmnopqrstuvwxyz",
  TEAM_NAME: "staff",
};

function read(values: Record<string, string>) {
  const reader = new EnvReader((name) => values[name]);
  const config = readBotConfig(reader);
  return { config, problems: reader.problems };
}

Deno.test("normalizeServerUrl: a bare host means https on port 443", () => {
  assert.deepEqual(normalizeServerUrl("chat.example.com"), {
    ok: true,
    value: "https://chat.example.com",
  });
  assert.deepEqual(normalizeServerUrl("chat.example.com:443"), {
    ok: true,
    value: "https://chat.example.com",
  });
  assert.deepEqual(normalizeServerUrl("chat.example.com:8065"), {
    ok: true,
    value: "https://chat.example.com:8065",
  });
});

Deno.test("normalizeServerUrl: full URLs keep scheme, port and subpath, lose trailing slashes", () => {
  const cases: [string, string][] = [
    ["http://localhost:8065", "http://localhost:8065"],
    ["http://localhost:8065/", "http://localhost:8065"],
    ["https://chat.example.com/mm/", "https://chat.example.com/mm"],
    ["https://chat.example.com/team/chat//", "https://chat.example.com/team/chat"],
    ["HTTPS://Chat.Example.COM", "https://chat.example.com"],
    ["http://chat.example.com:80/", "http://chat.example.com"],
    ["chat.example.com/mm", "https://chat.example.com/mm"],
    ["http://127.0.0.1:41234", "http://127.0.0.1:41234"],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(normalizeServerUrl(input), { ok: true, value: expected }, input);
  }
});

Deno.test("normalizeServerUrl: refuses other schemes, credentials, queries and junk", () => {
  const cases: [string, RegExp][] = [
    ["ftp://chat.example.com", /http:\/\/ or https:\/\//],
    ["ws://chat.example.com", /http:\/\/ or https:\/\//],
    ["https://user:pw@chat.example.com", /credentials/],
    ["https://chat.example.com/?x=1", /query/],
    ["https://user@chat.example.com/mm/", /credentials.*https:\/\/chat\.example\.com\/mm\b/],
    ["https://chat.example.com/#top", /fragment/],
    ["http://", /host name/],
    ["chat example com", /host name/],
  ];
  for (const [input, expected] of cases) {
    const result = normalizeServerUrl(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) assert.match(result.error.message, expected, input);
  }
});

Deno.test("normalizeServerUrl: the error about credentials does not repeat the password", () => {
  const result = normalizeServerUrl("https://user:s3cretpassw0rd@chat.example.com");
  assert.equal(result.ok, false);
  if (!result.ok) assert.doesNotMatch(result.error.message, /s3cretpassw0rd/);
});

Deno.test("readBotConfig: defaults for every optional variable", () => {
  const { config, problems } = read(REQUIRED);
  assert.deepEqual(problems, []);
  assert.equal(config.serverUrl, "https://chat.example.com");
  assert.equal(config.token.reveal(), REQUIRED.TOKEN);
  assert.equal(config.teamName, "staff");
  assert.equal(config.sessionTtlSeconds, 300);
  assert.equal(config.sessionCleanupIntervalSeconds, 60);
  assert.equal(config.logLevel, "info");
  assert.equal(config.consoleLogLevel, "warning");
  assert.equal(config.logFile, "logs/bot.log");
  assert.deepEqual(config.allowedUsers, []);
  assert.deepEqual(config.adminUsers, []);
  assert.deepEqual(config.allowedBots, []);
  assert.equal(config.userRateLimit, 20);
  assert.equal(config.userRateWindowSeconds, 60);
});

Deno.test("readBotConfig: ALLOWED_BOTS by form; the rate limit bounded, 0 turns it off", () => {
  const { config, problems } = read({
    ...REQUIRED,
    ALLOWED_BOTS: `reportbot, ${"a".repeat(26)}`,
    USER_RATE_LIMIT: "0",
    USER_RATE_WINDOW_SECONDS: "5",
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(config.allowedBots, [
    { kind: "username", username: "reportbot" },
    { kind: "id", id: "a".repeat(26) },
  ]);
  assert.equal(config.userRateLimit, 0);
  assert.equal(config.userRateWindowSeconds, 5);
  const bad = read({
    ...REQUIRED,
    ALLOWED_BOTS: "@all",
    USER_RATE_LIMIT: "-1",
    USER_RATE_WINDOW_SECONDS: "0",
  });
  assert.deepEqual(bad.problems.map((p) => p.variable).sort(), [
    "ALLOWED_BOTS",
    "USER_RATE_LIMIT",
    "USER_RATE_WINDOW_SECONDS",
  ]);
});

Deno.test("readBotConfig: explicit values are read, trimmed and split", () => {
  const { config, problems } = read({
    ...REQUIRED,
    URL: " http://localhost:8065/mm/ ",
    SESSION_TTL_SECONDS: "600",
    SESSION_CLEANUP_INTERVAL_SECONDS: "5",
    LOG_LEVEL: "debug",
    CONSOLE_LOG_LEVEL: "ERROR",
    LOG_FILE: "/var/log/postbot.log",
    ALLOWED_USERS: "alice, bob ,,@carol",
    ADMIN_USERS: "alice",
  });
  assert.deepEqual(problems, []);
  assert.equal(config.serverUrl, "http://localhost:8065/mm");
  assert.equal(config.sessionTtlSeconds, 600);
  assert.equal(config.sessionCleanupIntervalSeconds, 5);
  assert.equal(config.logLevel, "debug");
  assert.equal(config.consoleLogLevel, "error");
  assert.equal(config.logFile, "/var/log/postbot.log");
  assert.deepEqual(config.allowedUsers, [
    { kind: "username", username: "alice" },
    { kind: "username", username: "bob" },
    { kind: "username", username: "carol" },
  ]);
  assert.deepEqual(config.adminUsers, [{ kind: "username", username: "alice" }]);
});

Deno.test("readBotConfig: Python-style level names are accepted", () => {
  const cases: [string, string][] = [
    ["WARNING", "warning"],
    ["warn", "warning"],
    ["CRITICAL", "fatal"],
    ["Debug", "debug"],
    ["trace", "trace"],
  ];
  for (const [input, expected] of cases) {
    const { config, problems } = read({ ...REQUIRED, LOG_LEVEL: input });
    assert.deepEqual(problems, [], input);
    assert.equal(config.logLevel, expected, input);
  }
});

Deno.test("readBotConfig: CONSOLE_LOGGING_LEVEL is an alias; CONSOLE_LOG_LEVEL wins", () => {
  assert.equal(
    read({ ...REQUIRED, CONSOLE_LOGGING_LEVEL: "DEBUG" }).config.consoleLogLevel,
    "debug",
  );
  assert.equal(
    read({ ...REQUIRED, CONSOLE_LOG_LEVEL: "ERROR", CONSOLE_LOGGING_LEVEL: "DEBUG" }).config
      .consoleLogLevel,
    "error",
  );
  const bad = read({ ...REQUIRED, CONSOLE_LOGGING_LEVEL: "chatty" });
  assert.deepEqual(bad.problems.map((p) => p.variable), ["CONSOLE_LOGGING_LEVEL"]);
  assert.match(bad.problems[0].message, /DEBUG, INFO, WARNING, ERROR, CRITICAL.*"chatty"/);
});

Deno.test("readBotConfig: every problem is reported at once, each naming what is expected", () => {
  const { problems } = read({
    SESSION_TTL_SECONDS: "five minutes",
    SESSION_CLEANUP_INTERVAL_SECONDS: "0",
    LOG_LEVEL: "loud",
    CONSOLE_LOG_LEVEL: "silent",
  });
  const byVariable = new Map(problems.map((p) => [p.variable, p.message]));
  assert.deepEqual([...byVariable.keys()].sort(), [
    "CONSOLE_LOG_LEVEL",
    "LOG_LEVEL",
    "SESSION_CLEANUP_INTERVAL_SECONDS",
    "SESSION_TTL_SECONDS",
    "TEAM_NAME",
    "TOKEN",
    "URL",
  ]);
  assert.match(byVariable.get("URL")!, /is required.*chat\.example\.com/);
  assert.match(byVariable.get("TOKEN")!, /is required.*access token/);
  assert.match(byVariable.get("TEAM_NAME")!, /is required.*team/);
  assert.match(
    byVariable.get("SESSION_TTL_SECONDS")!,
    /whole number from 10 to 86400.*"five minutes"/,
  );
  assert.match(byVariable.get("SESSION_CLEANUP_INTERVAL_SECONDS")!, /from 1 to 3600.*"0"/);
  assert.match(byVariable.get("LOG_LEVEL")!, /one of DEBUG.*"loud"/);
});

Deno.test("readBotConfig: a blank required value counts as missing", () => {
  const { problems } = read({ URL: "  ", TOKEN: "", TEAM_NAME: "\t" });
  assert.deepEqual(problems.map((p) => p.variable), ["URL", "TOKEN", "TEAM_NAME"]);
  for (const p of problems) assert.match(p.message, /is required/);
});

Deno.test("readBotConfig: a bad URL is explained; a token with spaces is refused without echoing it", () => {
  const token = "abc def-secret-value";
  const { problems } = read({ ...REQUIRED, URL: "ftp://chat.example.com", TOKEN: token });
  assert.deepEqual(problems.map((p) => p.variable), ["URL", "TOKEN"]);
  assert.match(problems[0].message, /http:\/\/ or https:\/\//);
  assert.match(problems[1].message, /spaces/);
  for (const p of problems) assert.equal(p.message.includes("secret-value"), false);
});

Deno.test("readBotConfig: the token is wrapped so printing the config never shows it", () => {
  const { config } = read(REQUIRED);
  const token = REQUIRED.TOKEN;
  assert.equal(JSON.stringify(config).includes(token), false);
  assert.equal(Deno.inspect(config, { depth: 10 }).includes(token), false);
  assert.equal(`${config.token}`, "[redacted]");
});

Deno.test("envSource: real environment variables win over the .env file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "TEAM_NAME=from-file\nURL=file.example.com\n");
    const source = envSource({
      envFile: `${dir}/.env`,
      explicit: true,
      getEnv: (name) => name === "TEAM_NAME" ? "from-env" : undefined,
    });
    assert.equal(source.ok, true);
    if (!source.ok) return;
    assert.equal(source.value("TEAM_NAME"), "from-env");
    assert.equal(source.value("URL"), "file.example.com");
    assert.equal(source.value("TOKEN"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("envSource: a missing default .env is fine; a missing --env-file is an error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const getEnv = (name: string) => name === "URL" ? "x.example.com" : undefined;
    const implicit = envSource({ envFile: `${dir}/.env`, explicit: false, getEnv });
    assert.equal(implicit.ok, true);
    if (implicit.ok) assert.equal(implicit.value("URL"), "x.example.com");
    const explicit = envSource({ envFile: `${dir}/other.env`, explicit: true, getEnv });
    assert.equal(explicit.ok, false);
    if (!explicit.ok) {
      assert.equal(explicit.error.variable, `${dir}/other.env`);
      assert.match(explicit.error.message, /cannot be read/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("envSource: a malformed .env names the file and the line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/.env`, "# comment\nURL=x\nthis is not an assignment\n");
    const source = envSource({ envFile: `${dir}/.env`, explicit: false, getEnv: () => undefined });
    assert.equal(source.ok, false);
    if (!source.ok) {
      assert.equal(source.error.variable, `${dir}/.env`);
      assert.match(source.error.message, /^line 3: expected KEY=value/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
