/**
 * What a task may never reach: the bot's token and what holds it. Deno's permission checks
 * look at the path as written and then follow symbolic links unseen (a grant of `tasks/`
 * covers `tasks/env.txt -> ../.env`), so everything here is decided on real paths. Files are
 * still opened by the path as written: that is what the bot's own grants cover (the tasks
 * directory itself may be a link the operator made).
 *
 * - a task file must really live in the tasks directory (a symbolic link out of it is refused),
 *   must not be the env file (a hard link) and must not contain the token;
 * - a symbolic link anywhere in the tasks directory that leads out of it is reported;
 * - a task's PERMISSIONS may not name the bot's secrets: the variable TOKEN, any variable whose
 *   value holds the token or credentials, every variable or every file at once, the env file,
 *   a file holding the token, `/proc` (the bot's environment and memory), or a directory that
 *   holds one of them or a link out of itself. Such a task is not loaded, with the reason;
 * - a requested path is granted only when it really leads inside the bot's own grant that
 *   covers it ({@link staysInGrant}).
 *
 * @module
 */

import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { PermissionRequest } from "./permissions.ts";
import { shownName } from "@postbot/framework/text";

/** Why a task never gets a secret: said in every refusal. */
export const HAS_CLIENT = "a task is never given the bot's secrets (it has an authenticated " +
  "client already)";

/** The bot's secrets, as {@link botSecrets} found them. */
export interface BotSecrets {
  /** The raw token ("" when there is none to look for). */
  readonly token: string;
  /** Real paths of the files that hold secrets (the env file). */
  readonly files: readonly string[];
  /** `dev:ino` of those files: a hard link is the same file under another name. */
  readonly inodes: ReadonlySet<string>;
}

/** Largest file whose content is searched for the token. */
const MAX_SCANNED_BYTES = 16 * 1024 * 1024;
/** Most entries a directory walk looks at before it gives up (and the grant is refused). */
const MAX_WALKED_ENTRIES = 10_000;

/** The secrets to keep from tasks: the token and the env files that exist. */
export async function botSecrets(token: string, envFiles: readonly string[]): Promise<BotSecrets> {
  const files: string[] = [];
  const inodes = new Set<string>();
  for (const file of envFiles) {
    try {
      files.push(await Deno.realPath(file));
      const id = inodeOf(await Deno.stat(file));
      if (id !== undefined) inodes.add(id);
    } catch {
      // Missing or unreadable: nothing a task could read through the bot either.
    }
  }
  return { token, files, inodes };
}

/** Whether `path` is `root` or below it (both absolute and normalised). */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

function inodeOf(info: Deno.FileInfo): string | undefined {
  return info.ino === null || info.dev === null ? undefined : `${info.dev}:${info.ino}`;
}

/** Whether a file's content holds the token (files too large to read are not searched). */
async function holdsToken(path: string, info: Deno.FileInfo, token: string): Promise<boolean> {
  if (token === "" || !info.isFile || info.size > MAX_SCANNED_BYTES) return false;
  try {
    return (await Deno.readTextFile(path)).includes(token);
  } catch {
    return false;
  }
}

/** The tasks directory: as configured (to open files) and its real path (to compare). */
export interface TasksDir {
  readonly path: string;
  readonly real: string;
}

/**
 * Checks one entry of the tasks directory: its path (as written, for the import and the
 * grant) when it may be inspected, or why not.
 */
export async function checkTaskFile(
  dir: TasksDir,
  fileName: string,
  secrets: BotSecrets,
): Promise<{ readonly path: string } | { readonly reason: string }> {
  const path = join(dir.path, fileName);
  let real: string;
  let info: Deno.FileInfo;
  const outside = {
    reason: "it is a symbolic link to a file outside the tasks directory; a task must live " +
      "in it (copy the file in instead)",
  };
  try {
    real = await Deno.realPath(path);
    info = await Deno.stat(path);
  } catch {
    // Where the bot may not look (outside its grants), or nowhere at all.
    const target = await linkTarget(path);
    if (target !== undefined && !isInside(dir.real, await realPathOf(target) ?? target)) {
      return outside;
    }
    return { reason: "it is a symbolic link that leads nowhere (or cannot be read)" };
  }
  if (!isInside(dir.real, real)) return outside;
  if (!info.isFile) return { reason: "it is not a regular file" };
  const id = inodeOf(info);
  if (secrets.files.includes(real) || (id !== undefined && secrets.inodes.has(id))) {
    return { reason: `it is the bot's env file under another name; ${HAS_CLIENT}` };
  }
  if (await holdsToken(path, info, secrets.token)) {
    return { reason: `it contains the bot's token; ${HAS_CLIENT}: remove the token` };
  }
  return { path };
}

/** What a walk of a directory found that a task must not be given. */
interface WalkFindings {
  /** Symbolic links leading out of the directory, relative to it. */
  readonly escaping: string[];
  /** Paths (relative) that are a secret file or a hard link to one. */
  readonly secret: string[];
  /** The walk stopped at its entry limit. */
  truncated: boolean;
}

/**
 * Walks the directory `root` (opened by its path as written, compared by its real path)
 * without following links: the links that lead out of it and the hard links to a secret
 * file, up to {@link MAX_WALKED_ENTRIES} entries.
 */
export async function walkForEscapes(root: TasksDir, secrets: BotSecrets): Promise<WalkFindings> {
  const found: WalkFindings = { escaping: [], secret: [], truncated: false };
  const queue = [root.path];
  let seen = 0;
  while (queue.length > 0) {
    const dir = queue.shift()!;
    try {
      for await (const entry of Deno.readDir(dir)) {
        if (++seen > MAX_WALKED_ENTRIES) {
          found.truncated = true;
          return found;
        }
        const path = join(dir, entry.name);
        if (entry.isDirectory) queue.push(path);
        else await classify(path, entry, root, secrets, found);
      }
    } catch {
      // An unreadable subdirectory: the bot cannot hand it out either.
    }
  }
  return found;
}

async function classify(
  path: string,
  entry: Deno.DirEntry,
  root: TasksDir,
  secrets: BotSecrets,
  found: WalkFindings,
): Promise<void> {
  if (entry.isSymlink) {
    const real = await realPathOf(path);
    // A link whose end cannot be resolved (links loop) counts as leading out.
    if (real === undefined || !isInside(root.real, real)) {
      found.escaping.push(relative(root.path, path));
    }
    return;
  }
  try {
    const id = inodeOf(await Deno.lstat(path));
    if (id !== undefined && secrets.inodes.has(id)) found.secret.push(relative(root.path, path));
  } catch {
    // Gone meanwhile.
  }
}

/**
 * The real path `path` leads to: the deepest part that exists, resolved, with the rest
 * appended (a file a task will create); a dangling link is followed to where it points.
 * Undefined only when links loop: a part the bot may not resolve (a link into /proc under
 * `deno task start`) is followed by hand or resolved from the part above it.
 */
export async function realPathOf(path: string): Promise<string | undefined> {
  let existing = path;
  const rest: string[] = [];
  for (let hops = 0; hops < 64; hops++) {
    try {
      return join(await Deno.realPath(existing), ...[...rest].reverse());
    } catch {
      // Missing, or not granted to the bot (a link into /proc under `deno task start`): follow
      // the link by hand, or resolve the part above it.
    }
    const target = await linkTarget(existing);
    if (target !== undefined) {
      existing = target;
      continue;
    }
    const parent = dirname(existing);
    if (parent === existing) return undefined;
    rest.push(basename(existing));
    existing = parent;
  }
  return undefined;
}

/** Where a symbolic link points (absolute, unresolved), or undefined when `path` is none. */
async function linkTarget(path: string): Promise<string | undefined> {
  try {
    if (!(await Deno.lstat(path)).isSymlink) return undefined;
    return resolve(dirname(path), await Deno.readLink(path));
  } catch {
    return undefined;
  }
}

/** What {@link refusedRequest} needs. */
export interface ConfinementContext {
  readonly secrets: BotSecrets;
  /** The bot's working directory, for paths shown to people. */
  readonly cwd: string;
  /** The value of an environment variable, when the bot may read it. */
  readonly envValue: (name: string) => string | undefined;
}

/**
 * Why a task asking for `request` must not be loaded (it names a secret of the bot), or
 * undefined when it may be.
 */
export async function refusedRequest(
  request: PermissionRequest,
  context: ConfinementContext,
): Promise<string | undefined> {
  const envReason = refusedEnv(request.env, context);
  if (envReason !== undefined) return envReason;
  for (const kind of ["read", "write"] as const) {
    const asked = request[kind];
    if (asked === undefined) continue;
    if (asked === true) {
      return `PERMISSIONS.${kind}: true would include the bot's env file, which holds its ` +
        `token; ${HAS_CLIENT}: list the files the task needs`;
    }
    for (const item of asked) {
      const why = await secretPath(item, context);
      if (why !== undefined) {
        return `PERMISSIONS.${kind} asks for ${shownName(shown(item, context.cwd))}, ${why}; ` +
          `${HAS_CLIENT}: remove it`;
      }
    }
  }
  return undefined;
}

function shown(path: string, cwd: string): string {
  return isInside(cwd, path) && path !== cwd ? relative(cwd, path) : path;
}

function refusedEnv(
  asked: true | readonly string[] | undefined,
  context: ConfinementContext,
): string | undefined {
  if (asked === undefined) return undefined;
  if (asked === true) {
    return `PERMISSIONS.env: true would include TOKEN; ${HAS_CLIENT}: list the variables ` +
      "the task needs";
  }
  for (const name of asked) {
    const value = name.toUpperCase() === "TOKEN" ? undefined : context.envValue(name);
    const secret = name.toUpperCase() === "TOKEN" ||
      (value !== undefined && holdsSecretValue(value, context.secrets.token));
    if (secret) {
      return `PERMISSIONS.env asks for ${shownName(name)}, which holds the bot's token or ` +
        `credentials; ${HAS_CLIENT}: remove it`;
    }
  }
  return undefined;
}

/** A value holding the token, or a URL carrying credentials. */
function holdsSecretValue(value: string, token: string): boolean {
  if (token !== "" && value.includes(token)) return true;
  try {
    const url = new URL(value.trim());
    return url.username !== "" || url.password !== "";
  } catch {
    return false;
  }
}

/** Why a read or write of `path` would reach a secret, or undefined. */
async function secretPath(path: string, context: ConfinementContext): Promise<string | undefined> {
  const { secrets } = context;
  const procfs = "which is under /proc (the bot's environment and memory)";
  if (isInside("/proc", resolve(path))) return procfs;
  const real = await realPathOf(path);
  if (real === undefined) return "whose real location cannot be checked (links in a loop?)";
  if (isInside("/proc", real)) return procfs;
  if (secrets.files.includes(real)) {
    return real === path ? "which is the bot's env file" : "which leads to the bot's env file";
  }
  if (secrets.files.some((file) => isInside(real, file))) {
    return "a directory holding the bot's env file";
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return undefined;
  }
  const id = inodeOf(info);
  if (id !== undefined && secrets.inodes.has(id)) return "a hard link to the bot's env file";
  if (await holdsToken(path, info, secrets.token)) return "a file that contains the bot's token";
  if (!info.isDirectory) return undefined;
  const walk = await walkForEscapes({ path, real }, secrets);
  if (walk.secret.length > 0) return "a directory holding a hard link to the bot's env file";
  if (walk.escaping.length > 0) {
    return `a directory holding a symbolic link out of it (${shownName(walk.escaping[0])})`;
  }
  if (walk.truncated) {
    return `a directory too large to check (over ${MAX_WALKED_ENTRIES} entries) for links out ` +
      "of it";
  }
  return undefined;
}

/**
 * Whether `path` really leads inside the bot's own grant that covers it (`descriptor` asks
 * about a path): the outermost held directory above it, resolved. A grant of `tasks` covers
 * `tasks/notes.md -> /etc/shadow` as written, but not where it leads.
 */
export async function staysInGrant(
  path: string,
  held: (path: string) => boolean,
): Promise<boolean> {
  if (!held(path)) return false;
  let root = path;
  for (let up = dirname(root); up !== root && held(up); up = dirname(up)) root = up;
  const [real, realRoot] = [await realPathOf(path), await realPathOf(root)];
  return real !== undefined && realRoot !== undefined && isInside(realRoot, real);
}
