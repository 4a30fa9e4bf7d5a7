/**
 * What the benchmarks share: the result row they return, reading a process's memory from
 * /proc, a world with many channels grouped in channels.toml, and a timed broadcast through
 * the wizard exactly as a user sends one.
 *
 * @module
 */

import { type Scenario, type ScenarioOptions, startScenario } from "@postbot/harness";
import { type Attachment, postAs } from "@postbot/harness/bot";
import type { RequestRecord } from "@postbot/mattermost-emulator";
import { UserSocket } from "./user_socket.ts";

export { UserSocket };

/** One line of the results table. */
export interface BenchRow {
  readonly name: string;
  readonly result: string;
  readonly aim: string;
  /** undefined when the row has no aim. */
  readonly met?: boolean;
}

/** A benchmark: returns its rows. */
export type Benchmark = () => Promise<BenchRow[]>;

/**
 * Memory of a process in bytes: resident now (VmRSS) and its peak so far (VmHWM). Deno
 * grants /proc/<pid> only with --allow-all, so `cat` (under --allow-run) reads it.
 */
export async function processMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
    .output();
  if (!out.success) throw new Error(`cannot read /proc/${pid}/status`);
  const status = new TextDecoder().decode(out.stdout);
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** Where a process's resident memory sits, in bytes (from /proc/<pid>/smaps). */
export interface MemoryMap {
  readonly rss: number;
  /** glibc's main arena (the `[heap]` mapping, grown with brk). */
  readonly heap: number;
  /**
   * Other anonymous mappings: V8's heap, glibc's thread arenas, allocations above glibc's
   * mmap threshold (array buffers among them), thread stacks.
   */
  readonly anon: number;
  /** File-backed pages (the deno executable, libraries, SQLite). */
  readonly file: number;
}

/** Reads /proc/<pid>/smaps (via `cat`, as {@link processMemory}) into a {@link MemoryMap}. */
export async function memoryMap(pid: number): Promise<MemoryMap> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/smaps`], stderr: "null" })
    .output();
  if (!out.success) throw new Error(`cannot read /proc/${pid}/smaps`);
  let heap = 0, anon = 0, file = 0;
  let kind: "heap" | "anon" | "file" = "anon";
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (mapping !== null) {
      const path = mapping[2];
      kind = path === "[heap]"
        ? "heap"
        : mapping[1] !== "0" || path.startsWith("/")
        ? "file"
        : "anon";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss === null) continue;
    const bytes = Number(rss[1]) * 1024;
    if (kind === "heap") heap += bytes;
    else if (kind === "anon") anon += bytes;
    else file += bytes;
  }
  return { rss: heap + anon + file, heap, anon, file };
}

/** Resets a process's VmHWM to its current VmRSS (`clear_refs` 5); false when not allowed. */
export async function resetPeak(pid: number): Promise<boolean> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `echo 5 > /proc/${pid}/clear_refs`],
    stderr: "null",
  }).output().catch(() => undefined);
  return out?.success ?? false;
}

/** CPU time (user + system) a process has used so far, in ms (via `cat`, as above). */
export async function processCpuMs(pid: number): Promise<number> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/stat`], stderr: "null" })
    .output();
  if (!out.success) throw new Error(`cannot read /proc/${pid}/stat`);
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks.
  const fields = new TextDecoder().decode(out.stdout).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Bytes as MB with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

/** Milliseconds as seconds with two decimals. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Resolves after `ms` (benchmarks let a process settle; tests never do this). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A scenario whose bot is a member of `channels` extra public channels, all in the group
 * "Bulk" of channels.toml.
 */
export async function bulkScenario(
  channels: number,
  options: Omit<ScenarioOptions, "bulkChannels" | "channelsToml"> = {},
): Promise<Scenario> {
  const ids = Array.from({ length: channels }, (_, i) => `"{{bulk-${i}}}"`);
  return await startScenario({
    ...options,
    bulkChannels: channels,
    channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
  });
}

/** A file of pseudo-random bytes (incompressible, like a real attachment). */
export function randomFile(name: string, size: number): Attachment {
  const bytes = new Uint8Array(size);
  for (let offset = 0; offset < size; offset += 65_536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(size, offset + 65_536)));
  }
  return { name, bytes };
}

/** What a timed broadcast reports. */
export interface TimedBroadcast {
  /** From the user's "yes" to the bot's report, in ms. */
  readonly wallMs: number;
  /** The report text. */
  readonly report: string;
  /** Index in `emu.requests` where the timed window started (0 on a real server). */
  readonly firstRequest: number;
}

/**
 * Sends `message` (with files) as alice to the group "Bulk" through the wizard and times the
 * delivery from her "yes" to the bot's report. `beforeYes` switches faults on just before the
 * clock starts.
 */
export async function timedBroadcast(
  s: Scenario,
  message: string,
  files: Attachment[],
  beforeYes: () => unknown = () => {},
): Promise<TimedBroadcast> {
  const alice = s.world.alice;
  const dm = s.dmChannel(alice).id;
  const socket = await UserSocket.open(s.url, alice.token, s.world.bot.user.id);
  try {
    const say = async (text: string, pattern: RegExp, attachments: Attachment[] = []) => {
      const mark = socket.received;
      await postAs(s.url, alice.token, dm, text, attachments);
      return (await socket.next(mark, pattern, 170_000)).message;
    };
    await say(message, /Where should I send this/, files);
    await say("Bulk", /Ready to send/);
    await beforeYes();
    const firstRequest = s.server.emulator?.requests.length ?? 0;
    const started = performance.now();
    const report = await say("yes", /Delivered to \d+ of/);
    const wallMs = performance.now() - started;
    return { wallMs, report, firstRequest };
  } finally {
    socket.close();
  }
}

/** The channels of the report that failed ("Not delivered" lines). */
export function failedChannels(report: string): number {
  return report.split("\n").filter((line) => /^- ~/.test(line)).length;
}

/** The bot's requests in a slice of the log, counted by route (ids replaced by `{id}`). */
export function byRoute(requests: readonly RequestRecord[], botId: string): Map<string, number> {
  const routes = new Map<string, number>();
  for (const r of requests) {
    if (r.userId !== botId) continue;
    const route = `${r.method} ${r.path.replace(/[a-z0-9]{26}/g, "{id}")}`;
    routes.set(route, (routes.get(route) ?? 0) + 1);
  }
  return routes;
}

/** "15 requests (12 × GET /x, 3 × POST /y)": the total and each route, most first. */
export function describeRoutes(routes: Map<string, number>): string {
  const total = [...routes.values()].reduce((a, b) => a + b, 0);
  const parts = [...routes].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${n} × ${r}`);
  return `${total} requests (${parts.join(", ")})`;
}

/** What one timed broadcast to people reports. */
export interface PeopleRun {
  readonly id: string;
  /** From alice's `yes` to the report, in ms. */
  readonly wallMs: number;
  /** performance.now() when the preview arrived, at the `yes`, and when the report arrived. */
  readonly previewAt: number;
  readonly yesAt: number;
  readonly reportAt: number;
  readonly report: string;
  /** The emulator's request log index at the `yes` and when the report arrived. */
  readonly from: number;
  readonly to: number;
}

/**
 * Alice drafts `message` (with `files`), names `target`, answers the preview with `yes` (the
 * count typed back when the guard asks for it) and waits for the report. `beforeYes` runs
 * just before the clock starts (a limiter switched on).
 */
export async function sendToPeople(
  s: Scenario,
  socket: UserSocket,
  options: {
    message: string;
    target: string;
    files?: Attachment[];
    beforeYes?: () => unknown;
    timeoutMs?: number;
  },
): Promise<PeopleRun> {
  const dm = s.dmChannel(s.world.alice).id;
  const say = async (
    text: string,
    pattern: RegExp,
    attachments: Attachment[] = [],
    ms = 120_000,
  ) => {
    const mark = socket.received;
    await postAs(s.url, s.world.alice.token, dm, text, attachments);
    return (await socket.next(mark, pattern, ms)).message;
  };
  await say(options.message, /Where should I send this/, options.files ?? []);
  const preview = await say(options.target, /Ready to send/);
  const previewAt = performance.now();
  const count = /\byes (\d+)/.exec(preview)?.[1];
  await options.beforeYes?.();
  const log = s.server.emulator?.requests;
  const from = log?.length ?? 0;
  const started = performance.now();
  const report = await say(
    count === undefined ? "yes" : `yes ${count}`,
    /Delivered to \d+ of/,
    [],
    options.timeoutMs ?? 900_000,
  );
  const reportAt = performance.now();
  const wallMs = reportAt - started;
  const to = log?.length ?? 0;
  const id = /broadcast `([a-z0-9]+)`/.exec(report)?.[1];
  if (id === undefined) throw new Error(`no broadcast id in: ${report}`);
  return { id, wallMs, report, from, to, previewAt, yesAt: started, reportAt };
}
