/**
 * The permissions of a task's Worker: the base every run gets (the Mattermost host, its own file),
 * plus what the task asks for with `export const PERMISSIONS`, granted only as far as the bot
 * itself holds it. Deno refuses to create a Worker with more than its parent has, so asking
 * is checked here, item by item, and what is refused is reported rather than fatal.
 *
 * @module
 */

import { fail, ok, type Problem, type Result, unreachable } from "@postbot/framework";
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { shownName } from "@postbot/framework/text";

/** The permission kinds a task may ask for. */
export const PERMISSION_KINDS = [
  "read",
  "write",
  "net",
  "env",
  "sys",
  "run",
  "ffi",
  "import",
] as const;

/** One permission kind. */
export type PermissionKind = typeof PERMISSION_KINDS[number];

/** A validated request: `true` (all) or a list of names/absolute paths per kind. */
export type PermissionRequest = Partial<Record<PermissionKind, true | readonly string[]>>;

/** What a run gets, and how to describe it to people. */
export interface GrantedPermissions {
  /** Handed to `new Worker(..., { deno: { permissions } })`. */
  readonly worker: Deno.PermissionOptionsObject;
  /** Granted beyond the base, e.g. `read tasks/plan.md`. */
  readonly extra: readonly string[];
  /** Asked for but not held by the bot itself, e.g. `env HOME`. */
  readonly refused: readonly string[];
}

/** Answers whether the bot itself holds a permission (injectable for tests). */
export type PermissionQuery = (descriptor: Deno.PermissionDescriptor) => boolean;

/** The kinds whose items are paths. */
export const PATH_KINDS: ReadonlySet<PermissionKind> = new Set(["read", "write", "ffi"]);

/**
 * Validates the PERMISSIONS export as it came out of the inspection (URLs already turned into
 * strings). Paths become absolute: `file:` URLs are converted, relative paths are resolved
 * against `cwd` like Deno's own flags.
 */
export function parsePermissionRequest(
  raw: unknown,
  cwd: string,
): Result<PermissionRequest, Problem> {
  if (raw === undefined) return ok({});
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return fail('PERMISSIONS must be an object such as { read: ["notes.md"] }');
  }
  const request: Record<string, true | string[]> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(PERMISSION_KINDS as readonly string[]).includes(key)) {
      return fail(
        `PERMISSIONS key ${shownName(key, 60)} is not a Deno permission; use ${
          PERMISSION_KINDS.join(", ")
        }`,
      );
    }
    const kind = key as PermissionKind;
    if (value === false) continue;
    if (value === true) {
      request[kind] = true;
      continue;
    }
    if (value === "inherit") {
      return fail(
        `PERMISSIONS.${kind}: "inherit" would hand the task everything the bot may do; ` +
          "list what it needs instead",
      );
    }
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v !== "")) {
      return fail(
        `PERMISSIONS.${kind} must be true, false or a list of ${
          kind === "net" || kind === "import" ? "hosts" : "names or paths"
        } (strings or file URLs)`,
      );
    }
    request[kind] = (value as string[]).map((item) => normalizeItem(kind, item, cwd));
  }
  return ok(request as PermissionRequest);
}

function normalizeItem(kind: PermissionKind, item: string, cwd: string): string {
  const isPathLike = PATH_KINDS.has(kind) || (kind === "run" && /[\\/]|^file:/.test(item));
  if (!isPathLike) return item;
  const path = item.startsWith("file:") ? fileURLToPath(item) : item;
  return isAbsolute(path) ? resolve(path) : resolve(cwd, path);
}

/** The default query: the bot's own permission state. */
export const botHolds: PermissionQuery = (descriptor) => {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
};

/** The descriptor that asks whether the bot holds `kind` (for `item`, or all). */
export function descriptor(kind: PermissionKind, item?: string): Deno.PermissionDescriptor {
  if (item === undefined) return { name: kind } as Deno.PermissionDescriptor;
  switch (kind) {
    case "read":
    case "write":
    case "ffi":
      return { name: kind, path: item };
    case "run":
      return { name: "run", command: item };
    case "net":
    case "import":
      return { name: kind, host: item };
    case "env":
      return { name: "env", variable: item };
    case "sys":
      return { name: "sys", kind: item as Deno.SysPermissionDescriptor["kind"] };
    default:
      return unreachable(kind);
  }
}

/** What every run of a task gets, and where its paths really lead. */
export interface GrantBase {
  /** The task's own file (its real path). */
  readonly taskPath: string;
  readonly serverHost: string;
  readonly cwd: string;
  /**
   * Whether each requested path really leads inside the bot's grant that covers it
   * (confinement.ts `staysInGrant`). When given, a path not known to do so is refused: Deno
   * checks the path as written, then follows links.
   */
  readonly confined?: ReadonlyMap<string, boolean>;
}

/**
 * The Worker permissions of one task: network only to `serverHost`, read only of
 * `taskPath`, nothing else, plus the part of `request` the bot holds.
 */
export function grantPermissions(
  request: PermissionRequest,
  base: GrantBase,
  holds: PermissionQuery = botHolds,
): GrantedPermissions {
  const worker: Record<PermissionKind, boolean | string[]> = {
    read: [base.taskPath],
    write: false,
    net: [base.serverHost],
    env: false,
    sys: false,
    run: false,
    ffi: false,
    import: false,
  };
  const extra: string[] = [];
  const refused: string[] = [];
  // A task's own words, shown as code: they can neither mention nor format.
  const show = (kind: PermissionKind, item: string) =>
    shownName(
      PATH_KINDS.has(kind) || (kind === "run" && isAbsolute(item))
        ? `${kind} ${displayPath(item, base.cwd)}`
        : `${kind} ${item}`,
    );
  for (const kind of PERMISSION_KINDS) {
    const asked = request[kind];
    if (asked === undefined) continue;
    if (asked === true) {
      if (holds(descriptor(kind))) {
        worker[kind] = true;
        extra.push(shownName(`${kind} (all)`));
      } else {
        refused.push(shownName(`${kind} (all)`));
      }
      continue;
    }
    for (const item of asked) {
      const granted = grantedItems(kind, item, base, holds);
      if (granted === undefined) {
        refused.push(show(kind, item));
        continue;
      }
      const current = worker[kind];
      if (current === true) continue;
      const list = Array.isArray(current) ? current : [];
      for (const g of granted) if (!list.includes(g)) list.push(g);
      worker[kind] = list;
      extra.push(show(kind, item));
    }
  }
  return { worker: worker as Deno.PermissionOptionsObject, extra, refused };
}

/**
 * What granting `item` puts into the Worker's list, or undefined when it is refused (not
 * grantable, not held by the bot, or leading outside the bot's grant through a link).
 */
function grantedItems(
  kind: PermissionKind,
  item: string,
  base: GrantBase,
  holds: PermissionQuery,
): string[] | undefined {
  if (!grantable(kind, item) || !holds(descriptor(kind, item))) return undefined;
  if (PATH_KINDS.has(kind) && base.confined !== undefined && !base.confined.get(item)) {
    return undefined;
  }
  return [item];
}

/**
 * Never granted, even when the bot holds it: the bot's own executable (the bot may start it
 * for task processes, but a task starting it could give itself every permission), and names
 * with a comma, which Deno's permission flags cannot express.
 */
function grantable(kind: PermissionKind, item: string): boolean {
  if (item.includes(",")) return false;
  return !(kind === "run" && (item === "/proc/self/exe" || item.startsWith("/proc/")));
}

/** A path as people want to read it: relative to the working directory when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
