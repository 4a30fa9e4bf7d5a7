/**
 * Finds the task plugins: every `*.ts` and `*.js` file directly in the tasks directory is a
 * task named after the file. Each file is imported inside a permission-scoped Worker, in a task
 * process of its own, that may read only that file -- never in the bot itself, so a file's top-level code
 * cannot touch the bot's files, environment or token, nor another task's files -- and what it
 * exports is checked. A file that fails to import, lacks `run`, asks for malformed permissions
 * or for the bot's secrets (confinement.ts), or is a symbolic link out of the directory is
 * reported as not loaded, with the reason; the others load. A symbolic link anywhere in the
 * directory that leads out of it is reported the same way.
 *
 * Files are inspected a few at a time and each result is reported as it comes
 * (`onProgress`), so the bot answers while a slow file is still being inspected.
 *
 * Files are read with `Deno.readDir` and imported by absolute `file:` URL, which also works in
 * a compiled binary for files embedded with `--include`.
 *
 * @module
 */

import { basename, extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  botHolds,
  descriptor,
  type GrantedPermissions,
  grantPermissions,
  parsePermissionRequest,
  PATH_KINDS,
  type PermissionQuery,
  type PermissionRequest,
} from "./permissions.ts";
import {
  fail,
  forEachBounded,
  ok,
  type Problem,
  problem,
  type Result,
  unreachable,
} from "@postbot/framework";
import { describeDuration, MEASURED } from "@postbot/framework/duration";
import { excerpt, inlineCode, shownName } from "@postbot/framework/text";
import {
  type BotSecrets,
  checkTaskFile,
  HAS_CLIENT,
  refusedRequest,
  staysInGrant,
  type TasksDir,
  walkForEscapes,
} from "./confinement.ts";
import { runInTaskProcess, stripAnsi, type TaskProcessOutcome } from "./task_process.ts";

/** A task that can run. */
export interface LoadedTask {
  readonly name: string;
  /** Absolute path of the file. */
  readonly file: string;
  /** `file:` URL of the file, as its task process imports it. */
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
  /** What no task may reach (default: no token, the env file `.env` in `cwd`). */
  readonly secrets?: BotSecrets;
  /** An environment variable's value, when the bot may read it (default: `Deno.env`). */
  readonly envValue?: (name: string) => string | undefined;
  /** The environment of every inspection process (Deno's own variables, nothing secret). */
  readonly processEnv?: Readonly<Record<string, string>>;
  /** Aborted when the bot shuts down: inspections still running end. */
  readonly signal?: AbortSignal;
  /** Called once the files are listed and after each file's result. */
  readonly onProgress?: (progress: DiscoveryProgress) => void;
}

/** Discovery so far: what is known, and the task names still being inspected. */
export interface DiscoveryProgress {
  readonly loaded: readonly LoadedTask[];
  readonly broken: readonly BrokenTask[];
  /** Names of the task files not inspected yet. */
  readonly pending: readonly string[];
  /** Task files to inspect in all. */
  readonly total: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const EXTENSIONS = new Set([".ts", ".js"]);
/** Files inspected at once. */
const PARALLEL = 4;

/** A file of the tasks directory to inspect. */
interface Candidate {
  readonly name: string;
  readonly fileName: string;
}

/** Lists, imports (each in a task process of its own) and checks every task file. */
export async function discoverTasks(options: DiscoveryOptions): Promise<Discovery> {
  const cwd = options.cwd ?? Deno.cwd();
  const dir = resolve(cwd, options.tasksDir);
  const listed = await listTaskFiles(dir, options.tasksDir);
  if (!("files" in listed)) return listed;
  const secrets = options.secrets ??
    { token: "", files: [resolve(cwd, ".env")], inodes: new Set() };
  const { candidates, broken } = nameCandidates(listed.files);
  broken.push(...await escapingLinks(listed.dir, listed.files, secrets));
  const loaded: LoadedTask[] = [];
  const pending = new Set(candidates.map((c) => c.name));
  const report = () =>
    options.onProgress?.({
      loaded: [...loaded].sort((a, b) => a.name.localeCompare(b.name)),
      broken: sortedBroken(broken),
      pending: [...pending],
      total: candidates.length,
    });
  report();
  const context: InspectContext = { dir: listed.dir, cwd, secrets, options };
  await forEachBounded(candidates, { concurrency: PARALLEL, signal: options.signal }, async (c) => {
    const result = await inspect(c, context);
    if ("reason" in result) broken.push(result);
    else loaded.push(result);
    pending.delete(c.name);
    report();
  });
  loaded.sort((a, b) => a.name.localeCompare(b.name));
  return { dir, loaded, broken: sortedBroken(broken) };
}

function sortedBroken(broken: readonly BrokenTask[]): BrokenTask[] {
  return [...broken].sort((a, b) => a.fileName.localeCompare(b.fileName));
}

/** The task files of the directory, and the directory, or the (empty) discovery when none. */
async function listTaskFiles(
  dir: string,
  configured: string,
): Promise<{ readonly dir: TasksDir; readonly files: string[] } | Discovery> {
  const files: string[] = [];
  let real: string;
  try {
    // Opened as configured (the bot's grant); the real path is only compared with.
    real = await Deno.realPath(dir);
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile && !entry.isSymlink) continue;
      if (!EXTENSIONS.has(extname(entry.name))) continue;
      if (/(\.d\.ts|[._]test\.[tj]s)$/.test(entry.name)) continue;
      files.push(entry.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { dir, loaded: [], broken: [] };
    const reason = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? `the bot may not read it: grant it with --allow-read=${configured}`
      : (e as Error).message;
    return { dir, loaded: [], broken: [], problem: problem(`${dir} cannot be listed: ${reason}`) };
  }
  return { dir: { path: dir, real }, files: files.sort() };
}

/** The files with a usable task name, and the others with the reason. */
function nameCandidates(
  files: readonly string[],
): { candidates: Candidate[]; broken: BrokenTask[] } {
  const broken: BrokenTask[] = [];
  const candidates: Candidate[] = [];
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
      broken.push({
        name,
        fileName,
        reason: `${shownName(earlier)} already defines the task ${shownName(name)}`,
      });
      continue;
    }
    seen.set(name, fileName);
    candidates.push({ name, fileName });
  }
  return { candidates, broken };
}

/**
 * The symbolic links in the tasks directory (at any depth) that lead out of it, except task
 * files (their own check says so): a task granted the directory could read through them.
 */
async function escapingLinks(
  dir: TasksDir,
  taskFiles: readonly string[],
  secrets: BotSecrets,
): Promise<BrokenTask[]> {
  const walk = await walkForEscapes(dir, secrets);
  const links = walk.escaping.filter((path) => !taskFiles.includes(path));
  const found: BrokenTask[] = links.map((fileName) => ({
    name: fileName,
    fileName,
    reason: "it is a symbolic link out of the tasks directory, so a task granted the " +
      "directory could read what it leads to; remove it (copy what a task needs into the " +
      "directory instead)",
  }));
  for (const fileName of walk.secret) {
    found.push({
      name: fileName,
      fileName,
      reason: `it is the bot's env file under another name; ${HAS_CLIENT}`,
    });
  }
  return found;
}

/** What every inspection shares. */
interface InspectContext {
  readonly dir: TasksDir;
  readonly cwd: string;
  readonly secrets: BotSecrets;
  readonly options: DiscoveryOptions;
}

/**
 * Checks where the file really is, imports it in a task process that may read only that file, and
 * checks its exports and what it asks for.
 */
async function inspect(
  candidate: Candidate,
  context: InspectContext,
): Promise<LoadedTask | BrokenTask> {
  const { name, fileName } = candidate;
  const { cwd, secrets, options } = context;
  const checked = await checkTaskFile(context.dir, fileName, secrets);
  if ("reason" in checked) return { name, fileName, reason: checked.reason };
  const file = checked.path;
  const url = pathToFileURL(file).href;
  const timeoutMs = options.inspectTimeoutMs ?? 30_000;
  const outcome = await runInTaskProcess({ kind: "inspect", taskUrl: url }, {
    name: `inspect ${name}`,
    permissions: {
      read: [file],
      write: false,
      net: false,
      env: false,
      sys: false,
      run: false,
      ffi: false,
      import: false,
    },
    env: options.processEnv,
    memoryMb: options.memoryMb ?? 256,
    timeoutMs,
    graceMs: 0,
    signal: options.signal,
  });
  const scrub = (text: string) =>
    secrets.token === "" ? text : text.replaceAll(secrets.token, "[redacted]");
  if (outcome.kind !== "inspected") {
    return { name, fileName, reason: scrub(whyNotInspected(outcome, timeoutMs)) };
  }
  const exported = checkExports(outcome.report, cwd);
  if (!exported.ok) return { name, fileName, reason: scrub(exported.error.message) };
  const { request, description } = exported.value;
  const refused = await refusedRequest(request, {
    secrets,
    cwd,
    envValue: options.envValue ?? readEnv,
  });
  if (refused !== undefined) return { name, fileName, reason: refused };
  const holds = options.holds ?? botHolds;
  const permissions = grantPermissions(
    request,
    {
      taskPath: file,
      serverHost: options.serverHost,
      cwd,
      confined: await confinedPaths(request, holds),
    },
    holds,
  );
  return { name, file, url, description, permissions };
}

/** For each requested path, whether it really leads inside the bot's grant covering it. */
async function confinedPaths(
  request: PermissionRequest,
  holds: PermissionQuery,
): Promise<Map<string, boolean>> {
  const found = new Map<string, boolean>();
  for (const kind of PATH_KINDS) {
    const asked = request[kind];
    if (!Array.isArray(asked)) continue;
    for (const item of asked) {
      found.set(item, await staysInGrant(item, (path) => holds(descriptor(kind, path))));
    }
  }
  return found;
}

/** An environment variable's value, when the bot may read it. */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** Why an inspection that did not report the file's exports failed. */
function whyNotInspected(
  outcome: Exclude<TaskProcessOutcome, { kind: "inspected" }>,
  timeoutMs: number,
): string {
  switch (outcome.kind) {
    case "failed": {
      const error = importError(outcome.error.name, outcome.error.message);
      const denied = /NotCapable|Requires read access/.test(error)
        ? "; an inspection may read only the task's own file: import a local module inside " +
          "run (`await import(...)`) and list it under PERMISSIONS.read"
        : "";
      return `it failed to import: ${inlineCode(error, 400)}${denied}`;
    }
    case "timeout":
      return `importing it took longer than ${
        describeDuration(timeoutMs, MEASURED)
      } and was stopped; top-level ` +
        "code must not loop or wait for anything (do the work in run)";
    case "memory":
      return `importing it ran out of memory (TASK_MEMORY_MB is ${outcome.limitMb}); top-level ` +
        "code must not build large data (do the work in run)";
    case "crashed":
      return `importing it ended its process without a result: ${inlineCode(outcome.detail, 400)}`;
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
        : `its run export is a ${shownName(report.runType, 20)}, not a function`,
    );
  }
  if (report.descriptionType !== "undefined" && report.descriptionType !== "string") {
    return fail(`DESCRIPTION must be a string, not ${shownName(report.descriptionType, 20)}`);
  }
  const request = parsePermissionRequest(report.permissions, cwd);
  if (!request.ok) return request;
  return ok({
    description: (report.description ?? "").replace(/\s+/g, " ").trim(),
    request: request.value,
  });
}

/** What the task process reports about a file's exports. */
type InspectedReport = Extract<TaskProcessOutcome, { kind: "inspected" }>["report"];

function importError(name: string, message: string): string {
  const lines = stripAnsi(message).split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const text = [...new Set(lines)].slice(0, 3).join(" ");
  const clipped = excerpt(text, 400);
  return name === "Error" || clipped.startsWith(name) ? clipped : `${name}: ${clipped}`;
}
