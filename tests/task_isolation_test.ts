/**
 * A task can never take the bot down: hostile task files, at import time and in run(), against
 * a real postbot process (started like `deno task start`) driven over DMs on the emulator.
 * Memory bombs, busy loops, Deno.exit, thrown non-Errors and forged control output end only
 * the task's own process; the bot keeps answering, its CPU time stops rising once a run is
 * reported stopped, no task process outlives its job, and the bot's memory stays flat.
 */

import assert from "node:assert/strict";
import { until } from "@postbot/mattermost-emulator/testing";
import { descendants, processes } from "./support/processes.ts";
import { type Scenario, startScenario } from "@postbot/harness";

const MARK = "FORGED-0x5eed";

/** A task file whose run() has `body`; `header` goes at the top level. */
function task(body: string, header = ""): string {
  return `${header}
export async function run(client, ctx) {
${body}
}
`;
}

/** Hostile task files, by name. */
const FILES: Record<string, string> = {
  // Import time (inspection): each is reported by file name, the bot starts anyway.
  "top_heap.ts": task("", "const keep = []; while (true) keep.push(new Array(1e5).fill(1.5));"),
  "top_buffers.ts": task(
    "",
    "const keep = []; while (true) keep.push(new Uint8Array(8 * 1024 * 1024).fill(7));",
  ),
  "top_spin.ts": task("", "while (true) {}"),
  "top_spin_async.ts": task("", "await Promise.resolve(); for (;;) {}"),
  "top_exit.ts": task("", "Deno.exit(0);"),
  "top_throw_null.ts": task("", "throw null;"),
  "top_forged.ts": `
console.log(JSON.stringify({ nonce: "0".repeat(48), report: { kind: "inspected", runType: "function" } }));
Deno.stdout.writeSync(new TextEncoder().encode('{"report":{"kind":"inspected","runType":"function"}}\\n'));
self.postMessage({ kind: "tagged", secret: "", message: { kind: "inspected", runType: "function" } });
self.postMessage({ kind: "inspected", runType: "function" });
export const DESCRIPTION = "has no run, whatever it prints";
`,
  // run(): memory.
  "heap_bomb.ts": task("  const keep = []; while (true) keep.push(new Array(1e5).fill(1.5));"),
  "buffer_bomb.ts": task(
    "  const keep = []; while (true) keep.push(new Uint8Array(8 * 1024 * 1024).fill(7));",
  ),
  "async_bomb.ts": task(`  const keep = [];
  await new Promise(() => setInterval(() => { for (let i = 0; i < 20; i++) keep.push(new Array(1e5).fill(i + 0.5)); }, 1));`),
  "worker_bomb.ts": task(
    `  const src = "const k = []; while (true) k.push(new Uint8Array(8 * 1024 * 1024).fill(1));";
  new Worker(URL.createObjectURL(new Blob([src], { type: "application/javascript" })), { type: "module" });
  await new Promise(() => {});`,
  ),
  // run(): CPU.
  "spin.ts": task("  while (true) {}"),
  "spin_later.ts": task("  await Promise.resolve(); for (;;) {}"),
  "spin_timer.ts": task("  setTimeout(() => { while (true) {} }, 0); await new Promise(() => {});"),
  "blocks.ts": task("  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);"),
  "spin_on_abort.ts": task(
    "  ctx.signal.addEventListener('abort', () => { while (true) {} }); await new Promise(() => {});",
  ),
  // run(): leaving early, forging results, throwing odd values.
  "exits.ts": task("  Deno.exit(0);"),
  "closes.ts": task("  self.close();"),
  "forges_ok.ts": task(
    `  console.log(JSON.stringify({ nonce: "0".repeat(48), report: { kind: "finished" } }));
  Deno.stdout.writeSync(new TextEncoder().encode('{"report":{"kind":"finished"}}\\n'));
  self.postMessage({ kind: "tagged", secret: "", message: { kind: "finished" } });
  self.postMessage({ kind: "finished" });
  throw new Error("the real outcome");`,
  ),
  "forges_then_hangs.ts": task(
    `  self.postMessage({ kind: "tagged", secret: undefined, message: { kind: "finished" } });
  console.log('{"kind":"finished"}');
  await new Promise(() => {});`,
  ),
  "fake_log.ts": task(
    `  console.log("fine\\n2026-01-01 00:00:00.000 +00:00 [INF] postbot·tasks: ${MARK} Task fake_log finished");
  Deno.stderr.writeSync(new TextEncoder().encode("\\n2026-01-01 00:00:00.000 +00:00 [FTL] postbot·main: ${MARK} stderr\\n"));
  Deno.stdout.writeSync(new TextEncoder().encode("\\x1b[2K\\r${MARK} stdout\\u202e\\n"));
  const e = new Error("${MARK} error");
  e.stack = "Error\\n2026-01-01 00:00:00.000 +00:00 [INF] postbot·main: ${MARK} stack";
  throw e;`,
  ),
  "throws_null.ts": task("  throw null;"),
  "throws_object.ts": task("  throw { code: 42, why: 'an object' };"),
  "throws_proxy.ts": task(
    "  throw new Proxy({}, { get() { throw 1; }, getPrototypeOf() { throw 2; }, ownKeys() { throw 3; } });",
  ),
  "fine.ts": task("  ctx.log.info('fine ran');"),
  // run(): reaching for the bot.
  "kills_bot.ts": task("  Deno.kill(Deno.ppid, 'SIGKILL');"),
  "kills_itself.ts": task("  Deno.kill(Deno.pid, 'SIGKILL');"),
  "asks_self.ts": task(
    "  await new Deno.Command('/proc/self/exe', { args: ['eval', '1'] }).output();",
    'export const PERMISSIONS = { run: ["/proc/self/exe"] };',
  ),
  "floods.ts": task(`  const line = new TextEncoder().encode("z".repeat(4000) + "\\n");
  for (;;) Deno.stdout.writeSync(line);`),
  "floods_log.ts": task("  for (let i = 0; ; i++) console.log('flood', i);"),
  "steals_stdin.ts": task(`  const buf = new Uint8Array(4096);
  const n = await Deno.stdin.read(buf);
  console.log(JSON.stringify({ nonce: new TextDecoder().decode(buf.subarray(0, n ?? 0)), report: { kind: "finished" } }));
  await new Promise(() => {});`),
};

async function rssMb(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
    .output();
  return Number(/VmRSS:\s+(\d+)/.exec(new TextDecoder().decode(out.stdout))?.[1]) / 1024;
}

/** CPU ticks the bot and every process below it use over one second. */
/** CPU ticks used so far by `pid` and the processes below it now. */
async function treeTicks(pid: number): Promise<number> {
  const table = await processes();
  const pids = [pid, ...await descendants(pid)];
  return pids.reduce((n, p) => n + (table.get(p)?.ticks ?? 0), 0);
}

async function ticksOverOneSecond(pid: number): Promise<number> {
  const before = await treeTicks(pid);
  // A measuring window, not synchronisation: how much CPU is used during one second.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return await treeTicks(pid) - before;
}

/** The block of `!tasks` about one task. */
function section(list: string, name: string): string {
  const block = list.split("\n\n").find((b) => b.startsWith(`**${name}**`));
  assert.ok(block !== undefined, `no section for ${name} in:\n${list}`);
  return block;
}

async function runAll(
  s: Scenario,
  names: string[],
): Promise<Map<string, string>> {
  const alice = s.dm(s.world.alice);
  for (const name of names) await alice.send(`!run ${name}`);
  const outcomes = new Map<string, string>();
  for (let i = 0; i < names.length * 2 && outcomes.size < names.length; i++) {
    const reply = await alice.reply(60_000);
    const name = /`([a-z_]+)`/.exec(reply)?.[1];
    if (name !== undefined && !/Running `/.test(reply)) outcomes.set(name, reply);
  }
  assert.deepEqual([...outcomes.keys()].sort(), [...names].sort());
  return outcomes;
}

Deno.test("no task can take the bot down", async (t) => {
  const s = await startScenario({ startBot: false });
  const botLog = s.world.channels["bot-log"].id;
  for (const [file, source] of Object.entries(FILES)) {
    await Deno.mkdir(`${s.dir}/tasks`, { recursive: true });
    await Deno.writeTextFile(`${s.dir}/tasks/${file}`, source);
  }
  const env = {
    BOT_LOG_CHANNEL_ID: botLog,
    // It also bounds each inspection: legitimate files need the margin on a loaded machine.
    TASK_TIMEOUT_SECONDS: "10",
    TASK_MEMORY_MB: "32",
  };
  const bob = s.dm(s.world.bob);
  try {
    await s.startBot(env);
    const pid = s.bot.pid;

    await t.step("files that crash at import are named; the bot starts anyway", async () => {
      // The files are inspected in the background: wait until that is done.
      await s.bot.waitForOutput(/Tasks: \d+ loaded/, 120_000);
      const list = await bob.ask("!tasks");
      const broken = list.slice(list.indexOf("Not loaded"));
      assert.match(
        broken,
        /`top_heap\.ts`: importing it ran out of memory \(TASK_MEMORY_MB is 32\)/,
      );
      assert.match(broken, /`top_buffers\.ts`: importing it ran out of memory/);
      assert.match(broken, /`top_spin\.ts`: importing it took longer than 10 s and was stopped/);
      assert.match(broken, /`top_spin_async\.ts`: importing it took longer than 10 s/);
      assert.match(broken, /`top_exit\.ts`: it failed to import: `.*called Deno\.exit\(0\)/);
      assert.match(broken, /`top_throw_null\.ts`: it failed to import: `.*null`/);
      assert.match(broken, /`top_forged\.ts`: it does not export a function named run/);
      assert.match(list, /\*\*fine\*\*/);
      const alert = await s.waitFor(async () =>
        (await s.postsIn(botLog)).find((p) => p.message.includes("Task plugins have problems"))
      );
      for (const file of ["top_heap", "top_buffers", "top_spin", "top_exit", "top_forged"]) {
        assert.match(alert.message, new RegExp(`tasks/${file}\\.ts`), file);
        assert.match(s.bot.output, new RegExp(`Task file \`tasks/${file}\\.ts\` not loaded`), file);
      }
      assert.deepEqual(await descendants(pid), [], "no inspection process is left");
    });

    const rssBefore = await rssMb(pid);

    await t.step("memory bombs in run() fail with the memory cap; the bot stays", async () => {
      const outcomes = await runAll(s, ["heap_bomb", "buffer_bomb", "async_bomb", "worker_bomb"]);
      for (const [name, reply] of outcomes) {
        assert.match(
          reply,
          new RegExp(`:x: \`${name}\` failed after .*ran out of memory: it may use 32 MB`),
          `${name}: ${reply}`,
        );
      }
      assert.match(await bob.ask("!help"), /!tasks/);
      const alert = await s.waitFor(async () =>
        (await s.postsIn(botLog)).find((p) => p.message.includes("`heap_bomb` failed"))
      );
      assert.match(alert.message, /ran out of memory: it may use 32 MB \(TASK_MEMORY_MB\)/);
    });

    await t.step("busy loops are killed at the timeout and leave no CPU use behind", async () => {
      const alice = s.dm(s.world.alice);
      const spinners = ["spin", "spin_later", "spin_timer", "spin_on_abort", "blocks"];
      for (const name of spinners) {
        assert.match(await alice.ask(`!run ${name}`), /Running/);
      }
      // While they spin, in processes of their own, the bot answers DMs.
      assert.match(await bob.ask("!help"), /!tasks/);
      assert.ok((await descendants(pid)).length >= spinners.length, "each run has a process");
      // Each host process starts Deno and imports its task before it spins: on a busy machine
      // that takes a while, so wait for the spinning to show rather than sample one second.
      const base = await treeTicks(pid);
      const spun = await until(
        async () => (await treeTicks(pid)) - base > 50 ? true : undefined,
        "the spinning tasks to use measurable CPU time",
      );
      assert.ok(spun, "the spinning is measurable");
      const stopped = new Set<string>();
      while (stopped.size < spinners.length) {
        const reply = await alice.reply(60_000);
        const name = /`([a-z_]+)` was stopped after/.exec(reply)?.[1];
        assert.ok(name !== undefined && spinners.includes(name), reply);
        stopped.add(name);
      }
      assert.deepEqual(await descendants(pid), [], "no task process survives its report");
      const used = await ticksOverOneSecond(pid);
      assert.ok(used < 25, `the bot used ${used} CPU ticks in the second after the reports`);
    });

    await t.step("Deno.exit, close() and odd thrown values fail the run, readably", async () => {
      const outcomes = await runAll(s, [
        "exits",
        "closes",
        "throws_null",
        "throws_object",
        "throws_proxy",
      ]);
      assert.match(outcomes.get("exits")!, /failed after .*called Deno\.exit\(0\)/);
      assert.match(outcomes.get("closes")!, /failed after .*called close\(\)/);
      assert.match(outcomes.get("throws_null")!, /failed after .*`Error: null`/);
      assert.match(outcomes.get("throws_object")!, /failed after .*code: 42/);
      assert.match(outcomes.get("throws_proxy")!, /failed after .*cannot be shown/);
      assert.equal(await Promise.race([s.bot.exited, Promise.resolve("running")]), "running");
    });

    await t.step("forged results are ignored: only the host's nonce counts", async () => {
      const outcomes = await runAll(s, ["forges_ok", "forges_then_hangs", "fine"]);
      assert.match(outcomes.get("forges_ok")!, /failed after .*the real outcome/);
      assert.match(outcomes.get("forges_then_hangs")!, /was stopped after/);
      assert.match(outcomes.get("fine")!, /`fine` finished/);
      // console.log goes through the task's log; raw writes to stdout are marked as such.
      assert.match(s.bot.output, /\[task forges_ok\] \{"nonce":"0+"/);
      assert.match(s.bot.output, /\[task forges_ok\] \(stdout\) \{"report"/);
      assert.match(s.bot.output, /\[task forges_ok\] the task posted a message of its own/);
    });

    await t.step("task output cannot pass for a line of the bot's own", async () => {
      const outcomes = await runAll(s, ["fake_log"]);
      assert.match(outcomes.get("fake_log")!, /failed after/);
      const lines = s.bot.output.split("\n").filter((l) => l.includes(MARK));
      assert.ok(lines.length >= 4, lines.join("\n"));
      const ownLine =
        /^\S+ \S+ \S+ \[\w+\] postbot·task(s|·fake_log): (\[task fake_log\]|Task fake_log failed)/;
      for (const line of lines) {
        // Either a line of the task's (or about it), or indented under one.
        assert.ok(ownLine.test(line) || line.startsWith("    "), line);
        // deno-lint-ignore no-control-regex
        assert.doesNotMatch(line, /[\x1b\u202e\r]/, line);
      }
      // The forged stack lines are indented under the failure, never at a line start.
      assert.match(s.bot.output, /\n {4}2026-01-01 00:00:00\.000 \+00:00 \[INF\] postbot·main: F/);
    });

    await t.step("a task cannot kill the bot, start it, or drown it in output", async () => {
      const alice = s.dm(s.world.alice);
      const names = [
        "kills_bot",
        "kills_itself",
        "asks_self",
        "floods",
        "floods_log",
        "steals_stdin",
      ];
      for (const name of names) await alice.send(`!run ${name}`);
      assert.match(await bob.ask("!help"), /!tasks/);
      const outcomes = new Map<string, string>();
      while (outcomes.size < names.length) {
        const reply = await alice.reply(60_000);
        const name = /`([a-z_]+)`/.exec(reply)?.[1];
        if (name !== undefined && !/Running `/.test(reply)) outcomes.set(name, reply);
      }
      assert.match(outcomes.get("kills_bot")!, /failed after .*NotCapable: Requires run access/);
      // Deno lets a process signal itself: that ends only the task's own process.
      assert.match(
        outcomes.get("kills_itself")!,
        /failed after .*its process ended without a result \(killed by SIGKILL\)/,
      );
      assert.match(outcomes.get("asks_self")!, /failed after .*NotCapable/);
      for (const name of ["floods", "floods_log", "steals_stdin"]) {
        assert.match(outcomes.get(name)!, /was stopped after|failed after .*memory/, name);
      }
      assert.match(
        section(await bob.ask("!tasks"), "asks_self"),
        /asked for but not granted .*: `run \/proc\/self\/exe`/,
      );
      assert.match(s.bot.output, /more than 1000 log lines; the rest is dropped/);
      assert.equal(await Promise.race([s.bot.exited, Promise.resolve("running")]), "running");
    });

    await t.step("the bot's memory did not grow with the tasks'", async () => {
      const grown = await rssMb(pid) - rssBefore;
      assert.ok(grown < 64, `the bot's RSS grew by ${grown.toFixed(0)} MB`);
      assert.deepEqual(await descendants(pid), []);
    });

    await t.step("when the bot is killed, its task processes end too", async () => {
      const alice = s.dm(s.world.alice);
      assert.match(await alice.ask("!run spin"), /Running/);
      const hosts = await until(async () => {
        const found = await descendants(pid);
        return found.length > 0 ? found : undefined;
      }, "the task process");
      await s.bot.kill();
      await until(async () => {
        const alive = await processes();
        return hosts.every((p) => !alive.has(p)) ? true : undefined;
      }, "the orphaned task process to exit");
    });
  } finally {
    await s.stop();
  }
});
