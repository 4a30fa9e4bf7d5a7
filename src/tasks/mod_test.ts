import assert from "node:assert/strict";
import { recordingContext } from "@postbot/framework/testing";
import { TaskHistory } from "./history.ts";
import { createTaskSystem, type TaskSystemDeps } from "./mod.ts";
import { until } from "@postbot/mattermost-emulator/testing";
import { collectAlerts, startTaskWorld, type TaskWorld } from "./test_support.ts";

/** An admin's DM whose replies are recorded. */
function fakeContext(username: string) {
  return recordingContext({ senderName: username, access: "admin" });
}

function system(world: TaskWorld, clock: { now: Date }, extra: Partial<TaskSystemDeps> = {}) {
  const { alerts, alert } = collectAlerts();
  let tick: (() => void) | undefined;
  let tickerSignal: AbortSignal | undefined;
  const tasks = createTaskSystem({
    db: world.database,
    serverUrl: world.emu.url,
    token: world.token,
    tasksDir: world.tasksDir,
    schedulerTomlPath: `${world.dir}/scheduler.toml`,
    timezone: undefined,
    timeoutSeconds: 20,
    memoryMb: 128,
    alert,
    now: () => clock.now,
    ticker: (onTick, signal) => {
      tick = onTick;
      tickerSignal = signal;
    },
    ...extra,
  });
  return {
    tasks,
    alerts,
    tick: (at: string) => {
      clock.now = new Date(at);
      tick?.();
    },
    tickerSignal: () => tickerSignal,
    command: (name: string) => tasks.commands.find((c) => c.name === name)!,
  };
}

Deno.test("a task scheduled in Berlin time runs at that wall-clock time and shows in !tasks", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "weekly.ts",
    `export const DESCRIPTION = "Posts the weekly plan";
     export async function run(client, ctx) { await ctx.post("${world.channelId}", "plan"); }`,
  );
  await world.writeTask("broken.ts", `export const nothing = 1;`);
  await Deno.writeTextFile(
    `${world.dir}/scheduler.toml`,
    `timezone = "Europe/Berlin"\n[tasks]\nweekly = "0 7 * * 1"\nghost = "0 7 * * 1"\n`,
  );
  // Monday 31 March 2025, 06:58:30 in Berlin (summer time, UTC+2).
  const clock = { now: new Date("2025-03-31T04:58:30Z") };
  const s = system(world, clock);
  await s.tasks.start();
  await s.tasks.inspected();
  assert.equal(s.alerts.length, 1);
  assert.match(s.alerts[0], /broken\.ts.*does not export a function named run/);
  assert.match(s.alerts[0], /there is no task `ghost`/);

  s.tick("2025-03-31T04:59:00Z");
  assert.equal(await new TaskHistory(world.database).lastRun("weekly"), undefined);
  s.tick("2025-03-31T05:00:00Z");
  await until(
    async () =>
      (await new TaskHistory(world.database).lastRun("weekly"))?.outcome === "ok"
        ? true
        : undefined,
    "the scheduled run to finish",
  );
  assert.deepEqual(
    world.messages(),
    ["plan"],
  );
  assert.equal((await new TaskHistory(world.database).lastRun("weekly"))?.trigger, "schedule");
  assert.equal(s.tasks.counters.runsOk, 1);

  const { ctx, replies } = fakeContext("alice");
  await s.command("tasks").run(ctx, "");
  const list = replies[0];
  assert.match(list, /Tasks \(times in Europe\/Berlin\)/);
  assert.match(list, /\*\*weekly\*\* — `Posts the weekly plan`/);
  assert.match(list, /schedule: `0 7 \* \* 1` · next run: Mon 2025-04-07 07:00/);
  assert.match(list, /last run: Mon 2025-03-31 07:00 \(schedule\), :white_check_mark: ok in/);
  assert.match(list, /Not loaded[\s\S]*`broken\.ts`: it does not export a function named run/);
  assert.match(list, /Schedule problems[\s\S]*there is no task `ghost`/);

  await s.tasks.stop();
  assert.equal(s.tickerSignal()?.aborted, true);
});

Deno.test("!run answers twice: started, then the outcome; unknown names get the list", async () => {
  await using world = await startTaskWorld();
  await world.writeTask("ok_task.ts", `export async function run() {}`);
  await world.writeTask(
    "fails.ts",
    `export async function run() { throw new Error("no plan"); }`,
  );
  await world.writeTask("broken.ts", `export const run = "soon";`);
  const s = system(world, { now: new Date() });
  await s.tasks.start();
  await s.tasks.inspected();
  const run = s.command("run");
  assert.equal(run.adminOnly, true);

  const ok = fakeContext("alice");
  await run.run(ok.ctx, "ok_task");
  await until(() => ok.replies[1], "the outcome of ok_task");
  assert.match(ok.replies[0], /Running `ok_task`/);
  assert.match(ok.replies[1], /`ok_task` finished in \d/);
  assert.equal((await new TaskHistory(world.database).lastRun("ok_task"))?.triggeredBy, "alice");

  const failed = fakeContext("bob");
  await run.run(failed.ctx, "fails");
  await until(() => failed.replies[1], "the outcome of fails");
  assert.match(failed.replies[1], /`fails` failed after .*`Error: no plan`/);
  assert.equal(s.alerts.filter((a) => a.includes("no plan")).length, 1);
  assert.match(
    s.alerts.find((a) => a.includes("no plan"))!,
    /`fails` failed \(trigger: !run by bob/,
  );

  const unknown = fakeContext("alice");
  await run.run(unknown.ctx, "nope");
  assert.match(unknown.replies[0], /There is no task `nope`; tasks: `fails`, `ok_task`/);
  await run.run(unknown.ctx, "broken");
  assert.match(unknown.replies[1], /`broken` could not be loaded: its run export is a `string`/);
  await run.run(unknown.ctx, "");
  assert.match(unknown.replies[2], /Usage: `!run <task>`/);
  await s.tasks.stop();
});

Deno.test("SCHEDULER_TIMEZONE wins over the file; a broken scheduler.toml schedules nothing", async () => {
  await using world = await startTaskWorld();
  await world.writeTask("t.ts", `export async function run() {}`);
  await Deno.writeTextFile(
    `${world.dir}/scheduler.toml`,
    `timezone = "Europe/Berlin"\n[tasks]\nt = "0 9 * * *"\n`,
  );
  // 14:00 in Tokyo but 06:00 in Berlin: the next 09:00 falls on different days.
  const clock = { now: new Date("2025-01-15T05:00:00Z") };
  const tokyo = system(world, clock, { timezone: "Asia/Tokyo" });
  await tokyo.tasks.start();
  await tokyo.tasks.inspected();
  const { ctx, replies } = fakeContext("alice");
  await tokyo.command("tasks").run(ctx, "");
  assert.match(replies[0], /times in Asia\/Tokyo/);
  assert.match(replies[0], /next run: Thu 2025-01-16 09:00/);
  await tokyo.tasks.stop();

  await Deno.writeTextFile(`${world.dir}/scheduler.toml`, `[tasks]\nt = "0 9 * * *\n`);
  const broken = system(world, clock);
  await broken.tasks.start();
  await broken.tasks.inspected();
  const list = fakeContext("alice");
  await broken.command("tasks").run(list.ctx, "");
  assert.match(list.replies[0], /not scheduled; run it with `!run t`/);
  assert.match(list.replies[0], /scheduler\.toml line 2, column \d+: .*no task is scheduled/);
  await broken.tasks.stop();
});

Deno.test("commands answer while a file is still being inspected, and say so", async () => {
  await using world = await startTaskWorld();
  await world.writeTask("quick.ts", `export async function run() {}`);
  await world.writeTask("stuck.ts", `await new Promise(() => {}); export async function run() {}`);
  const s = system(world, { now: new Date() }, { inspectTimeoutMs: 60_000 });
  await s.tasks.start();
  const tasks = s.command("tasks");
  // quick.ts is done long before stuck.ts's inspection can end (at its 60 s timeout).
  const list = await until(async () => {
    const { ctx, replies } = fakeContext("bob");
    await tasks.run(ctx, "");
    return /\*\*quick\*\*/.test(replies[0]) ? replies[0] : undefined;
  }, "quick to be inspected");
  assert.match(list, /:hourglass: Still inspecting 1 of 2 task files; send `!tasks` again shortly/);
  assert.match(list, /\*\*quick\*\*[\s\S]*schedule: read once every file is inspected/);
  const stuckRun = fakeContext("alice");
  await s.command("run").run(stuckRun.ctx, "stuck");
  assert.match(
    stuckRun.replies[0],
    /`stuck` is not inspected yet \(still inspecting 1 of 2 task files\); it starts as soon as it is/,
  );
  const { ctx, replies } = fakeContext("alice");
  await s.command("run").run(ctx, "quick");
  await until(() => replies[1], "quick's outcome");
  assert.match(replies[1], /`quick` finished/);
  // Stopping ends the inspection still running; the waiting !run says it was not run.
  await s.tasks.stop();
  await s.tasks.inspected();
  await until(() => stuckRun.replies[1], "the answer to the waiting !run");
  assert.match(stuckRun.replies[1], /`stuck` was not run: the bot is shutting down/);
});

Deno.test("a !run that arrives before its file is inspected runs once it is", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "slow.ts",
    `await new Promise((r) => setTimeout(r, 1500));
     export async function run(client, ctx) { await ctx.post("${world.channelId}", "slow ran"); }`,
  );
  const s = system(world, { now: new Date() });
  await s.tasks.start();
  const { ctx, replies } = fakeContext("alice");
  await s.command("run").run(ctx, "slow");
  assert.match(replies[0], /`slow` is not inspected yet .*it starts as soon as it is/);
  await until(() => replies[2], "the outcome of slow");
  assert.match(replies[1], /Running `slow`/);
  assert.match(replies[2], /`slow` finished/);
  assert.deepEqual(world.messages(), ["slow ran"]);
  await s.tasks.stop();
});

Deno.test("what came due while files were inspected runs once they are; odd names escaped", async () => {
  await using world = await startTaskWorld();
  await world.writeTask("every.ts", `export async function run() {}`);
  await world.writeTask("stuck.ts", `await new Promise(() => {}); export async function run() {}`);
  await Deno.writeTextFile(
    `${world.dir}/scheduler.toml`,
    `[tasks]\nevery = "* * * * *"\n"x\\n- @here" = "* * * * *"\n`,
  );
  const clock = { now: new Date("2025-01-15T10:00:30Z") };
  const s = system(world, clock, { inspectTimeoutMs: 3_000 });
  await s.tasks.start();
  s.tick("2025-01-15T10:01:00Z");
  assert.equal(
    await new TaskHistory(world.database).lastRun("every"),
    undefined,
    "nothing is scheduled yet",
  );
  await s.tasks.inspected();
  const run = await until(() => new TaskHistory(world.database).lastRun("every"), "the late run");
  assert.equal(run.trigger, "schedule");
  const { ctx, replies } = fakeContext("bob");
  await s.command("tasks").run(ctx, "");
  // (Mentions are defused too: a zero-width space after the @.)
  assert.match(replies[0], /there is no task `x<U\+000A>- @\u200b?here`/);
  for (const line of replies[0].split("\n")) assert.doesNotMatch(line, /^- @here/, line);
  await s.tasks.stop();
});
