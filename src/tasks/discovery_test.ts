import assert from "node:assert/strict";
import { botSecrets } from "./confinement.ts";
import { discoverTasks, type DiscoveryProgress } from "./discovery.ts";
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
  assert.deepEqual(found.loaded.map((t) => t.name), ["dup", "good", "plain"]);
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
    "uses_helper.ts",
  ]);
  assert.match(reasons["syntax.ts"], /failed to import/);
  assert.match(reasons["missing_import.ts"], /failed to import.*does_not_exist/);
  assert.match(reasons["no_run.ts"], /does not export a function named run/);
  assert.match(reasons["run_not_fn.ts"], /run export is a `number`/);
  assert.match(reasons["throws.ts"], /top-level boom/);
  assert.match(reasons["reads_env.ts"], /(NotCapable|PermissionDenied).*\.env/);
  assert.match(reasons["bad_perm.ts"], /PERMISSIONS key `bogus` is not a Deno permission/);
  // An inspection reads only its own file: a helper is imported inside run instead.
  assert.match(reasons["uses_helper.ts"], /failed to import: .*helper\.ts.*await import/);
  assert.match(reasons["inherit_perm.ts"], /"inherit"/);
  assert.match(reasons["bad_description.ts"], /DESCRIPTION must be a string, not `number`/);
  assert.match(reasons["hangs.ts"], /longer than 5 s/);
  assert.match(reasons["bad name.ts"], /letters, digits/);
  assert.match(reasons["dup.ts"], /`dup\.js` already defines/);
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
  assert.deepEqual(task.permissions.extra, ["`read tasks/data.csv`", "`net api.example.com`"]);
  assert.deepEqual(task.permissions.refused, ["`read /etc/shadow`", "`env HOME`"]);
  assert.deepEqual(task.permissions.worker.read, [task.file, `${world.tasksDir}/data.csv`]);
  assert.deepEqual(task.permissions.worker.net, ["127.0.0.1:8065", "api.example.com"]);
  assert.equal(task.permissions.worker.env, false);
  assert.equal(task.permissions.worker.write, false);
});

Deno.test("an inspection reads its own file only; links out of tasks/ are refused", async () => {
  await using world = await startTaskWorld();
  const token = world.token.reveal();
  await Deno.writeTextFile(`${world.dir}/outside.ts`, `export async function run() {}`);
  await Deno.writeTextFile(`${world.tasksDir}/secret.txt`, "another task's secret");
  await Deno.mkdir(`${world.tasksDir}/impl`);
  await Deno.writeTextFile(`${world.tasksDir}/impl/real.ts`, `export async function run() {}`);
  const files: Record<string, string> = {
    // Reads a sibling and the env file through links at import time, and tells in DESCRIPTION.
    "sibling.ts":
      `export const DESCRIPTION = Deno.readTextFileSync(new URL("./secret.txt", import.meta.url));
      export async function run() {}`,
    "via_link.ts":
      `export const DESCRIPTION = [...Deno.readTextFileSync(new URL("./env.txt", import.meta.url))].reverse().join("");
      export async function run() {}`,
    "via_dir.ts":
      `export const DESCRIPTION = Deno.readTextFileSync(new URL("./shared/.env", import.meta.url));
      export async function run() {}`,
    "environ.ts": `export const DESCRIPTION = Deno.readTextFileSync("/proc/self/environ");
      export async function run() {}`,
    "env_get.ts": `export const DESCRIPTION = String(Deno.env.get("TOKEN"));
      export async function run() {}`,
    "holds_token.ts": `// ${token}\nexport async function run() {}`,
  };
  for (const [file, source] of Object.entries(files)) await world.writeTask(file, source);
  await Deno.symlink("../.env", `${world.tasksDir}/env.txt`);
  await Deno.symlink("..", `${world.tasksDir}/shared`);
  await Deno.symlink("../outside.ts", `${world.tasksDir}/escapes.ts`);
  await Deno.symlink("impl/real.ts", `${world.tasksDir}/alias.ts`);
  await Deno.link(`${world.dir}/.env`, `${world.tasksDir}/hard.ts`);
  const progress: DiscoveryProgress[] = [];
  const found = await discoverTasks({
    tasksDir: "tasks",
    serverHost: new URL(world.emu.url).host,
    cwd: world.dir,
    inspectTimeoutMs: 10_000,
    secrets: await botSecrets(token, [`${world.dir}/.env`]),
    onProgress: (p) => progress.push(p),
  });
  assert.deepEqual(found.loaded.map((t) => t.name), ["alias"]);
  const alias = found.loaded[0];
  // Opened as written (a link inside tasks/ is followed to a file inside it).
  assert.equal(alias.file, `${world.tasksDir}/alias.ts`);
  assert.deepEqual(alias.permissions.worker.read, [alias.file]);
  const reasons = Object.fromEntries(found.broken.map((b) => [b.fileName, b.reason]));
  for (const name of ["sibling.ts", "via_link.ts", "via_dir.ts", "environ.ts", "env_get.ts"]) {
    assert.match(reasons[name], /failed to import: `(NotCapable|PermissionDenied)/, name);
  }
  assert.match(reasons["escapes.ts"], /symbolic link to a file outside the tasks directory/);
  assert.match(reasons["env.txt"], /symbolic link out of the tasks directory/);
  assert.match(reasons["shared"], /symbolic link out of the tasks directory/);
  assert.match(reasons["hard.ts"], /the bot's env file under another name/);
  assert.match(reasons["holds_token.ts"], /contains the bot's token/);
  for (const reason of Object.values(reasons)) {
    assert.equal(reason.includes(token), false, reason);
    assert.equal(reason.includes([...token].reverse().join("")), false, reason);
  }
  // Progress: listed first (everything pending), then one file at a time.
  assert.equal(progress[0].pending.length, progress[0].total);
  assert.deepEqual(progress.at(-1)?.pending, []);
  assert.equal(progress.length, progress[0].total + 1);
});

Deno.test("a task asking for the bot's secrets is not loaded, with the reason", async () => {
  await using world = await startTaskWorld();
  const token = world.token.reveal();
  await Deno.writeTextFile(`${world.tasksDir}/copy.txt`, `token: ${token}`);
  await Deno.writeTextFile(`${world.dir}/data.txt`, "harmless");
  await Deno.symlink(".env", `${world.dir}/dotenv_link`);
  await Deno.symlink("/proc/self/not_yet", `${world.dir}/dangling`);
  const asks: Record<string, string> = {
    env_token: `{ env: ["TOKEN"] }`,
    env_all: `{ env: true }`,
    env_holding: `{ env: ["MY_SECRET"] }`,
    env_url: `{ env: ["PROXY_URL"] }`,
    read_env: `{ read: [".env"] }`,
    read_env_url: `{ read: [new URL("../.env", import.meta.url)] }`,
    read_link: `{ read: ["dotenv_link"] }`,
    // Dangling: judged by where it points.
    read_dangling: `{ read: ["dangling"] }`,
    read_copy: `{ read: ["tasks/copy.txt"] }`,
    read_cwd: `{ read: ["."] }`,
    read_all: `{ read: true }`,
    write_env: `{ write: [".env"] }`,
    read_proc: `{ read: ["/proc/self/environ"] }`,
    read_parent_proc: `{ read: ["/proc/" + Deno.pid + "/../1/environ"] }`,
    harmless: `{ read: ["data.txt"], env: ["HOME"] }`,
  };
  for (const [name, permissions] of Object.entries(asks)) {
    await world.writeTask(
      `${name}.ts`,
      `export const PERMISSIONS = ${permissions}; export async function run() {}`,
    );
  }
  const values: Record<string, string> = {
    MY_SECRET: `Bearer ${token}`,
    PROXY_URL: "http://user:pass@proxy.example",
    HOME: "/home/bot",
  };
  const found = await discoverTasks({
    tasksDir: "tasks",
    serverHost: new URL(world.emu.url).host,
    cwd: world.dir,
    secrets: await botSecrets(token, [`${world.dir}/.env`]),
    envValue: (name) => values[name],
    holds: () => true,
  });
  assert.deepEqual(found.loaded.map((t) => t.name), ["harmless"]);
  const reasons = Object.fromEntries(found.broken.map((b) => [b.name, b.reason]));
  assert.deepEqual(
    Object.keys(reasons).sort(),
    Object.keys(asks).filter((n) => n !== "harmless").sort(),
  );
  for (const [name, reason] of Object.entries(reasons)) {
    assert.match(reason, /it has an authenticated client already/, name);
    assert.equal(reason.includes(token), false, name);
  }
  assert.match(reasons.env_token, /PERMISSIONS\.env asks for `TOKEN`/);
  assert.match(reasons.env_all, /PERMISSIONS\.env: true would include TOKEN/);
  assert.match(reasons.read_env, /PERMISSIONS\.read asks for `\.env`, which is the bot's env file/);
  assert.match(reasons.read_link, /`dotenv_link`, which leads to the bot's env file/);
  assert.match(reasons.read_copy, /a file that contains the bot's token/);
  assert.match(reasons.read_cwd, /a directory holding the bot's env file/);
  assert.match(reasons.read_proc, /under \/proc/);
  assert.match(reasons.read_parent_proc, /under \/proc/);
  assert.match(reasons.read_dangling, /`dangling`, which is under \/proc/);
  assert.match(reasons.write_env, /PERMISSIONS\.write asks for `\.env`/);
});

Deno.test("a DESCRIPTION that cannot be passed back is reported as such, not as a timeout", async () => {
  await using world = await startTaskWorld();
  const descriptions: Record<string, string> = {
    fn: "function () {}",
    sym: `Symbol("x")`,
    cyclic: "(() => { const o = {}; o.self = o; return o; })()",
    nothing: "null",
    big: "10n",
  };
  for (const [name, value] of Object.entries(descriptions)) {
    await world.writeTask(
      `${name}.ts`,
      `export const DESCRIPTION = ${value}; export async function run() {}`,
    );
  }
  const found = await discoverTasks({
    tasksDir: "tasks",
    serverHost: new URL(world.emu.url).host,
    cwd: world.dir,
    inspectTimeoutMs: 20_000,
  });
  const reasons = Object.fromEntries(found.broken.map((b) => [b.name, b.reason]));
  assert.match(reasons.fn, /^DESCRIPTION must be a string, not `function`$/);
  assert.match(reasons.sym, /^DESCRIPTION must be a string, not `symbol`$/);
  assert.match(reasons.cyclic, /^DESCRIPTION must be a string, not `object`$/);
  assert.match(reasons.nothing, /^DESCRIPTION must be a string, not `null`$/);
  assert.match(reasons.big, /^DESCRIPTION must be a string, not `bigint`$/);
});
