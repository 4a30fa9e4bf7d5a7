/**
 * Finds the task plugins: every `*.ts` and `*.js` file directly in the tasks directory is a
 * task named after the file. Each file is imported inside a sandbox Worker that may read only
 * the tasks directory -- never in the bot itself, so a file's top-level code cannot touch the
 * bot's files, environment or token -- and what it exports is checked. A file that fails to
 * import, lacks `run` or asks for malformed permissions is reported as broken, with the reason;
 * the others load.
 *
 * Files are read with `Deno.readDir` and imported by absolute `file:` URL, which also works in
 * a compiled binary for files embedded with `--include`.
 *
 * @module
 */

import { basename, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  botHolds,
  type GrantedPermissions,
  grantPermissions,
  parsePermissionRequest,
  type PermissionQuery,
  type PermissionRequest,
} from "./permissions.ts";
import { fail, ok, type Problem, problem, type Result, unreachable } from "@postbot/framework";
import { excerpt } from "@postbot/framework/text";
import { inlineCode } from "./runner.ts";
import { runInSandbox, type SandboxOutcome, stripAnsi } from "./sandbox.ts";

/** A task that can run. */
export interface LoadedTask {
  readonly name: string;
  /** Absolute path of the file. */
  readonly file: string;
  /** `file:` URL of the file, as the sandbox imports it. */
  readonly url: string;
  /** Its DESCRIPTION, or "" when it has none. */
  readonly description: string;
  readonly permissions: GrantedPermissions;
}

/** A file in the tasks directory that is not a usable task, and why. */
export interface BrokenTask {
  readonly name: string;
  /** File name inside the tasks directory. */
  readonly fileName: string;
  readonly reason: string;
}

/** What discovery found. */
export interface Discovery {
  /** Absolute path of the tasks directory. */
  readonly dir: string;
  readonly loaded: readonly LoadedTask[];
  readonly broken: readonly BrokenTask[];
  /** Set when the directory itself could not be listed (a missing one is not a problem). */
  readonly problem?: Problem;
}

/** What {@link discoverTasks} needs. */
export interface DiscoveryOptions {
  readonly tasksDir: string;
  /** `host[:port]` of the Mattermost server, the only host a run may reach. */
  readonly serverHost: string;
  /** Directory relative paths are resolved against (default: the working directory). */
  readonly cwd?: string;
  /** How long a file's import may take (default 30 s). */
  readonly inspectTimeoutMs?: number;
  /** TASK_MEMORY_MB: memory cap of each inspection (default 256). */
  readonly memoryMb?: number;
  /** Whether the bot itself holds a permission (tests inject one). */
  readonly holds?: PermissionQuery;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const EXTENSIONS = new Set([".ts", ".js"]);
const PARALLEL = 4;

/** Lists, imports (sandboxed) and checks every task file. */
export async function discoverTasks(options: DiscoveryOptions): Promise<Discovery> {
  const cwd = options.cwd ?? Deno.cwd();
  const dir = resolve(cwd, options.tasksDir);
  const files: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile && !entry.isSymlink) continue;
      if (!EXTENSIONS.has(extname(entry.name))) continue;
      if (/(\.d\.ts|[._]test\.[tj]s)$/.test(entry.name)) continue;
      files.push(entry.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { dir, loaded: [], broken: [] };
    const reason = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? `the bot may not read it: grant it with --allow-read=${options.tasksDir}`
      : (e as Error).message;
    return { dir, loaded: [], broken: [], problem: problem(`${dir} cannot be listed: ${reason}`) };
  }
  files.sort();

  const broken: BrokenTask[] = [];
  const candidates: { name: string; fileName: string }[] = [];
  const seen = new Map<string, string>();
  for (const fileName of files) {
    const name = basename(fileName, extname(fileName));
    if (!NAME.test(name)) {
      broken.push({
        name,
        fileName,
        reason: "a task name may contain only letters, digits, - and _ (it is typed in " +
          "!run and scheduler.toml); rename the file",
      });
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      broken.push({ name, fileName, reason: `${earlier} already defines the task "${name}"` });
      continue;
    }
    seen.set(name, fileName);
    candidates.push({ name, fileName });
  }

  const results: (LoadedTask | BrokenTask)[] = new Array(candidates.length);
  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const index = next++;
      results[index] = await inspect(candidates[index], dir, cwd, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, candidates.length) }, worker));

  const loaded: LoadedTask[] = [];
  for (const result of results) {
    if ("reason" in result) broken.push(result);
    else loaded.push(result);
  }
  broken.sort((a, b) => a.fileName.localeCompare(b.fileName));
  return { dir, loaded, broken };
}

/** Imports one file in a sandbox that may read only the tasks directory, and checks it. */
async function inspect(
  candidate: { name: string; fileName: string },
  dir: string,
  cwd: string,
  options: DiscoveryOptions,
): Promise<LoadedTask | BrokenTask> {
  const { name, fileName } = candidate;
  const file = join(dir, fileName);
  const url = pathToFileURL(file).href;
  const timeoutMs = options.inspectTimeoutMs ?? 30_000;
  const outcome = await runInSandbox({ kind: "inspect", taskUrl: url }, {
    name: `inspect ${name}`,
    permissions: {
      read: [dir],
      write: false,
      net: false,
      env: false,
      sys: false,
      run: false,
      ffi: false,
      import: false,
    },
    memoryMb: options.memoryMb ?? 256,
    timeoutMs,
    graceMs: 0,
  });
  if (outcome.kind !== "inspected") {
    return { name, fileName, reason: whyNotInspected(outcome, timeoutMs) };
  }
  const checked = checkExports(outcome.report, cwd);
  if (!checked.ok) return { name, fileName, reason: checked.error.message };
  const permissions = grantPermissions(
    checked.value.request,
    { taskPath: file, serverHost: options.serverHost, cwd },
    options.holds ?? botHolds,
  );
  return { name, file, url, description: checked.value.description, permissions };
}

/** Why an inspection that did not report the file's exports failed. */
function whyNotInspected(
  outcome: Exclude<SandboxOutcome, { kind: "inspected" }>,
  timeoutMs: number,
): string {
  switch (outcome.kind) {
    case "failed":
      return `it failed to import: ${
        inlineCode(importError(outcome.error.name, outcome.error.message))
      }`;
    case "timeout":
      return `importing it took longer than ${timeoutMs / 1000} s and was stopped; top-level ` +
        "code must not loop or wait for anything (do the work in run)";
    case "memory":
      return `importing it ran out of memory (TASK_MEMORY_MB is ${outcome.limitMb}); top-level ` +
        "code must not build large data (do the work in run)";
    case "crashed":
      return `importing it ended its process without a result: ${inlineCode(outcome.detail)}`;
    case "interrupted":
    case "finished":
      return "it could not be inspected";
    default:
      return unreachable(outcome);
  }
}

/** The file's exports checked: its description and permission request, or what is wrong. */
function checkExports(
  report: InspectedReport,
  cwd: string,
): Result<{ readonly description: string; readonly request: PermissionRequest }, Problem> {
  if (report.runType !== "function") {
    return fail(
      report.runType === "undefined"
        ? "it does not export a function named run: add " +
          "`export async function run(client: Client4, ctx: TaskContext) { \u2026 }`"
        : `its run export is a ${report.runType}, not a function`,
    );
  }
  if (report.description !== undefined && typeof report.description !== "string") {
    return fail("DESCRIPTION must be a string");
  }
  const request = parsePermissionRequest(report.permissions, cwd);
  if (!request.ok) return request;
  return ok({
    description: (report.description ?? "").replace(/\s+/g, " ").trim(),
    request: request.value,
  });
}

/** What the sandbox reports about a file's exports. */
type InspectedReport = Extract<SandboxOutcome, { kind: "inspected" }>["report"];

function importError(name: string, message: string): string {
  const lines = stripAnsi(message).split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const text = [...new Set(lines)].slice(0, 3).join(" ");
  const clipped = excerpt(text, 401);
  return name === "Error" || clipped.startsWith(name) ? clipped : `${name}: ${clipped}`;
}
