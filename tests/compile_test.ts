/**
 * The single binary cannot be run here (deno compile downloads its runtime; DENORT_BIN points it
 * at deno itself), so what can be checked is: the compile task (scripts/build/compile.ts) grants
 * exactly what the start task grants, because it reads them from it, and the module graph
 * resolves with the task plugins and the worker entry embedded.
 */

import assert from "node:assert/strict";
import { compileArgs, runtimeFlags, startTask } from "../scripts/build/compile.ts";
import { repoPath, taskEnv } from "@postbot/harness/bot";

const tasks: Record<string, string> = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")))
  .tasks;
const compile = compileArgs(startTask(repoPath("deno.json")), "dist/postbot");

Deno.test("compile takes the start task's permissions, V8 and unstable flags, written once", () => {
  const start = runtimeFlags(tasks.start);
  assert.ok(start.length >= 5, "start task declares its permissions");
  assert.deepEqual(compile.filter((a) => start.includes(a)), start);
  assert.deepEqual(
    tasks.start.split(/\s+/).filter((w) => /^--(allow|deny|unstable-|v8-flags)/.test(w)),
    start,
    "every flag of start that shapes the runtime is carried over",
  );
  assert.ok(!/\s-A(\s|$)|--allow-all/.test(tasks.start), "never -A");
  assert.throws(() => compileArgs("deno run -A main.ts", "x"), /must not use -A/);
  assert.deepEqual(
    runtimeFlags(tasks.compile),
    ["--allow-read=deno.json", "--allow-run=deno"],
    "the compile task itself reads deno.json and runs deno, nothing else",
  );
});

Deno.test("the bot may start exactly its own executable (task processes), nothing else", () => {
  for (const words of [tasks.start.split(/\s+/), compile]) {
    const run = words.filter((w) => w.startsWith("--allow-run"));
    assert.deepEqual(run, ["--allow-run=/proc/self/exe"]);
  }
});

Deno.test("compile embeds tasks/ and the worker entry (DENORT_BIN = deno itself)", async () => {
  const out = await Deno.makeTempDir({ prefix: "postbot-compile-" });
  try {
    const args = compileArgs(tasks.start, `${out}/postbot`);
    const result = await new Deno.Command(Deno.execPath(), {
      args: [...args.slice(0, 1), "--config", repoPath("deno.json"), ...args.slice(1)],
      cwd: repoPath("."),
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(result.stdout) +
      new TextDecoder().decode(result.stderr);
    assert.equal(result.code, 0, text);
    assert.match(text, /worker_entry\.ts/, "the worker entry is embedded");
    // deno compile lists a directory either file by file or collapsed as "tasks/* (size)".
    const collapsed = /^\W*tasks\/\* \(\d/m.test(text);
    for await (const entry of Deno.readDir(repoPath("tasks"))) {
      if (entry.isFile && /\.(ts|js)$/.test(entry.name) && !collapsed) {
        assert.ok(text.includes(entry.name), `task ${entry.name} is embedded:\n${text}`);
      }
    }
    assert.ok(collapsed || /maintenance_plan\.ts/.test(text), `tasks/ is embedded:\n${text}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the start task's allocator setting is set for the compiled binary too", () => {
  const tunables = taskEnv("start").GLIBC_TUNABLES;
  assert.match(tunables ?? "", /glibc\.malloc\.mmap_threshold=\d+/, "start sets GLIBC_TUNABLES");
  const containerfile = Deno.readTextFileSync(repoPath("Containerfile"));
  assert.ok(
    containerfile.includes(`ENV GLIBC_TUNABLES=${tunables}\n`),
    "the Containerfile sets the same GLIBC_TUNABLES",
  );
  const deploying = Deno.readTextFileSync(repoPath("docs/deploying.md"));
  assert.ok(
    deploying.includes(`Environment=GLIBC_TUNABLES=${tunables}\n`),
    "docs/deploying.md's systemd unit sets the same GLIBC_TUNABLES",
  );
  assert.deepEqual(taskEnv("compile"), {}, "compile itself runs without it");
});
