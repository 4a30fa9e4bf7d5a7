/**
 * Careless or hostile configuration, end to end through the `start` entry point: secrets
 * pasted into URL (or any variable) are never echoed; a URL that is not one exits 2 naming
 * URL; a bare host in front of a plain-HTTP server is recognised; ALLOWED_USERS/ADMIN_USERS
 * entries are ids or usernames by their form (issue 9, sections 5 and 6); a missing
 * channels.toml is warned about once; an unterminated string in scheduler.toml or
 * channels.toml is reported as such, with line and column.
 */

import assert from "node:assert/strict";
import { emulatorOnly, type Person, type Scenario, startScenario } from "@postbot/harness";
import { BotProcess } from "@postbot/harness/bot";

/** Runs the bot with `env` and waits for it to exit. */
async function runToExit(
  s: Scenario,
  env: Record<string, string>,
): Promise<{ code: number; output: string }> {
  const bot = BotProcess.spawn({ cwd: s.dir, env });
  const code = await bot.exited;
  return { code, output: bot.output };
}

async function logFile(s: Scenario): Promise<string> {
  try {
    return await Deno.readTextFile(`${s.dir}/logs/bot.log`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function count(text: string, pattern: RegExp): number {
  return (text.match(new RegExp(pattern.source, pattern.flags + "g")) ?? []).length;
}

Deno.test("careless configuration", async (t) => {
  const s = await startScenario({ startBot: false });
  const token = s.world.bot.token;
  try {
    await t.step("a secret in URL (query, fragment, user info) is never echoed", async () => {
      const secret = "s3cr3tpassw0rdvalue";
      for (
        const url of [
          `https://chat.example.com/?token=${secret}`,
          `chat.example.com?access_token=${secret}`,
          `https://chat.example.com/mm#${secret}`,
          `https://bot:${secret}@chat.example.com`,
          `https://${secret}@chat.example.com`,
          `ht!tp://chat.example.com?token=${secret}`,
          `https://chat.example.com/?token=${token}`,
        ]
      ) {
        const { code, output } = await runToExit(s, { ...s.env, URL: url });
        assert.equal(code, 2, `${url}\n${output}`);
        assert.match(output, /- URL /, output);
        assert.equal(output.includes(secret), false, `secret echoed for ${url}:\n${output}`);
        assert.equal(output.includes(token), false, `token echoed for ${url}:\n${output}`);
      }
    });

    await t.step("the token pasted into another variable is not echoed either", async () => {
      const variants: Record<string, string>[] = [
        { BOT_LOG_CHANNEL_ID: `${token}x` },
        { SCHEDULER_TIMEZONE: token },
        { ADMIN_USERS: `alice,${token}!` },
        { LOG_LEVEL: token },
      ];
      for (const env of variants) {
        const { code, output } = await runToExit(s, { ...s.env, ...env });
        assert.equal(code, 2, output);
        assert.equal(output.includes(token), false, `token echoed:\n${output}`);
        assert.match(output, /\[redacted\]/, output);
      }
    });

    await t.step("the token in URL's path never reaches the console or the log", async () => {
      const { code, output } = await runToExit(s, {
        ...s.env,
        URL: `http://127.0.0.1:${closedPort()}/${token}`,
      });
      assert.equal(code, 1, output);
      // Nothing listens there (or, on a busy machine, something else took the port).
      assert.match(output, /Cannot reach the Mattermost server|answered \d{3}/);
      assert.match(output, /\[redacted\]/);
      assert.equal(output.includes(token), false, output);
      assert.equal((await logFile(s)).includes(token), false);
    });

    await t.step("a URL that is not a URL exits 2 naming URL", async () => {
      for (
        const url of [
          "ht!tp:// not a url",
          "http://exa mple.com",
          "://chat.example.com",
          "http://",
          "chat.example.com:abc",
          "javascript:alert(1)",
          "chat.example.com\\evil",
          "https://-bad-.example.com",
        ]
      ) {
        const { code, output } = await runToExit(s, { ...s.env, URL: url });
        assert.equal(code, 2, `${url}\n${output}`);
        assert.match(output, /- URL (is not a URL|must use http)/, output);
        assert.doesNotMatch(output, /Cannot reach/, output);
      }
    });

    await t.step(
      "a bare host in front of a plain-HTTP server: say so, suggest http://",
      async () => {
        const hostPort = new URL(s.url).host;
        for (const url of [hostPort, `https://${hostPort}`]) {
          const { code, output } = await runToExit(s, { ...s.env, URL: url });
          assert.equal(code, 1, output);
          assert.match(output, /answered in plain HTTP, not HTTPS/, output);
          assert.ok(output.includes(`URL=http://${hostPort}`), output);
        }
      },
    );

    await t.step("access-list entries that are neither an id nor a username", async () => {
      for (
        const [variable, entry, why] of [
          ["ADMIN_USERS", "al", /2 characters/],
          ["ADMIN_USERS", `@${s.world.alice.user.id}`, /without @/],
          ["ALLOWED_USERS", "bob smith", /not a user id/],
          ["ALLOWED_USERS", "@all", /reserves/],
          ["ADMIN_USERS", s.world.alice.user.id.toUpperCase(), /at most 22 characters/],
          ["ADMIN_USERS", "ali\u200bce", /not a user id/],
        ] as const
      ) {
        const { code, output } = await runToExit(s, { ...s.env, [variable]: entry });
        assert.equal(code, 2, output);
        assert.match(output, new RegExp(`- ${variable} entry`), output);
        assert.match(output, why, output);
      }
    });

    await t.step("a missing channels.toml at the default path is warned about once", async () => {
      const saved = s.channelsToml();
      await Deno.remove(`${s.dir}/channels.toml`);
      await Deno.remove(`${s.dir}/logs`, { recursive: true }).catch(() => {});
      try {
        const bot = await s.startBot();
        const alice = s.dm(s.world.alice);
        assert.match(await alice.ask("!get_groups"), /no public groups/);
        await bot.stop();
        // A warning: printed at the default console level (WARNING) too.
        assert.equal(count(bot.output, /\[WRN\][^\n]*channels\.toml was not found/), 1, bot.output);
        assert.equal(count(await logFile(s), /channels\.toml was not found/), 1);
      } finally {
        await s.bot.stop();
        await Deno.writeTextFile(`${s.dir}/channels.toml`, saved);
      }
    });

    await t.step("an unterminated string in scheduler.toml: what, line and column", async () => {
      await Deno.writeTextFile(
        `${s.dir}/scheduler.toml`,
        '# schedules\n[tasks]\nreport = "0 7 * * 1-5\n',
      );
      try {
        const bot = await s.startBot();
        await bot.stop();
        assert.match(bot.output, /scheduler\.toml line 3, column 10: unterminated string/);
        assert.doesNotMatch(bot.output, /control characters/);
      } finally {
        await s.bot.stop();
        await Deno.remove(`${s.dir}/scheduler.toml`);
      }
    });

    await t.step("a wrong entry in channels.toml: its own line, table or inline form", async () => {
      const saved = s.channelsToml();
      const id = s.world.channels.random.id;
      // [file with "|" just before the wrong entry, what is said]
      const shapes: [string, RegExp][] = [
        [`[groups]\nA = ["${id}"]\n\n[aliases]\nok = "A"\nx = |"Nobody"\n`, /"Nobody"/],
        [`aliases = { ok = "A", x = |"Nobody" }\n[groups]\nA = ["${id}"]\n`, /"Nobody"/],
        [`[groups]\nA = ["${id}"]\nB = |5\n`, /not the number 5/],
        [`groups = { A = ["${id}"], B = |5 }\n`, /not the number 5/],
        [`[groups]\nA = ["${id}"]\nB = ["${id}", |"no pe"]\n`, /"no pe" is not/],
        [`groups = { A = ["${id}"], B = ["${id}", |"no pe"] }\n`, /"no pe" is not/],
        // A name no channel of the team answers to: refused at its place too.
        [
          `[groups]\nA = ["${id}"]\nB = ["${id}", |"no-such-room"]\n`,
          /"no-such-room", which is no/,
        ],
        [`groups = { A = ["${id}"], B = ["random", |"no-such-room"] }\n`, /"no-such-room"/],
        [`[groups]\nA = ["${id}"]\n|A = ["${id}"]\n`, /already defined/],
        [`groups = { A = ["${id}"], |A = ["${id}"] }\n`, /already defined/],
      ];
      try {
        for (const [marked, what] of shapes) {
          const mark = marked.indexOf("|");
          const toml = marked.slice(0, mark) + marked.slice(mark + 1);
          const line = toml.slice(0, mark).split("\n").length;
          const column = mark - toml.lastIndexOf("\n", mark - 1);
          const at = `${line}:${column}`;
          await Deno.writeTextFile(`${s.dir}/channels.toml`, toml);
          const { code, output } = await runToExit(s, s.env);
          assert.equal(code, 1, output);
          assert.match(output, new RegExp(`channels\\.toml:${at}: `), `${toml}\n${output}`);
          assert.match(output, what, output);
          // The offending line quoted, the caret under the column (both indented alike when
          // the problem is one of a list).
          const quoted = toml.split("\n")[line - 1];
          const escaped = quoted.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          const caret = new RegExp(`^( *)${escaped}\n\\1 {${column - 1}}\\^`, "m");
          assert.match(output, caret, output);
        }
      } finally {
        await Deno.writeTextFile(`${s.dir}/channels.toml`, saved);
      }
    });

    await t.step("an unterminated string in channels.toml: what, line and column", async () => {
      const saved = s.channelsToml();
      await Deno.writeTextFile(
        `${s.dir}/channels.toml`,
        "# channels\nwhitelist = ['town-square', 'announcements]\n",
      );
      try {
        const { code, output } = await runToExit(s, s.env);
        assert.equal(code, 1, output);
        assert.match(output, /channels\.toml:2:29: unterminated string/, output);
        assert.doesNotMatch(output, /control characters/);
      } finally {
        await Deno.writeTextFile(`${s.dir}/channels.toml`, saved);
      }
    });
  } finally {
    await s.stop();
  }
});

Deno.test("identities: an entry is an id or a username by its form", {
  ignore: emulatorOnly("a username equal to an id: a real server caps usernames at 22 characters"),
}, async () => {
  let impostor: Person | undefined;
  const s = await startScenario({
    startBot: false,
    seed: (emu, world) => {
      // A team member whose *username* is alice's id (the emulator allows it; Mattermost
      // limits usernames to 22 characters, but the bot must not rely on that).
      impostor = emu.store.createUser({ username: world.alice.user.id });
      emu.store.addTeamMember(world.team.id, impostor.user.id);
    },
  });
  try {
    assert.ok(impostor !== undefined);
    await s.startBot({ ADMIN_USERS: s.world.alice.user.id, ALLOWED_USERS: "" });
    const group = `!add_group Impostors = ["${s.world.channels.random.id}"]`;
    const before = s.channelsToml();
    const reply = await s.dm(impostor).ask(group);
    assert.match(reply, /administrators \(ADMIN_USERS\)/, reply);
    assert.equal(s.channelsToml(), before);
    // Alice, listed by id, is admin.
    assert.match(await s.dm(s.world.alice).ask(group), /Saved 1 group/);
    await s.bot.stop();

    // Listed by username, an id-shaped username still matches only that username.
    await s.startBot({ ADMIN_USERS: "bob", ALLOWED_USERS: "@xxx,bob" });
    const carol = await s.dm(s.world.carol).ask("!get_groups");
    assert.match(carol, /not on the list of people who may use this bot/);
    const bob = await s.dm(s.world.bob).ask("!get_groups");
    assert.match(bob, /Impostors/);
  } finally {
    await s.stop();
  }
});
