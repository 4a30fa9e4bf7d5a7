/**
 * What the benchmarks share: the result row they return, reading a process's memory from
 * /proc, a world with many channels grouped in channels.toml, and a timed broadcast through
 * the wizard exactly as a user sends one.
 *
 * @module
 */

import type { DmUser, Scenario, ScenarioOptions } from "../tests/support/scenario.ts";
import { startScenario } from "../tests/support/scenario.ts";

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

/** Memory of a process in bytes: resident now (VmRSS) and its peak so far (VmHWM). */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (m === null) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
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
export function randomFile(name: string, size: number): { name: string; bytes: Uint8Array } {
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
  /** Index in `emu.requests` where the timed window started. */
  readonly firstRequest: number;
}

/**
 * Sends `message` (with files) to the group "Bulk" through the wizard and times the delivery
 * from the "yes" to the report. `beforeYes` switches faults on just before the clock starts.
 */
export async function timedBroadcast(
  s: Scenario,
  dm: DmUser,
  message: string,
  files: { name: string; bytes: Uint8Array }[],
  beforeYes: () => void = () => {},
): Promise<TimedBroadcast> {
  await dm.send(message, files);
  await dm.replyMatching(/Where should I send this/, 60_000);
  await dm.send("Bulk");
  await dm.replyMatching(/Ready to send/, 60_000);
  beforeYes();
  const firstRequest = s.emu.requests.length;
  const started = performance.now();
  await dm.send("yes");
  const report = await dm.replyMatching(/Delivered to \d+ of/, 170_000);
  const wallMs = performance.now() - started;
  return { wallMs, report, firstRequest };
}

/** The channels of the report that failed ("Not delivered" lines). */
export function failedChannels(report: string): number {
  return report.split("\n").filter((line) => /^- ~/.test(line)).length;
}
