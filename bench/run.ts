/**
 * `deno task bench`: runs every benchmark against the emulator with postbot as a real
 * process, then fan-out and rate limit again on a real Mattermost server (started when
 * needed), prints a Markdown table with the machine it ran on, and writes it to
 * `bench/results/<date>-<commit>.md` (see bench/README.md).
 *
 * @module
 */

import { burstMemoryBenchmark } from "./burst_memory.ts";
import { catchUpBenchmark } from "./catch_up.ts";
import { fanOutBenchmark } from "./fanout.ts";
import { memoryOverTimeBenchmark } from "./memory_over_time.ts";
import { pagedReadsBenchmark } from "./paged_reads.ts";
import { peopleBroadcastBenchmark } from "./people_broadcast.ts";
import { realPeopleBenchmark } from "./people_broadcast_real.ts";
import { rateLimitBenchmark } from "./rate_limit.ts";
import { realServerBenchmark } from "./real_server.ts";
import { relayMemoryBenchmark } from "./relay_memory.ts";
import { roundTripBenchmark } from "./round_trip.ts";
import { scheduledBenchmark } from "./scheduled.ts";
import { startupBenchmark } from "./startup.ts";
import { takeoverBenchmark } from "./takeover.ts";
import { statusSeenBenchmark } from "./status_seen.ts";
import type { Benchmark, BenchRow } from "./support.ts";

const BENCHMARKS: [string, Benchmark][] = [
  ["fan-out", fanOutBenchmark],
  ["startup and idle memory", startupBenchmark],
  ["round trip", roundTripBenchmark],
  ["50 MB relay", relayMemoryBenchmark],
  ["rate limit", rateLimitBenchmark],
  ["restart catch-up", catchUpBenchmark],
  ["scheduled batch", scheduledBenchmark],
  ["!status with seen, 1,000 and 10,000 people", statusSeenBenchmark],
  ["paged reads of a broadcast's deliveries", pagedReadsBenchmark],
  ["broadcast to 1,000 people under the rate limit; memory of 10,000", peopleBroadcastBenchmark],
  ["real server: fan-out and rate limit", realServerBenchmark],
  ["real server: 200 people under the rate limit", realPeopleBenchmark],
  ["memory over time", () => memoryOverTimeBenchmark()],
  ["memory after bursts of files", () => burstMemoryBenchmark()],
  ["takeover and a standby's memory (PostgreSQL)", takeoverBenchmark],
];

/** The machine, as the README reports it. */
async function machine(): Promise<string> {
  // Deno grants /proc files only with --allow-all; `cat` runs under --allow-run.
  const out = await new Deno.Command("cat", { args: ["/proc/cpuinfo"], stderr: "null" }).output()
    .catch(() => undefined);
  const cpuinfo = out?.success ? new TextDecoder().decode(out.stdout) : "";
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const memory = Deno.systemMemoryInfo().total;
  return [
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    `${model}, ${navigator.hardwareConcurrency} cores, ${
      (memory / 1_073_741_824).toFixed(1)
    } GiB RAM`,
    `${Deno.build.os} ${Deno.osRelease()}, ${new Date().toISOString().slice(0, 10)}`,
  ].join("; ");
}

function table(rows: BenchRow[]): string {
  const cell = (text: string) => text.replaceAll("|", "\\|");
  const lines = ["| Benchmark | Result | Aim | Met |", "|---|---|---|---|"];
  for (const r of rows) {
    const met = r.met === undefined ? "—" : r.met ? "yes" : "**no**";
    lines.push(`| ${cell(r.name)} | ${cell(r.result)} | ${cell(r.aim)} | ${met} |`);
  }
  return lines.join("\n");
}

/** The commit benchmarked (short id, "-dirty" when the tree has changes), or "unknown". */
async function commit(): Promise<string> {
  const git = (...args: string[]) =>
    new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output()
      .then((o) => o.success ? new TextDecoder().decode(o.stdout).trim() : undefined)
      .catch(() => undefined);
  const id = await git("rev-parse", "--short", "HEAD");
  if (id === undefined) return "unknown";
  return (await git("status", "--porcelain", "--untracked-files=no")) ? `${id}-dirty` : id;
}

/** The load average when the run started (the machine's quiet or not), as /proc tells it. */
async function loadAverage(): Promise<string> {
  const out = await new Deno.Command("cat", { args: ["/proc/loadavg"], stderr: "null" }).output()
    .catch(() => undefined);
  return out?.success ? new TextDecoder().decode(out.stdout).split(" ").slice(0, 3).join(" ") : "?";
}

/** Where this run's results go: bench/results/<YYYY-MM-DD>-<commit>.md. */
export function resultsPath(date: Date, commitId: string): string {
  return new URL(`./results/${date.toISOString().slice(0, 10)}-${commitId}.md`, import.meta.url)
    .pathname;
}

if (import.meta.main) {
  const started = performance.now();
  const load = await loadAverage();
  const rows: BenchRow[] = [];
  for (const [name, run] of BENCHMARKS) {
    const t0 = performance.now();
    console.error(`running: ${name}…`);
    try {
      rows.push(...await run());
    } catch (e) {
      rows.push({ name, result: `failed: ${(e as Error).message}`, aim: "—", met: false });
    }
    console.error(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const id = await commit();
  const report = [
    `# deno task bench at ${id}`,
    "",
    `Machine: ${await machine()}; load average before the run: ${load}`,
    "",
    table(rows),
    "",
    `Total benchmark time: ${((performance.now() - started) / 1000).toFixed(0)} s`,
    "",
  ].join("\n");
  console.log(report);
  const path = resultsPath(new Date(), id);
  await Deno.writeTextFile(path, report);
  console.error(`written to ${path}`);
}
