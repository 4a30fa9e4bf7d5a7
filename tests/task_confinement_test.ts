/**
 * A task reaches only what it was given, against a real postbot process (started like
 * `deno task start`) driven over DMs: an inspection reads its own file and nothing else (not
 * another task's file, not `.env` through a link in tasks/, a linked directory or /proc), a
 * link out of tasks/ is not loaded, a task asking for the bot's secrets is not loaded, task
 * processes start with a clean environment, a DESCRIPTION that is not a string says so, the
 * bot answers DMs while files are still being inspected, and file names are shown escaped.
 */

import assert from "node:assert/strict";
import { descendants, environOf, processes } from "./support/processes.ts";
import { type Scenario, startScenario } from "@postbot/harness";

/** A task file whose run() has `body`; `header` goes at the top level. */
function task(body: string, header = ""): string {
  return `${header}
export async function run(client, ctx) {
${body}
}
`;
}

/**
 * Top-level code that tries `attempt` and exports what it found, reversed (so that the bot's
 * redaction of the token would not catch it), as DESCRIPTION: the task loads either way.
 */
function leaks(attempt: string): string {
  return task(
    "",
    `let found = "nothing";
try { found = String(${attempt}); } catch (e) { found = "refused: " + e.name; }
export const DESCRIPTION = [...found].reverse().join("");`,
  );
}

/** The block of `!tasks` about one task. */
function section(list: string, name: string): string {
  const block = list.split("\n\n").find((b) => b.startsWith(`**${name}**`));
  assert.ok(block !== undefined, `no section for ${name} in:\n${list}`);
  return block;
}

/** The reason `!tasks` gives for a file that did not load. */
function notLoaded(list: string, fileName: string): string {
  const line = list.split("\n").find((l) => l.startsWith(`- \`${fileName}\`: `));
  assert.ok(line !== undefined, `${fileName} is not under Not loaded in:\n${list}`);
  return line;
}

/** Waits until the bot has inspected every task file (it logs the totals). */
async function inspected(s: Scenario): Promise<void> {
  await s.bot.waitForOutput(/Tasks: \d+ loaded, \d+ not loaded/, 120_000);
}

async function write(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, content);
  }
}

Deno.test("a task reaches nothing of the bot's: other files, links out, .env, environment", async (t) => {
  const s = await startScenario({ startBot: false });
  const token = s.env.TOKEN;
  const reversed = [...token].reverse().join("");
  const random = s.world.channels.random.id;
  await write(s.dir, {
    ".env": `TOKEN=${token}\n`,
    "elsewhere.ts": task(""),
    "tasks/other_secret.txt": "ANOTHER-TASK-SECRET",
    // Inspection: each tries one way to the token or a sibling, and publishes what it got.
    "tasks/sibling.ts": leaks(
      `Deno.readTextFileSync(new URL("./other_secret.txt", import.meta.url))`,
    ),
    "tasks/via_link.ts": leaks(`Deno.readTextFileSync(new URL("./env.txt", import.meta.url))`),
    "tasks/via_dir.ts": leaks(`Deno.readTextFileSync(new URL("./shared/.env", import.meta.url))`),
    "tasks/via_proc.ts": leaks(`Deno.readTextFileSync("/proc/self/environ")`),
    "tasks/via_parent.ts": leaks(`Deno.readTextFileSync("/proc/" + Deno.ppid + "/environ")`),
    "tasks/via_env.ts": leaks(`Deno.env.get("TOKEN")`),
    // Asking for the secrets outright.
    "tasks/asks_token.ts": task("", `export const PERMISSIONS = { env: ["TOKEN"] };`),
    "tasks/asks_all_env.ts": task("", `export const PERMISSIONS = { env: true };`),
    "tasks/asks_env_file.ts": task("", `export const PERMISSIONS = { read: [".env"] };`),
    "tasks/asks_link.ts": task("", `export const PERMISSIONS = { read: ["tasks/env.txt"] };`),
    "tasks/asks_tasks_dir.ts": task("", `export const PERMISSIONS = { read: ["tasks"] };`),
    // DESCRIPTION values that cannot cross to the bot.
    "tasks/fn_description.ts": task("", "export function DESCRIPTION() {}"),
    "tasks/symbol_description.ts": task("", `export const DESCRIPTION = Symbol("x");`),
    "tasks/cyclic_description.ts": task(
      "",
      "const o = {}; o.self = o; export const DESCRIPTION = o;",
    ),
    // Runs: the environment of its process, and what run() may read.
    "tasks/shows_env.ts": task(
      `  ctx.log.info("TEAM_NAME is " + Deno.env.get("TEAM_NAME"));
  let token = "unreadable";
  try { token = String(Deno.env.get("TOKEN")); } catch (e) { token = e.name; }
  ctx.log.info("TOKEN is " + token);
  await ctx.post(${JSON.stringify(random)}, "shows_env is up");
  await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));`,
      `export const PERMISSIONS = { env: ["TEAM_NAME"] };`,
    ),
    "tasks/reads_environ.ts": task(`  await Deno.readTextFile("/proc/self/environ");`),
    "tasks/reads_sibling.ts": task(
      `  await Deno.readTextFile(new URL("./other_secret.txt", import.meta.url));`,
    ),
  });
  await Deno.symlink("../.env", `${s.dir}/tasks/env.txt`);
  await Deno.symlink("..", `${s.dir}/tasks/shared`);
  await Deno.symlink("../elsewhere.ts", `${s.dir}/tasks/escapes.ts`);
  await Deno.link(`${s.dir}/.env`, `${s.dir}/tasks/hard.ts`);
  const botLog = s.world.channels["bot-log"].id;
  const alice = s.dm(s.world.alice);
  const bob = s.dm(s.world.bob);
  try {
    await s.startBot({ BOT_LOG_CHANNEL_ID: botLog, TASK_TIMEOUT_SECONDS: "20" });
    await inspected(s);
    const list = await bob.ask("!tasks");

    await t.step("an inspection reads its own file only: nothing leaks into !tasks", () => {
      for (const name of ["sibling", "via_link", "via_dir", "via_proc", "via_parent", "via_env"]) {
        assert.match(section(list, name), / — `(elbapaCtoN|deineDnoissimreP) :desufer`$/m, name);
      }
      assert.doesNotMatch(list, /ANOTHER-TASK-SECRET|TERCES-KSAT-REHTONA/);
      assert.equal(list.includes(token), false, "the token is in !tasks");
      assert.equal(list.includes(reversed), false, "the reversed token is in !tasks");
    });

    await t.step("links out of tasks/ and hard links to .env are not loaded", () => {
      assert.match(notLoaded(list, "escapes.ts"), /symbolic link to a file outside the tasks/);
      assert.match(notLoaded(list, "env.txt"), /symbolic link out of the tasks directory/);
      assert.match(notLoaded(list, "shared"), /symbolic link out of the tasks directory/);
      assert.match(notLoaded(list, "hard.ts"), /the bot's env file under another name/);
    });

    await t.step("asking for the token, .env or a way to them is refused, with the reason", () => {
      const client = /it has an authenticated client already/;
      assert.match(notLoaded(list, "asks_token.ts"), /PERMISSIONS\.env asks for `TOKEN`/);
      assert.match(notLoaded(list, "asks_all_env.ts"), /PERMISSIONS\.env: true would include/);
      assert.match(notLoaded(list, "asks_env_file.ts"), /`\.env`, which is the bot's env file/);
      assert.match(notLoaded(list, "asks_link.ts"), /`tasks\/env\.txt`, which leads to the bot/);
      assert.match(notLoaded(list, "asks_tasks_dir.ts"), /asks for `tasks`, a directory holding/);
      for (const file of ["asks_token", "asks_all_env", "asks_env_file", "asks_link"]) {
        assert.match(notLoaded(list, `${file}.ts`), client, file);
      }
    });

    await t.step("a DESCRIPTION that is not a string is reported as such", () => {
      assert.match(notLoaded(list, "fn_description.ts"), /DESCRIPTION must be a string, not `f/);
      assert.match(notLoaded(list, "symbol_description.ts"), /must be a string, not `symbol`/);
      assert.match(notLoaded(list, "cyclic_description.ts"), /must be a string, not `object`/);
    });

    await t.step("a task process starts with a clean environment", async () => {
      const bot = await environOf(s.bot.pid);
      assert.equal(bot?.get("TOKEN"), token, "the bot itself got TOKEN from its environment");
      assert.match(await alice.ask("!run shows_env"), /Running `shows_env`/);
      await s.waitFor(async () =>
        (await s.postsIn(random)).find((p) => p.message === "shows_env is up")
      );
      const [host] = await descendants(s.bot.pid);
      const env = await environOf(host);
      assert.ok(env !== undefined, "the task process is running");
      // Deno's own variables (as the test runner passed them to the bot), the one the task was
      // granted, and nothing else.
      const deno = ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "DENO_CERT", "DENO_TLS_CA_STORE"];
      assert.deepEqual([...env.keys()].filter((k) => !deno.includes(k)).sort(), [
        "NO_COLOR",
        "TEAM_NAME",
      ]);
      assert.equal(env.get("TEAM_NAME"), s.env.TEAM_NAME);
      for (const value of env.values()) assert.equal(value.includes(token), false);
      assert.match(s.bot.output, /\[task shows_env\] TEAM_NAME is /);
      assert.match(s.bot.output, /\[task shows_env\] TOKEN is NotCapable/);
      assert.match(await alice.reply(60_000), /`shows_env` was stopped after/);
    });

    await t.step("run() may read neither /proc/self/environ nor a sibling file", async () => {
      for (const name of ["reads_environ", "reads_sibling"]) {
        assert.match(await alice.ask(`!run ${name}`), /Running/);
        assert.match(
          await alice.reply(60_000),
          new RegExp(`\`${name}\` failed after .*NotCapable`),
        );
      }
    });

    await t.step("nothing of it reached the bot-log channel or the log", async () => {
      const alert = await s.waitFor(async () =>
        (await s.postsIn(botLog)).find((p) => p.message.includes("Task plugins have problems"))
      );
      assert.match(alert.message, /`tasks\/asks_token\.ts` not loaded/);
      const all = (await s.postsIn(botLog)).map((p) => p.message).join("\n") + s.bot.output;
      assert.equal(all.includes(token), false);
      assert.equal(all.includes(reversed), false);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("DMs are answered while a file's top-level await never settles", async () => {
  const s = await startScenario({ startBot: false });
  const stuck = task("", "await new Promise(() => {});");
  await write(s.dir, {
    "tasks/a_quick.ts": task("  ctx.log.info('quick ran');"),
    "tasks/stuck1.ts": stuck,
    "tasks/stuck2.ts": stuck,
    "tasks/stuck3.ts": stuck,
    "tasks/stuck4.ts": stuck,
    "tasks/stuck5.ts": stuck,
  });
  const alice = s.dm(s.world.alice);
  try {
    // The default timeout: each stuck file's inspection ends only after 30 s.
    await s.startBot();
    assert.match(await alice.ask("!help"), /!tasks/);
    const list = await alice.ask("!tasks");
    assert.match(list, /Still inspecting [1-6] of 6 task files; send `!tasks` again shortly/);
    assert.match(
      await alice.ask("!run stuck5"),
      /`stuck5` is not inspected yet \(still inspecting [1-6] of 6 task files\); it starts as/,
    );
    assert.doesNotMatch(s.bot.output, /Tasks: \d+ loaded/, "inspection was still running");
    // Stopping the bot ends the inspections still running.
    const hosts = await descendants(s.bot.pid);
    assert.ok(hosts.length > 0, "inspections are running");
    assert.equal(await s.bot.stop(), 0);
    const alive = await processes();
    assert.deepEqual(hosts.filter((p) => alive.has(p)), [], "no inspection process is left");
  } finally {
    await s.stop();
  }
});

Deno.test("file names are shown escaped: no new list item, mention, code span or bidi trick", async () => {
  const names = [
    "two\n- @here look.ts",
    "back`tick.ts",
    "@here.ts",
    "bidi\u202eexe.ts.ts",
    "zero\u200bwidth.ts",
    "forged\n2026-01-01 00:00:00.000 +00:00 [FTL] postbot\u00b7main: FORGED.ts",
  ];
  const s = await startScenario({ startBot: false });
  await write(s.dir, Object.fromEntries(names.map((n) => [`tasks/${n}`, task("")])));
  const botLog = s.world.channels["bot-log"].id;
  const bob = s.dm(s.world.bob);
  try {
    await s.startBot({ BOT_LOG_CHANNEL_ID: botLog });
    await inspected(s);
    const list = await bob.ask("!tasks");
    const alert = await s.waitFor(async () =>
      (await s.postsIn(botLog)).find((p) => p.message.includes("Task plugins have problems"))
    );
    for (const text of [list, alert.message]) {
      assert.match(text, /`(tasks\/)?two<U\+000A>- @here look\.ts`/);
      assert.match(text, /`(tasks\/)?back<U\+0060>tick\.ts`/);
      assert.match(text, /`(tasks\/)?@here\.ts`/);
      assert.match(text, /`(tasks\/)?bidi<U\+202E>exe\.ts\.ts`/);
      assert.match(text, /`(tasks\/)?zero<U\+200B>width\.ts`/);
      // Every line is the list's own: no name started one, no raw bidi or zero-width mark.
      for (const line of text.split("\n")) {
        assert.doesNotMatch(line, /^- @here|^2026-01-01/, line);
      }
      assert.doesNotMatch(text, /[\u202e\u200b]/);
    }
    const logged = s.bot.output.split("\n").filter((l) => l.includes("Task file"));
    assert.equal(logged.length, names.length, logged.join("\n"));
    assert.doesNotMatch(s.bot.output, /^2026-01-01 00:00:00\.000 .*FORGED/m);
    for (const line of logged) {
      // deno-lint-ignore no-control-regex
      assert.doesNotMatch(line, /[\x00-\x08\x0b-\x1f\u200b\u202e]/, line);
      assert.match(line, /Task file `tasks\/.*` not loaded: a task name may contain only/, line);
    }
  } finally {
    await s.stop();
  }
});

Deno.test("the tasks directory may itself be a link the operator made", async () => {
  const s = await startScenario({ startBot: false });
  await write(s.dir, {
    "shared/tasks/reads_data.ts": task(
      `  ctx.log.info(await Deno.readTextFile(new URL("./data.txt", import.meta.url)));`,
      `export const PERMISSIONS = { read: [new URL("./data.txt", import.meta.url)] };`,
    ),
    "shared/tasks/data.txt": "data beside the task",
  });
  await Deno.symlink("shared/tasks", `${s.dir}/tasks`);
  const alice = s.dm(s.world.alice);
  try {
    await s.startBot();
    await inspected(s);
    assert.match(
      section(await alice.ask("!tasks"), "reads_data"),
      /extra permissions: `read tasks\/data\.txt`/,
    );
    assert.match(await alice.ask("!run reads_data"), /Running/);
    assert.match(await alice.reply(60_000), /`reads_data` finished/);
    assert.match(s.bot.output, /\[task reads_data\] data beside the task/);
  } finally {
    await s.stop();
  }
});
