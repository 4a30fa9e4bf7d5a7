/**
 * The wire between the bot and a task host process (`postbot --task-host`), in one place.
 *
 * The bot writes one JSON line to the host's stdin: the job, its permissions, the memory cap
 * and a fresh random nonce. Later lines may ask the job to abort. The host answers with JSON
 * lines on stdout, each carrying that nonce. The host reads the nonce before the task file is
 * imported, and the task runs in a Worker that never sees it, so task code can print whatever
 * it likes -- its lines lack the nonce and are shown as its output, never taken as a result.
 *
 * @module
 */

import { fail, ok, type Problem, type Result } from "@postbot/framework";
import type { FromWorker, TaskJob } from "./worker_entry.ts";

/** The command-line flag that turns postbot into a task host. */
export const TASK_HOST_FLAG = "--task-host";

/** The first line on the host's stdin. */
export interface HostRequest {
  readonly nonce: string;
  /** TASK_MEMORY_MB: how far the host's resident memory may grow once the Worker is up. */
  readonly memoryMb: number;
  /** The Worker's permissions (the task's grants). */
  readonly permissions: Deno.PermissionOptionsObject;
  /** Shown in Deno's own diagnostics. */
  readonly name: string;
  readonly job: TaskJob;
}

/** Later lines on the host's stdin. */
export type HostControl = { readonly kind: "abort"; readonly reason: string };

/** What the host reports: the Worker's messages, or that it ended the job itself. */
export type HostReport =
  | FromWorker
  | { readonly kind: "memory"; readonly usedMb: number };

/** Longest line either side reads; a longer one is cut (and so never parses as a report). */
export const MAX_LINE_BYTES = 128 * 1024;

/** A fresh unguessable nonce. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** One report as a stdout line. */
export function encodeReport(nonce: string, report: HostReport): string {
  return JSON.stringify({ nonce, report }) + "\n";
}

/**
 * The report in `line` if it carries `nonce`, else undefined (the line is then the task's
 * own output).
 */
export function decodeReport(line: string, nonce: string): HostReport | undefined {
  // Cheap first: a flood of lines without the nonce costs no parsing.
  if (!line.startsWith(`{"nonce":${JSON.stringify(nonce)},`)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { nonce: got, report } = value as { nonce?: unknown; report?: unknown };
  if (got !== nonce || typeof report !== "object" || report === null) return undefined;
  const kind = (report as { kind?: unknown }).kind;
  const known = ["log", "inspected", "finished", "failed", "memory"];
  return typeof kind === "string" && known.includes(kind) ? report as HostReport : undefined;
}

/** Parses the request line; a problem for people when it is not one. */
export function parseRequest(line: string): Result<HostRequest, Problem> {
  try {
    const value = JSON.parse(line) as Partial<HostRequest>;
    if (
      typeof value.nonce === "string" && value.nonce.length >= 16 &&
      typeof value.memoryMb === "number" && value.memoryMb > 0 &&
      typeof value.permissions === "object" && value.permissions !== null &&
      typeof value.name === "string" &&
      typeof value.job === "object" && value.job !== null &&
      (value.job.kind === "inspect" || value.job.kind === "run")
    ) {
      return ok(value as HostRequest);
    }
  } catch {
    // Reported below.
  }
  return fail(
    `${TASK_HOST_FLAG} is started by postbot itself, with a job on stdin; ` +
      "it is not meant to be run by hand",
  );
}
