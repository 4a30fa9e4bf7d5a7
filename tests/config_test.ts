/**
 * End to end: configuration and startup through the `start` entry point, as an operator
 * meets them. Bad configuration exits with status 2 listing every problem; a bot that cannot
 * start exits with 1 and says why; the token appears nowhere (console, log file, posts).
 */

import assert from "node:assert/strict";
import { emulatorOnly, type Scenario, startScenario } from "@postbot/harness";
import { BotProcess, taskArgs } from "@postbot/harness/bot";

/** A stack frame line, as Deno prints them for an uncaught error. */
const STACK_FRAME = /^\s*at\s/m;

/** The three required variables of the scenario, for a `.env` file. */
function dotenv(s: Scenario, overrides: Record<string, string> = {}): string {
  const values = { URL: s.url, TOKEN: s.world.bot.token, TEAM_NAME: "staff", ...overrides };
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
}

/** Runs the bot with exactly `env` (nothing from the scenario) and waits for it to exit. */
async function runToExit(
  s: Scenario,
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number; output: string }> {
  const bot = BotProcess.spawn({ cwd: s.dir, env, args });
  const code = await bot.exited;
  return { code, output: bot.output };
}

function assertNoStackTrace(output: string): void {
  assert.doesNotMatch(output, STACK_FRAME, output);
  assert.doesNotMatch(output, /Uncaught|^error: /m, output);
}

async function logFile(s: Scenario): Promise<string> {
  try {
    return await Deno.readTextFile(`${s.dir}/logs/bot.log`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/** Every place the token could leak to: console output, the log file, the bot's posts. */
async function assertTokenNowhere(s: Scenario, token: string, output: string): Promise<void> {
  assert.equal(output.includes(token), false, "token in the console output");
  assert.equal((await logFile(s)).includes(token), false, "token in logs/bot.log");
  const { alice, bob, carol } = s.world;
  const channels = [
    ...Object.values(s.world.channels).map((c) => c.id),
    ...[alice, bob, carol].map((p) => s.dmChannel(p).id),
  ];
  const botPosts = [];
  for (const id of channels) botPosts.push(...await s.botPostsIn(id));
  for (const post of botPosts) {
    assert.equal(post.message.includes(token), false, `token in a post: ${post.message}`);
  }
}

/** A port on which nothing listens. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("configuration problems: exit 2, every problem listed, no stack trace", async (t) => {
  const s = await startScenario({ startBot: false });
  try {
    await t.step("missing and invalid variables are all reported at once", async () => {
      const { code, output } = await runToExit(s, {
        URL: "",
        TEAM_NAME: "  ",
        SESSION_TTL_SECONDS: "soon",
        SESSION_CLEANUP_INTERVAL_SECONDS: "0",
        CHANNEL_CACHE_TTL_SECONDS: "-1",
        LOG_LEVEL: "loud",
        CONSOLE_LOGGING_LEVEL: "chatty",
        BOT_LOG_CHANNEL_ID: "town-square",
        ACTIONS_URL: "http://127.0.0.1:8080",
      });
      assert.equal(code, 2, output);
      assert.match(output, /has 10 problems/);
      for (
        const [variable, expected] of [
          ["URL", /is required/],
          ["TOKEN", /is required/],
          ["TEAM_NAME", /is required/],
          ["SESSION_TTL_SECONDS", /whole number from 10 to 86400, got "soon"/],
          ["SESSION_CLEANUP_INTERVAL_SECONDS", /whole number from 1 to 3600, got "0"/],
          ["CHANNEL_CACHE_TTL_SECONDS", /whole number from 10 to 604800, got "-1"/],
          ["LOG_LEVEL", /one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got "loud"/],
          ["CONSOLE_LOGGING_LEVEL", /got "chatty"/],
          ["BOT_LOG_CHANNEL_ID", /channel id/],
          ["ACTIONS_URL", /needs HEALTH_PORT/],
        ] as const
      ) {
        assert.match(output, new RegExp(`^  - ${variable} .*${expected.source}`, "m"), variable);
      }
      assertNoStackTrace(output);
      assert.equal((await logFile(s)).includes("postbot starting"), false);
    });

    await t.step("a bad URL and a token with spaces: the token is not echoed", async () => {
      const token = "abc def-not-to-be-printed";
      const { code, output } = await runToExit(s, {
        URL: "ftp://chat.example.com",
        TOKEN: token,
        TEAM_NAME: "staff",
      });
      assert.equal(code, 2, output);
      assert.match(output, /- URL must use http:\/\/ or https:\/\//);
      assert.match(output, /- TOKEN must not contain spaces/);
      assert.equal(output.includes("not-to-be-printed"), false);
      assertNoStackTrace(output);
    });

    await t.step("an unknown flag: exit 2 with the usage", async () => {
      const { code, output } = await runToExit(s, { ...s.env }, ["--verbose"]);
      assert.equal(code, 2, output);
      assert.match(output, /--verbose/);
      assert.match(output, /Usage: deno task start \[--env-file PATH\]/);
      assertNoStackTrace(output);
    });

    await t.step("--help prints the usage and exits 0", async () => {
      const { code, output } = await runToExit(s, {}, ["--help"]);
      assert.equal(code, 0, output);
      assert.match(output, /Usage: deno task start/);
    });

    await t.step("a malformed .env: exit 2 naming the file and the line", async () => {
      await Deno.writeTextFile(`${s.dir}/.env`, "# settings\nURL=x\nTOKEN abc\n");
      try {
        const { code, output } = await runToExit(s, {});
        assert.equal(code, 2, output);
        assert.match(output, /- \.env line 3: expected KEY=value, but the line has no "="/);
        assert.equal(output.includes("abc"), false, "the offending line could hold the token");
        assertNoStackTrace(output);
      } finally {
        await Deno.remove(`${s.dir}/.env`);
      }
    });

    await t.step("a variable the run does not grant: exit 2 naming --allow-env", async () => {
      // An operator's own command line that forgot two variables: one set, one not. Deno
      // cannot tell which is set, so both are refused instead of silently defaulting.
      const args = taskArgs("start").map((a) =>
        a.startsWith("--allow-env=")
          ? a.replace(/,LOG_LEVEL\b/, "").replace(/,HEALTH_PORT\b/, "")
          : a
      );
      const granted = args.find((a) => a.startsWith("--allow-env="))!.split("=")[1].split(",");
      assert.ok(granted.includes("TOKEN") && !granted.includes("LOG_LEVEL"), granted.join(","));
      const run = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: s.dir,
        env: { ...s.env, LOG_LEVEL: "debug", NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 2, output);
      assert.match(output, /has 2 problems/);
      assert.match(output, /^ {2}- LOG_LEVEL cannot be read: .*--allow-env=LOG_LEVEL/m);
      assert.match(output, /^ {2}- HEALTH_PORT cannot be read: .*--allow-env=HEALTH_PORT/m);
      assertNoStackTrace(output);
      assert.equal((await logFile(s)).includes("postbot starting"), false);
    });

    await t.step("a missing --env-file: exit 2 naming the file", async () => {
      const { code, output } = await runToExit(s, { ...s.env }, ["--env-file", "missing.env"]);
      assert.equal(code, 2, output);
      assert.match(output, /missing\.env cannot be read/);
      assertNoStackTrace(output);
    });
  } finally {
    await s.stop();
  }
});

Deno.test(".env and --env-file: read at start, real environment wins", async (t) => {
  const s = await startScenario({ startBot: false });
  try {
    await t.step(".env in the working directory is read", async () => {
      await Deno.writeTextFile(`${s.dir}/.env`, dotenv(s));
      const bot = BotProcess.spawn({ cwd: s.dir, env: { CONSOLE_LOG_LEVEL: "INFO" } });
      await bot.waitForOutput(/postbot is ready/);
      assert.equal(await bot.stop(), 0);
      assert.match(bot.output, /Signed in as @postbot/);
    });

    await t.step("real environment variables win over .env", async () => {
      await Deno.writeTextFile(`${s.dir}/.env`, dotenv(s, { TEAM_NAME: "no-such-team" }));
      const fromFile = await runToExit(s, {});
      assert.equal(fromFile.code, 1, fromFile.output);
      assert.match(fromFile.output, /TEAM_NAME "no-such-team" was not found/);
      assertNoStackTrace(fromFile.output);

      const bot = BotProcess.spawn({
        cwd: s.dir,
        env: { TEAM_NAME: "staff", CONSOLE_LOG_LEVEL: "INFO" },
      });
      await bot.waitForOutput(/postbot is ready/);
      assert.equal(await bot.stop(), 0);
      await Deno.remove(`${s.dir}/.env`);
    });

    await t.step("--env-file reads another file (when the run may read it)", async () => {
      await Deno.writeTextFile(`${s.dir}/other.env`, dotenv(s, { LOG_LEVEL: "chatty" }));
      // The start task grants reading .env only; another file must be granted too.
      const refused = await runToExit(s, {}, ["--env-file", "other.env"]);
      assert.equal(refused.code, 2, refused.output);
      assert.match(
        refused.output,
        /other\.env cannot be read: grant it with --allow-read=other\.env/,
      );
      assertNoStackTrace(refused.output);

      const args = taskArgs("start");
      args.splice(args.length - 1, 0, "--allow-read=other.env");
      const run = await new Deno.Command(Deno.execPath(), {
        args: [...args, "--env-file", "other.env"],
        cwd: s.dir,
        env: { NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      // LOG_LEVEL=chatty comes from other.env: the file was read and validated.
      assert.equal(run.code, 2, output);
      assert.match(output, /- LOG_LEVEL must be one of .*got "chatty"/);
      assert.doesNotMatch(output, /URL is required|TOKEN is required/);
      assertNoStackTrace(output);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("DATABASE_URL: the CA file is checked, SQLite's places are not needed", async (t) => {
  const s = await startScenario({ startBot: false });
  // Neither granted nor existing: with PostgreSQL the bot never opens them.
  const sqlitePlaces = { DB_PATH: "/nonexistent/log.db", SCHEDULED_FILES_DIR: "/nonexistent/f" };
  const url = "postgres://postbot:hunter2@127.0.0.1:1/postbot?sslmode=verify-full" +
    "&sslrootcert=ca.pem";
  try {
    await t.step("a CA file outside --allow-read names the grant", async () => {
      const { code, output } = await runToExit(s, {
        ...s.env,
        ...sqlitePlaces,
        DATABASE_URL: url,
      });
      assert.equal(code, 2, output);
      assert.match(
        output,
        /DATABASE_URL points at ca\.pem, which the bot may not read: add it to --allow-read/,
      );
      assert.doesNotMatch(output, /DB_PATH|SCHEDULED_FILES_DIR/);
      assert.equal(output.includes("hunter2"), false, "the password in the output");
      assertNoStackTrace(output);
    });

    await t.step("a granted CA file that is missing is named, with the fix", async () => {
      const args = taskArgs("start");
      args.splice(args.length - 1, 0, "--allow-read=ca.pem");
      const run = await new Deno.Command(Deno.execPath(), {
        args,
        cwd: s.dir,
        env: { ...s.env, ...sqlitePlaces, DATABASE_URL: url, NO_COLOR: "1" },
        stdin: "null",
      }).output();
      const output = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 2, output);
      assert.match(
        output,
        /DATABASE_URL names the CA file ca\.pem \(sslrootcert\), which does not exist/,
      );
      assert.match(output, /PEM file of the CA that signed the PostgreSQL server's certificate/);
      assert.doesNotMatch(output, /DB_PATH|SCHEDULED_FILES_DIR/);
      assert.equal(output.includes("hunter2"), false, "the password in the output");
      assertNoStackTrace(output);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("startup failures: exit 1 with a clear message, the token nowhere", async (t) => {
  const s = await startScenario({ startBot: false });
  try {
    await t.step("a wrong TOKEN", async () => {
      const wrong = "wrongtoken0wrongtoken0wron";
      const { code, output } = await runToExit(s, { ...s.env, TOKEN: wrong });
      assert.equal(code, 1, output);
      assert.match(output, /rejected TOKEN \(401 Unauthorized\)/);
      assertNoStackTrace(output);
      await assertTokenNowhere(s, wrong, output);
      assert.match(await logFile(s), /rejected TOKEN/);
    });

    await t.step("an unreachable URL", async () => {
      const { code, output } = await runToExit(s, {
        ...s.env,
        URL: `http://127.0.0.1:${closedPort()}`,
      });
      assert.equal(code, 1, output);
      assert.match(output, /Cannot reach the Mattermost server at URL=http:\/\/127\.0\.0\.1:\d+/);
      assertNoStackTrace(output);
      await assertTokenNowhere(s, s.world.bot.token, output);
    });

    await t.step("an unknown TEAM_NAME", async () => {
      const { code, output } = await runToExit(s, { ...s.env, TEAM_NAME: "nope" });
      assert.equal(code, 1, output);
      assert.match(output, /TEAM_NAME "nope" was not found/);
      assertNoStackTrace(output);
    });

    await t.step({
      name: "a server that echoes the token in its error",
      ignore: emulatorOnly("injected 500 answer carrying the token"),
      fn: async () => {
        s.emu.faults.failRequests({
          path: "/users/me",
          status: 500,
          times: Infinity,
          body: JSON.stringify({ id: "x.app_error", message: `bad token ${s.world.bot.token}` }),
        });
        try {
          const { code, output } = await runToExit(s, s.env);
          assert.equal(code, 1, output);
          assert.match(output, /answered 500 \(bad token \[redacted\]\)/);
          assertNoStackTrace(output);
          await assertTokenNowhere(s, s.world.bot.token, output);
        } finally {
          s.emu.faults.clear();
        }
      },
    });

    await t.step({
      name: "SIGTERM while starting: a clean exit 0 without waiting for the server",
      ignore: emulatorOnly("a server that takes a minute to answer (emulated latency)"),
      fn: async () => {
        s.emu.faults.latencyMs = 60_000;
        try {
          const bot = s.spawnBot();
          await bot.waitForOutput(/postbot starting/);
          assert.equal(await bot.stop("SIGTERM"), 0);
          assert.match(bot.output, /Received SIGTERM while starting; exiting/);
          assertNoStackTrace(bot.output);
        } finally {
          s.emu.faults.latencyMs = 0;
        }
      },
    });

    await t.step("channels.toml broken by hand", async () => {
      const good = s.channelsToml();
      await Deno.writeTextFile(`${s.dir}/channels.toml`, `${good}\n[groups]\nbroken = [\n`);
      try {
        const { code, output } = await runToExit(s, s.env);
        assert.equal(code, 1, output);
        assert.match(output, /channels\.toml:\d+:\d+:/);
        assertNoStackTrace(output);
      } finally {
        await Deno.writeTextFile(`${s.dir}/channels.toml`, good);
      }
    });
  } finally {
    await s.stop();
  }
});

Deno.test("logging: file at LOG_LEVEL, console at CONSOLE_LOG_LEVEL, no token anywhere", async (t) => {
  const s = await startScenario({ startBot: false });
  try {
    await t.step("default levels: INFO in logs/bot.log, only warnings on the console", async () => {
      const bot = s.spawnBot({ CONSOLE_LOG_LEVEL: "", ADMIN_USERS: "" });
      const log = await s.waitFor(
        () => {
          try {
            const text = Deno.readTextFileSync(`${s.dir}/logs/bot.log`);
            return /postbot is ready/.test(text) ? text : undefined;
          } catch {
            return undefined;
          }
        },
        { timeoutMs: 30_000, message: "no 'postbot is ready' in logs/bot.log" },
      );
      assert.match(log, /\[INF\] postbot·main: postbot starting/);
      assert.match(log, /\[INF\] postbot·bot: Signed in as @postbot/);
      assert.match(log, /\[INF\] postbot·bot: WebSocket connected/);
      assert.doesNotMatch(log, /\[DBG\]/);
      assert.match(bot.output, /ADMIN_USERS is empty/);
      assert.doesNotMatch(bot.output, /\[INF\]/);
      assert.equal(await bot.stop("SIGINT"), 0);
      assert.match(await logFile(s), /Received SIGINT; shutting down[\s\S]*postbot stopped/);
    });

    await t.step(
      "the token is in no log line or post, even at the most verbose level",
      async () => {
        await Deno.remove(`${s.dir}/logs`, { recursive: true });
        const bot = await s.startBot({ LOG_LEVEL: "trace", CONSOLE_LOG_LEVEL: "trace" });
        const alice = s.dm(s.world.alice);
        assert.match(await alice.ask("!help"), /Commands/);
        assert.match(await alice.ask("!id town-square"), /Id:/);
        assert.match(await alice.ask(`!id ${s.world.bot.token}`), /can't find a channel/);
        const mallory = s.dm(s.world.outsider);
        assert.match(await mallory.ask("!help"), /only work for members/);
        // A dropped connection is resumed (the emulator can drop it without a restart).
        const emu = s.server.emulator;
        if (emu !== undefined) {
          emu.faults.dropSockets();
          await bot.waitForOutput(/WebSocket connected \(resuming/);
        }
        assert.equal(await bot.stop(), 0);
        await assertTokenNowhere(s, s.world.bot.token, bot.output);
        assert.match(await logFile(s), /postbot stopped/);
      },
    );
  } finally {
    await s.stop();
  }
});
