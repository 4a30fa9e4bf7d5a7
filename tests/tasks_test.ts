/**
 * Task plugins end to end: a real postbot process (started exactly like `deno task start`)
 * with task files in its tasks/ directory and a scheduler.toml, driven over DMs against the
 * emulator. Covers `!tasks` and `!run`, broken files, the sandbox refusing a hostile task,
 * the timeout, overlapping runs, failure alerts in the bot-log channel, the real minute
 * ticker, the example task, and a restart picking up a new file.
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "@postbot/harness";
import { repoPath } from "@postbot/harness/bot";
import { until } from "@postbot/mattermost-emulator/testing";
import { storeRows } from "./support/store.ts";

/** Task files import the public types by absolute URL: they live outside the repository. */
const TYPES = new URL("../src/tasks/types.ts", import.meta.url).href;

function task(body: string, header = ""): string {
  return `import type { Client4, TaskContext } from ${JSON.stringify(TYPES)};
${header}
export async function run(client: Client4, ctx: TaskContext): Promise<void> {
${body}
}
`;
}

interface RunRow {
  task: string;
  trigger: string;
  triggered_by: string | null;
  outcome: string;
  error: string | null;
}

async function runs(s: Scenario): Promise<RunRow[]> {
  return await storeRows(
    s,
    "SELECT task, trigger, triggered_by, outcome, error FROM task_runs ORDER BY id",
  ) as unknown as RunRow[];
}

/** The block of `!tasks` about one task. */
function section(list: string, name: string): string {
  const block = list.split("\n\n").find((b) => b.startsWith(`**${name}**`));
  assert.ok(block !== undefined, `no section for ${name} in:\n${list}`);
  return block;
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, content);
  }
}

Deno.test("task plugins end to end", async (t) => {
  const s = await startScenario({ startBot: false });
  const ch = s.world.channels;
  const botLog = ch["bot-log"].id;
  const plan = await Deno.readTextFile(repoPath("tasks/maintenance_plan.md"));
  await writeFiles(s.dir, {
    "tasks/hello.ts": task(
      `  const me = await client.getMe();
  await client.createPost({ channel_id: ${JSON.stringify(ch["town-square"].id)},
    message: "hello from " + ctx.name + " as " + me.username } as never);`,
      `export const DESCRIPTION = "Says hello in Town Square";`,
    ),
    "tasks/ticks.ts": task(
      `  await ctx.post(${JSON.stringify(ch.random.id)}, "tick " + ctx.trigger.kind);`,
    ),
    "tasks/relative_types.ts": `import type { TaskContext } from "../src/tasks/types.ts";
export async function run(_client: unknown, ctx: TaskContext) { ctx.log.info("fine"); }
`,
    "tasks/lib/greeting.ts": `export const greeting = "hello from a helper module";\n`,
    // A local module is imported inside run, and listed under PERMISSIONS.read.
    "tasks/uses_helper.ts": task(
      `  const { greeting } = await import("./lib/greeting.ts");
  ctx.log.info(greeting);`,
      `export const PERMISSIONS = { read: [new URL("./lib/greeting.ts", import.meta.url)] };`,
    ),
    "tasks/reads_env.ts": task(`  await Deno.readTextFile(".env");`),
    "tasks/writes.ts": task(`  await Deno.writeTextFile("pwned.txt", "x");`),
    "tasks/phones_home.ts": task(`  await fetch("https://example.com/collect");`),
    "tasks/fails.ts": task(`  throw new Error("the plan is empty");`),
    "tasks/hangs.ts": task(`  await new Promise(() => {});`),
    "tasks/broken_syntax.ts": `export async function run( {`,
    "tasks/no_run.ts": `export const DESCRIPTION = "forgot to export run";`,
    "tasks/shouts.ts": task("  return;", `export const PERMISSIONS = { "@all look": true };`),
    "tasks/loud.ts": task(
      "  return;",
      `export const DESCRIPTION = "@all read this\\n**[postbot]** \`fake\` [link](https://x.example)";`,
    ),
    "tasks/maintenance_plan.ts": await Deno.readTextFile(repoPath("tasks/maintenance_plan.ts")),
    "tasks/maintenance_plan.md": plan.replace(
      /^<!-- channel: -->/,
      `<!-- channel: ${ch["office-berlin"].id} -->`,
    ),
    "scheduler.toml": `timezone = "Europe/Berlin"
[tasks]
hello = "0 7 * * 1"
ticks = "* * * * *"
fails = "61 * * * *"
ghost = "0 7 * * *"
no_run = "0 7 * * *"
`,
  });
  // The timeout also bounds each file's inspection (process start and import): 3 s was too
  // short for the legitimate files on a loaded 2-core machine, which then failed to load.
  const env = { BOT_LOG_CHANNEL_ID: botLog, TASK_TIMEOUT_SECONDS: "10" };
  const alice = s.dm(s.world.alice);
  const bob = s.dm(s.world.bob);
  try {
    await s.startBot(env);

    await t.step(
      "broken files and bad schedules do not stop the bot; they are alerted",
      async () => {
        const alert = await s.waitFor(async () =>
          (await s.postsIn(botLog)).find((p) => p.message.includes("Task plugins have problems"))
        );
        assert.match(alert.message, /broken_syntax\.ts/);
        assert.match(alert.message, /no_run\.ts.*does not export a function named run/);
        assert.match(alert.message, /there is no task `ghost`/);
        assert.match(alert.message, /`fails`.*not a valid cron expression/);
        assert.match(s.bot.output, /Task file `tasks\/broken_syntax\.ts` not loaded/);
        // A task's own words in the alert cannot mention anyone.
        assert.match(alert.message, /shouts\.ts.*PERMISSIONS key `@all look`/);
        assert.doesNotMatch(alert.message.replaceAll(/`[^`\n]*`/g, ""), /@all/);
      },
    );

    await t.step(
      "!tasks lists tasks, schedules in Berlin time, and what did not load",
      async () => {
        const list = await bob.ask("!tasks");
        assert.match(list, /Tasks \(times in Europe\/Berlin\)/);
        const hello = section(list, "hello");
        assert.match(hello, /^\*\*hello\*\* — `Says hello in Town Square`/);
        // A task's description cannot mention, start a line or format the reply.
        assert.match(
          section(list, "loud"),
          /^\*\*loud\*\* — `@all read this \*\*\[postbot\]\*\* {2}fake {2}\[link\]\(https:\/\/x\.example\)`$/m,
        );
        assert.match(hello, /schedule: `0 7 \* \* 1` · next run: Mon \d{4}-\d\d-\d\d 07:00/);
        assert.match(hello, /last run: never/);
        assert.match(section(list, "fails"), /not scheduled; run it with `!run fails`/);
        assert.match(
          section(list, "maintenance_plan"),
          /extra permissions: `read tasks\/maintenance_plan\.md`/,
        );
        assert.match(list, /Not loaded[\s\S]*`broken_syntax\.ts`: it failed to import/);
        assert.match(list, /`no_run\.ts`: it does not export a function named run/);
        assert.match(list, /Schedule problems[\s\S]*no task `ghost`/);
      },
    );

    await t.step("!run runs a task and answers with the outcome and duration", async () => {
      assert.match(await alice.ask("!run hello"), /Running `hello`/);
      assert.match(await alice.reply(), /:white_check_mark: `hello` finished in \d/);
      const posts = await s.postsIn(ch["town-square"].id);
      assert.equal(posts.at(-1)?.message, "hello from hello as postbot");
      assert.equal(posts.at(-1)?.user_id, s.world.bot.user.id);
      assert.match(await alice.ask("!run relative_types"), /Running/);
      assert.match(await alice.reply(), /`relative_types` finished/);
      assert.match(await alice.ask("!run uses_helper"), /Running/);
      assert.match(await alice.reply(), /`uses_helper` finished/);
      assert.match(s.bot.output, /\[task uses_helper\] hello from a helper module/);
    });

    await t.step("!run is for admins; unknown names get the list of tasks", async () => {
      assert.match(await bob.ask("!run hello"), /limited to administrators/);
      const unknown = await alice.ask("!run helo");
      assert.match(unknown, /There is no task `helo`; tasks: .*`hello`/);
      assert.match(await alice.ask("!run no_run"), /`no_run` could not be loaded/);
    });

    await t.step("the sandbox refuses .env, writing files and other hosts", async () => {
      const cases: [string, RegExp][] = [
        ["reads_env", /Requires read access to "?\.env/],
        ["writes", /Requires write access to "?pwned\.txt/],
        ["phones_home", /Requires net access to "?example\.com/],
      ];
      for (const [name, reason] of cases) {
        assert.match(await alice.ask(`!run ${name}`), /Running/);
        const outcome = await alice.reply();
        assert.match(outcome, new RegExp(`:x: \`${name}\` failed after .*NotCapable`), name);
        assert.match(outcome, reason, name);
      }
      await assert.rejects(Deno.stat(`${s.dir}/pwned.txt`), Deno.errors.NotFound);
    });

    await t.step(
      "a failure is alerted in the bot-log channel with task, trigger and error",
      async () => {
        assert.match(await alice.ask("!run fails"), /Running/);
        assert.match(await alice.reply(), /`fails` failed after .*`Error: the plan is empty`/);
        const alert = await s.waitFor(async () =>
          (await s.postsIn(botLog)).find((p) => p.message.includes("the plan is empty"))
        );
        assert.match(alert.message, /Task `fails` failed \(trigger: !run by alice/);
        // Logged with the stack, which points into the task file.
        assert.match(
          s.bot.output,
          /Task fails failed[^\n]*the plan is empty\n.*\n\s+at .*fails\.ts:\d+/,
        );
      },
    );

    await t.step(
      "a hanging task is stopped by the timeout; a second run meanwhile is skipped",
      async () => {
        assert.match(await alice.ask("!run hangs"), /Running `hangs`/);
        assert.match(await alice.ask("!run hangs"), /`hangs` is already running .* skipped/);
        // DM handling goes on while the task hangs.
        assert.match(section(await bob.ask("!tasks"), "hangs"), /running now, since/);
        assert.match(
          await alice.reply(45_000),
          /`hangs` was stopped after .*TASK_TIMEOUT_SECONDS/,
        );
        await s.waitFor(async () =>
          (await s.postsIn(botLog)).find((p) => /`hangs` timed out/.test(p.message))
        );
      },
    );

    await t.step("the example task posts this week's plan", async () => {
      assert.match(await alice.ask("!run maintenance_plan"), /Running/);
      assert.match(await alice.reply(), /`maintenance_plan` finished/);
      const post = (await s.postsIn(ch["office-berlin"].id)).at(-1);
      assert.match(post?.message ?? "", /^#### Maintenance plan — week of \d{4}-\d\d-\d\d\n/);
      // This week's section when the plan has one, else the "Every week" section.
      assert.match(post?.message ?? "", /Tuesday 22:00|core switch/);
    });

    await t.step("the minute ticker runs scheduled tasks", async () => {
      const tick = await s.waitFor(
        async () => (await s.postsIn(ch.random.id)).find((p) => p.message === "tick schedule"),
        { timeoutMs: 90_000 },
      );
      assert.equal(tick.user_id, s.world.bot.user.id);
      const row = await until(
        async () => (await runs(s)).find((r) => r.task === "ticks" && r.outcome === "ok"),
        "the scheduled run's history row",
      );
      assert.equal(row.trigger, "schedule");
      assert.equal(row.triggered_by, null);
    });

    await t.step("every run is in the history, with trigger, user and outcome", async () => {
      const rows = await runs(s);
      const find = (task: string, outcome: string) =>
        rows.find((r) => r.task === task && r.outcome === outcome);
      assert.deepEqual({ ...find("hello", "ok") }, {
        task: "hello",
        trigger: "command",
        triggered_by: "alice",
        outcome: "ok",
        error: null,
      });
      assert.match(find("reads_env", "failed")?.error ?? "", /NotCapable/);
      assert.equal(find("hangs", "timeout")?.triggered_by, "alice");
      assert.match(find("hangs", "skipped")?.error ?? "", /still running/);
      assert.equal(rows.some((r) => r.outcome === "running" && r.task !== "ticks"), false);
    });

    await t.step(
      "a file added to tasks/ is available after a restart; history is kept",
      async () => {
        assert.equal(await s.bot.stop(), 0);
        await writeFiles(s.dir, {
          "tasks/added.ts": task(
            `  ctx.log.info("added");`,
            `export const DESCRIPTION = "New one";`,
          ),
        });
        await s.startBot(env);
        // The files are inspected in the background: wait until that is done.
        await s.bot.waitForOutput(/Tasks: \d+ loaded/, 120_000);
        const list = await alice.ask("!tasks");
        assert.match(section(list, "added"), /^\*\*added\*\* — `New one`/);
        assert.match(
          section(list, "hello"),
          /last run: .*\(!run by alice\), :white_check_mark: ok/,
        );
        assert.match(await alice.ask("!run added"), /Running/);
        assert.match(await alice.reply(), /`added` finished/);
      },
    );
  } finally {
    await s.stop();
  }
});
