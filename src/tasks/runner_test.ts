import assert from "node:assert/strict";
import { discoverTasks, type LoadedTask } from "./discovery.ts";
import { TaskHistory } from "./history.ts";
import { formatTaskLog, type RunReport, TaskRunner } from "./runner.ts";
import { startTaskWorld, type TaskWorld } from "./test_support.ts";

async function load(world: TaskWorld, name: string): Promise<LoadedTask> {
  const found = await discoverTasks({
    tasksDir: world.tasksDir,
    serverHost: new URL(world.emu.url).host,
    cwd: world.dir,
  });
  const task = found.loaded.find((t) => t.name === name);
  if (task === undefined) throw new Error(`${name} not loaded: ${JSON.stringify(found.broken)}`);
  return task;
}

function runner(
  world: TaskWorld,
  options: { timeoutMs?: number; graceMs?: number; alerts?: string[] } = {},
) {
  return new TaskRunner({
    history: new TaskHistory(world.database),
    serverUrl: world.emu.url,
    token: world.token,
    timeoutMs: options.timeoutMs ?? 20_000,
    memoryMb: 128,
    graceMs: options.graceMs ?? 500,
    alert: (text) => {
      options.alerts?.push(text);
      return Promise.resolve();
    },
    now: () => new Date(),
    timeZone: () => "Europe/Berlin",
  });
}

async function runOnce(r: TaskRunner, task: LoadedTask, by = "alice"): Promise<RunReport> {
  const started = r.start(task, { kind: "command", by });
  assert.equal(started.started, true);
  if (!started.started) throw new Error("not started");
  return await started.done;
}

Deno.test("a run posts through the client and ctx.post, and is recorded as ok", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "hello.ts",
    `export const DESCRIPTION = "says hello";
     export async function run(client, ctx) {
       const me = await client.getMe();
       await ctx.post("${world.channelId}", "hello from " + ctx.name + " as " + me.username);
     }`,
  );
  const r = runner(world);
  const report = await runOnce(r, await load(world, "hello"));
  assert.equal(report.outcome, "ok", report.error);
  const posts = world.emu.store.postsIn(world.channelId).filter((p) =>
    !p.type.startsWith("system_")
  );
  assert.deepEqual(posts.map((p) => p.message), ["hello from hello as postbot"]);
  assert.equal(posts[0].user_id, world.botUserId);
  const [row] = await new TaskHistory(world.database).recent("hello", 5);
  assert.equal(row.outcome, "ok");
  assert.equal(row.trigger, "command");
  assert.equal(row.triggeredBy, "alice");
  assert.ok(row.durationMs !== null && row.durationMs >= 0);
  assert.deepEqual(r.counters, { runsOk: 1, runsFailed: 0 });
});

Deno.test("a failing task is recorded with its error, counted and alerted", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "broken_run.ts",
    `export async function run() { throw new RangeError("the plan is empty"); }`,
  );
  const alerts: string[] = [];
  const r = runner(world, { alerts });
  const report = await runOnce(r, await load(world, "broken_run"), "bob");
  assert.equal(report.outcome, "failed");
  assert.equal(report.error, "RangeError: the plan is empty");
  const [row] = await new TaskHistory(world.database).recent("broken_run", 1);
  assert.equal(row.outcome, "failed");
  assert.equal(row.error, "RangeError: the plan is empty");
  assert.deepEqual(r.counters, { runsOk: 0, runsFailed: 1 });
  assert.equal(alerts.length, 1);
  assert.match(alerts[0], /broken_run/);
  assert.match(alerts[0], /!run by bob/);
  assert.match(alerts[0], /RangeError: the plan is empty/);
});

Deno.test("a task process denies .env, writes, environment, programs and other hosts", async () => {
  const world = await startTaskWorld();
  const other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("leaked"),
  );
  try {
    const attempts: Record<string, string> = {
      read_env_file: `await Deno.readTextFile(${JSON.stringify(`${world.dir}/.env`)});`,
      read_relative: `await Deno.readTextFile("../.env");`,
      write_file: `await Deno.writeTextFile(${JSON.stringify(`${world.dir}/evil.txt`)}, "x");`,
      read_env_var: `Deno.env.get("TOKEN");`,
      run_program: `await new Deno.Command("/bin/true").output();`,
      other_port: `await fetch("http://127.0.0.1:${other.addr.port}/");`,
      other_host: `await fetch("https://example.com/");`,
      sys_info: `Deno.hostname();`,
    };
    const r = runner(world);
    for (const [name, code] of Object.entries(attempts)) {
      await world.writeTask(`${name}.ts`, `export async function run() { ${code} }`);
      const report = await runOnce(r, await load(world, name));
      assert.equal(report.outcome, "failed", `${name}: ${report.outcome}`);
      assert.match(
        report.error ?? "",
        /^(NotCapable|PermissionDenied): Requires/,
        `${name}: ${report.error}`,
      );
    }
    assert.equal(
      await Deno.stat(`${world.dir}/evil.txt`).then(() => true, () => false),
      false,
    );
  } finally {
    await other.shutdown();
    await world.close();
  }
});

Deno.test("PERMISSIONS extends a task's permissions, within what the bot holds", async () => {
  await using world = await startTaskWorld();
  await Deno.writeTextFile(`${world.tasksDir}/plan.md`, "Monday: patch the routers");
  await world.writeTask(
    "plan.ts",
    `export const PERMISSIONS = { read: [new URL("./plan.md", import.meta.url)] };
     export async function run(client, ctx) {
       const text = await Deno.readTextFile(new URL("./plan.md", import.meta.url));
       await ctx.post("${world.channelId}", text);
     }`,
  );
  const task = await load(world, "plan");
  assert.deepEqual(task.permissions.extra, ["`read tasks/plan.md`"]);
  const report = await runOnce(runner(world), task);
  assert.equal(report.outcome, "ok", report.error);
  assert.deepEqual(world.messages(), ["Monday: patch the routers"]);
});

Deno.test("a hanging task and a busy loop are ended by the timeout", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "hangs.ts",
    `export async function run() { await new Promise(() => {}); }`,
  );
  await world.writeTask("spins.ts", `export async function run() { while (true) {} }`);
  const alerts: string[] = [];
  const r = runner(world, { timeoutMs: 1_000, alerts });
  for (const name of ["hangs", "spins"]) {
    const report = await runOnce(r, await load(world, name));
    assert.equal(report.outcome, "timeout", name);
    assert.match(report.error ?? "", /TASK_TIMEOUT_SECONDS/);
    assert.equal((await new TaskHistory(world.database).lastRun(name))?.outcome, "timeout");
  }
  assert.equal(alerts.length, 2);
  assert.match(alerts[0], /hangs.*timed out/);
  assert.equal(r.counters.runsFailed, 2);
});

Deno.test("at the timeout ctx.signal is aborted first, so a task can stop politely", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "polite.ts",
    `export async function run(client, ctx) {
       if (!ctx.signal.aborted) {
         await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
       }
       await ctx.post("${world.channelId}", "stopping: " + ctx.signal.reason.message);
     }`,
  );
  const r = runner(world, { timeoutMs: 1_000, graceMs: 20_000 });
  const report = await runOnce(r, await load(world, "polite"));
  assert.equal(report.outcome, "timeout");
  assert.deepEqual(world.messages(), ["stopping: the run took longer than 1 s"]);
});

Deno.test("a second trigger while the task runs is skipped and recorded; stop interrupts", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "slow.ts",
    `export async function run() { await new Promise(() => {}); }`,
  );
  const task = await load(world, "slow");
  const r = runner(world);
  const first = r.start(task, { kind: "schedule" });
  assert.equal(first.started, true);
  const second = r.start(task, { kind: "command", by: "carol" });
  assert.equal(second.started, false);
  if (second.started) return;
  assert.equal(second.report.outcome, "skipped");
  assert.equal(second.running?.trigger.kind, "schedule");
  assert.equal(r.running("slow")?.trigger.kind, "schedule");
  await r.stop();
  if (!first.started) return;
  const report = await first.done;
  assert.equal(report.outcome, "interrupted");
  const rows = await new TaskHistory(world.database).recent("slow", 5);
  assert.deepEqual(rows.map((row) => row.outcome).sort(), ["interrupted", "skipped"]);
  const skipped = rows.find((row) => row.outcome === "skipped");
  assert.equal(skipped?.triggeredBy, "carol");
  assert.equal(r.running("slow"), undefined);
  assert.equal(r.start(task, { kind: "schedule" }).started, false, "no runs after stop");
});

Deno.test("the token never reaches a recorded error; stray rejections fail the run", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "leaks.ts",
    `export async function run(client) { throw new Error("token is " + client.getToken()); }`,
  );
  await world.writeTask(
    "stray.ts",
    `export async function run() {
       Promise.reject(new Error("nobody awaited me"));
       await new Promise(() => {});
     }`,
  );
  const r = runner(world);
  const leaked = await runOnce(r, await load(world, "leaks"));
  assert.equal(leaked.outcome, "failed");
  assert.equal(leaked.error, "Error: token is [redacted]");
  const row = await new TaskHistory(world.database).lastRun("leaks");
  assert.equal(row?.error?.includes(world.token.reveal()), false);
  const stray = await runOnce(r, await load(world, "stray"));
  assert.equal(stray.outcome, "failed");
  assert.match(stray.error ?? "", /nobody awaited me/);
});

Deno.test("task log lines fill placeholders and keep other properties", () => {
  assert.equal(formatTaskLog("posted {count} items", { count: 3 }), "posted 3 items");
  assert.equal(formatTaskLog("done", { channel: "ops" }), 'done {"channel":"ops"}');
  assert.equal(formatTaskLog("{missing} stays", undefined), "{missing} stays");
});

Deno.test("ctx.post splits a long message at line breaks into posts under the limit", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "long.ts",
    `export async function run(client, ctx) {
       const line = "é".repeat(99) + "\\n";
       const posts = await ctx.post("${world.channelId}", line.repeat(300));
       ctx.log.info("posted {n}", { n: posts.length });
     }`,
  );
  const report = await runOnce(runner(world), await load(world, "long"));
  assert.equal(report.outcome, "ok", report.error);
  const posts = world.messages();
  assert.equal(posts.length, 2);
  for (const p of posts) assert.ok(Array.from(p).length <= 16_383);
  for (const p of posts) {
    const lines = p.split("\n").filter((l) => l !== "");
    assert.ok(lines.every((l) => l === "é".repeat(99)), "split at a line break");
  }
  assert.equal(posts.join("\n"), ("é".repeat(99) + "\n").repeat(300));
});
