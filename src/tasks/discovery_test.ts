import assert from "node:assert/strict";
import { discoverTasks } from "./discovery.ts";
import { startTaskWorld } from "./test_support.ts";

Deno.test("discovery loads good files and reports each broken one with its reason", async () => {
  await using world = await startTaskWorld();
  const files: Record<string, string> = {
    "good.ts": `import type { Client4, TaskContext } from "../../nowhere/types.ts";
      export const DESCRIPTION = "  does\\n good things ";
      export async function run(client: Client4, ctx: TaskContext): Promise<void> {}`,
    "plain.js": `export async function run() {}`,
    "uses_helper.ts": `import { helper } from "./lib/helper.ts";
      export async function run() { helper(); }`,
    "lib/helper.ts": `export function helper() {}`,
    "syntax.ts": `export async function run( {`,
    "missing_import.ts":
      `import { x } from "./does_not_exist.ts"; export async function run() { x; }`,
    "no_run.ts": `export const DESCRIPTION = "forgot run";`,
    "run_not_fn.ts": `export const run = 42;`,
    "throws.ts": `throw new Error("top-level boom"); export async function run() {}`,
    "reads_env.ts": `Deno.readTextFileSync("../.env"); export async function run() {}`,
    "bad_perm.ts": `export const PERMISSIONS = { bogus: true }; export async function run() {}`,
    "inherit_perm.ts":
      `export const PERMISSIONS = { net: "inherit" }; export async function run() {}`,
    "bad_description.ts": `export const DESCRIPTION = 7; export async function run() {}`,
    "hangs.ts": `await new Promise(() => {}); export async function run() {}`,
    "bad name.ts": `export async function run() {}`,
    "dup.js": `export async function run() {}`,
    "dup.ts": `export async function run() {}`,
    "good_test.ts": `this is not even code`,
    "types.d.ts": `declare const x: number;`,
    "notes.md": `# not a task`,
  };
  for (const [file, source] of Object.entries(files)) {
    await Deno.mkdir(`${world.tasksDir}/${file}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${world.tasksDir}/${file}`, source);
  }
  const found = await discoverTasks({
    tasksDir: "tasks",
    serverHost: new URL(world.emu.url).host,
    cwd: world.dir,
    inspectTimeoutMs: 5_000,
  });
  assert.equal(found.problem, undefined);
  assert.deepEqual(found.loaded.map((t) => t.name), ["dup", "good", "plain", "uses_helper"]);
  assert.equal(found.loaded.find((t) => t.name === "dup")?.file, `${world.tasksDir}/dup.js`);
  assert.equal(found.loaded.find((t) => t.name === "good")?.description, "does good things");
  const reasons = Object.fromEntries(found.broken.map((b) => [b.fileName, b.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), [
    "bad name.ts",
    "bad_description.ts",
    "bad_perm.ts",
    "dup.ts",
    "hangs.ts",
    "inherit_perm.ts",
    "missing_import.ts",
    "no_run.ts",
    "reads_env.ts",
    "run_not_fn.ts",
    "syntax.ts",
    "throws.ts",
  ]);
  assert.match(reasons["syntax.ts"], /failed to import/);
  assert.match(reasons["missing_import.ts"], /failed to import.*does_not_exist/);
  assert.match(reasons["no_run.ts"], /does not export a function named run/);
  assert.match(reasons["run_not_fn.ts"], /run export is a number/);
  assert.match(reasons["throws.ts"], /top-level boom/);
  assert.match(reasons["reads_env.ts"], /(NotCapable|PermissionDenied).*\.env/);
  assert.match(reasons["bad_perm.ts"], /PERMISSIONS\.bogus is not a Deno permission/);
  assert.match(reasons["inherit_perm.ts"], /"inherit"/);
  assert.match(reasons["bad_description.ts"], /DESCRIPTION must be a string/);
  assert.match(reasons["hangs.ts"], /longer than 5 s/);
  assert.match(reasons["bad name.ts"], /letters, digits/);
  assert.match(reasons["dup.ts"], /dup\.js already defines/);
});

Deno.test("a missing tasks directory means no tasks, not a problem", async () => {
  const found = await discoverTasks({
    tasksDir: "no-such-dir",
    serverHost: "127.0.0.1:1",
    cwd: await Deno.makeTempDir().then(async (d) => {
      await Deno.remove(d);
      return d;
    }),
  });
  assert.deepEqual([found.loaded.length, found.broken.length, found.problem], [0, 0, undefined]);
});

Deno.test("discovery grants what the bot holds and lists the rest as refused", async () => {
  await using world = await startTaskWorld();
  await world.writeTask(
    "greedy.ts",
    `export const PERMISSIONS = {
       read: [new URL("./data.csv", import.meta.url), "/etc/shadow"],
       env: ["HOME"],
       net: ["api.example.com"],
     };
     export async function run() {}`,
  );
  const found = await discoverTasks({
    tasksDir: world.tasksDir,
    serverHost: "127.0.0.1:8065",
    cwd: world.dir,
    holds: (d) => !(d.name === "env" || (d.name === "read" && d.path === "/etc/shadow")),
  });
  const [task] = found.loaded;
  assert.deepEqual(task.permissions.extra, ["read tasks/data.csv", "net api.example.com"]);
  assert.deepEqual(task.permissions.refused, ["read /etc/shadow", "env HOME"]);
  assert.deepEqual(task.permissions.worker.read, [task.file, `${world.tasksDir}/data.csv`]);
  assert.deepEqual(task.permissions.worker.net, ["127.0.0.1:8065", "api.example.com"]);
  assert.equal(task.permissions.worker.env, false);
  assert.equal(task.permissions.worker.write, false);
});
