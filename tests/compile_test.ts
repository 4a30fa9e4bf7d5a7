/**
 * The single binary cannot be built here (deno compile downloads its runtime), so what can be
 * checked is: the compile task grants exactly what the start task grants, and the module
 * graph resolves with the task plugins and the worker entry embedded.
 */

import assert from "node:assert/strict";
import { repoPath, taskEnv } from "./support/bot_process.ts";

const tasks: Record<string, string> = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")))
  .tasks;

function permissionAndUnstableFlags(command: string): string[] {
  return command.split(/\s+/).filter((w) => /^--(allow|deny|unstable-|v8-flags)/.test(w)).sort();
}

Deno.test("compile task has the same permissions and unstable flags as start", () => {
  const start = permissionAndUnstableFlags(tasks.start);
  const compile = permissionAndUnstableFlags(tasks.compile);
  assert.ok(start.length >= 5, "start task declares its permissions");
  assert.deepEqual(compile, start);
  assert.ok(!/\s-A(\s|$)|--allow-all/.test(tasks.start), "never -A");
  assert.ok(!/\s-A(\s|$)|--allow-all/.test(tasks.compile), "never -A");
});

Deno.test("the bot may start exactly its own executable (task processes), nothing else", () => {
  for (const task of [tasks.start, tasks.compile]) {
    const run = task.split(/\s+/).filter((w) => w.startsWith("--allow-run"));
    assert.deepEqual(run, ["--allow-run=/proc/self/exe"]);
  }
});

Deno.test("compile embeds tasks/ and the worker entry (DENORT_BIN = deno itself)", async () => {
  const out = await Deno.makeTempDir({ prefix: "postbot-compile-" });
  try {
    const args = tasks.compile.split(/\s+/).slice(1);
    const output = args.indexOf("--output");
    args[output + 1] = `${out}/postbot`;
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
  const readme = Deno.readTextFileSync(repoPath("README.md"));
  assert.ok(
    readme.includes(`Environment=GLIBC_TUNABLES=${tunables}\n`),
    "README's systemd unit sets the same GLIBC_TUNABLES",
  );
  assert.deepEqual(taskEnv("compile"), {}, "compile itself runs without it");
});
