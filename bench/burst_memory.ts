/**
 * Memory after bursts of files: 10 people each send a broadcast with 3 files to the same 20
 * channels at the same moment, three bursts in a row. For each burst the bot's peak resident
 * memory and its resident memory 30, 60 and 120 s after the last report are printed, beside
 * the idle figure before the first burst, with where the memory sits (glibc's main heap,
 * other anonymous mappings -- V8's heap, glibc's thread arenas, large allocations -- and
 * file-backed pages). It prints figures and asserts nothing.
 *
 * Runs on the emulator by default (in the real server's default WebserverMode, gzip); `--real`
 * runs it on a real Mattermost server (started with `deno task mattermost` when needed, as
 * real_server.ts does):
 *
 *     deno run -A bench/burst_memory.ts            # emulator
 *     deno run -A bench/burst_memory.ts --real     # real server
 *     deno run -A bench/burst_memory.ts --uncompressed  # emulator, WebserverMode uncompressed
 *     deno run -A bench/burst_memory.ts --bursts=2 --file-kb=512 --at=10,30
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { Person } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";
import {
  type BenchRow,
  bulkScenario,
  mb,
  type MemoryMap,
  memoryMap,
  pause,
  processMemory,
  randomFile,
  resetPeak,
  UserSocket,
} from "./support.ts";

/** What one run does; the defaults are the burst seen on a real server. */
export interface BurstOptions {
  readonly backend: "emulator" | "real";
  /** The emulator's WebserverMode (the real server's default is gzip). */
  readonly webserverMode: "gzip" | "uncompressed";
  readonly bursts: number;
  readonly senders: number;
  readonly channels: number;
  readonly files: number;
  readonly fileBytes: number;
  /** Seconds after each burst at which the resident memory is read. */
  readonly at: readonly number[];
}

const DEFAULTS: BurstOptions = {
  backend: "emulator",
  webserverMode: "gzip",
  bursts: 3,
  senders: 10,
  channels: 20,
  files: 3,
  fileBytes: 1_048_576,
  at: [30, 60, 120],
};

/** Time a freshly started bot is left alone before its memory counts as idle. */
const IDLE_SETTLE_MS = 10_000;
/** How often the resident memory is sampled during a burst (the peak where VmHWM cannot be reset). */
const SAMPLE_MS = 200;

/** One burst's figures. */
interface BurstFigures {
  readonly seconds: number;
  readonly peak: number;
  readonly settled: readonly { at: number; map: MemoryMap }[];
}

/** Runs the bursts; returns one row per burst after the idle row. */
export async function burstMemoryBenchmark(
  options: Partial<BurstOptions> = {},
): Promise<BenchRow[]> {
  const o = { ...DEFAULTS, ...options };
  const people: Person[] = [];
  const s = await bulkScenario(o.channels, {
    backend: o.backend,
    emulator: { webserverMode: o.webserverMode },
    prepare: async (server, world) => {
      for (let i = 0; i < o.senders; i++) {
        const person = await server.createUser({ username: `burst-${i}` });
        await server.addTeamMember(world.team.id, person.user.id);
        people.push(person);
      }
    },
  });
  const sockets: UserSocket[] = [];
  try {
    const botId = s.world.bot.user.id;
    for (const p of people) sockets.push(await UserSocket.open(s.url, p.token, botId));
    await pause(IDLE_SETTLE_MS);
    const idle = await memoryMap(s.bot.pid);
    const files = Array.from(
      { length: o.files },
      (_, i) => randomFile(`file-${i}.bin`, o.fileBytes),
    );
    const figures: BurstFigures[] = [];
    for (let b = 0; b < o.bursts; b++) {
      const peakWatch = await watchPeak(s.bot.pid);
      const started = performance.now();
      await Promise.all(people.map((p, i) => {
        const dm = s.dmChannel(p).id;
        return broadcast(s.url, p, dm, sockets[i], `Burst ${b + 1} from sender ${i}`, files, o);
      }));
      const seconds = (performance.now() - started) / 1000;
      const peak = await peakWatch();
      const ended = performance.now();
      console.error(`burst ${b + 1} delivered in ${seconds.toFixed(1)} s, peak ${mb(peak)}`);
      const settled: { at: number; map: MemoryMap }[] = [];
      for (const at of o.at) {
        await pause(Math.max(0, ended + at * 1000 - performance.now()));
        settled.push({ at, map: await memoryMap(s.bot.pid) });
      }
      figures.push({ seconds, peak, settled });
      console.error(`burst ${b + 1}: ${describeBurst(figures.at(-1)!, idle.rss)}`);
    }
    return rows(o, idle, figures);
  } finally {
    for (const socket of sockets) socket.close();
    await s.stop();
  }
}

/** One person's broadcast through the wizard, files on the first message. */
async function broadcast(
  url: string,
  person: Person,
  dm: string,
  socket: UserSocket,
  message: string,
  files: Parameters<typeof postAs>[4],
  o: BurstOptions,
): Promise<void> {
  const say = async (text: string, pattern: RegExp, attachments: typeof files = []) => {
    const mark = socket.received;
    await postAs(url, person.token, dm, text, attachments);
    await socket.next(mark, pattern, 300_000);
  };
  await say(message, /Where should I send this/, files);
  await say("Bulk", /Ready to send/);
  await say("yes", new RegExp(`Delivered to ${o.channels} of ${o.channels}`));
}

/**
 * Starts watching the bot's peak resident memory; the returned function stops and gives it.
 * VmHWM is reset first where the kernel allows it; the samples cover the case it does not.
 */
async function watchPeak(pid: number): Promise<() => Promise<number>> {
  const reset = await resetPeak(pid);
  let sampled = 0;
  let stop = false;
  const sampler = (async () => {
    while (!stop) {
      sampled = Math.max(sampled, (await processMemory(pid)).rss);
      await pause(SAMPLE_MS);
    }
  })();
  return async () => {
    stop = true;
    await sampler;
    const now = await processMemory(pid);
    return Math.max(sampled, now.rss, reset ? now.peak : 0);
  };
}

function percent(value: number, idle: number): string {
  const p = (value / idle - 1) * 100;
  return `${p >= 0 ? "+" : ""}${p.toFixed(0)} %`;
}

function describeMap(m: MemoryMap): string {
  return `heap ${mb(m.heap)}, other anon ${mb(m.anon)}, files ${mb(m.file)}`;
}

function describeBurst(f: BurstFigures, idle: number): string {
  const settled = f.settled.map(({ at, map }) =>
    `${at} s: ${mb(map.rss)} (${percent(map.rss, idle)}; ${describeMap(map)})`
  );
  return `${f.seconds.toFixed(1)} s, peak ${mb(f.peak)} (${percent(f.peak, idle)}); ` +
    `after ${settled.join(", ")}`;
}

function rows(o: BurstOptions, idle: MemoryMap, figures: readonly BurstFigures[]): BenchRow[] {
  const what = `${o.senders} broadcasts × ${o.files} files of ${mb(o.fileBytes)} × ${o.channels} ` +
    `channels at once (${
      o.backend === "real" ? "real server" : `emulator, WebserverMode ${o.webserverMode}`
    })`;
  return [
    {
      name: `Burst memory: ${what}, idle before`,
      result: `${mb(idle.rss)} (${describeMap(idle)})`,
      aim: "—",
    },
    ...figures.map((f, i) => ({
      name: `Burst memory: burst ${i + 1} of ${figures.length}`,
      result: describeBurst(f, idle.rss),
      aim: "—",
    })),
  ];
}

function parseOptions(args: string[]): Partial<BurstOptions> {
  const { values } = parseArgs({
    args,
    options: {
      real: { type: "boolean", default: false },
      uncompressed: { type: "boolean", default: false },
      bursts: { type: "string" },
      "file-kb": { type: "string" },
      at: { type: "string" },
    },
  });
  return {
    backend: values.real ? "real" : "emulator",
    webserverMode: values.uncompressed ? "uncompressed" : "gzip",
    ...(values.bursts !== undefined ? { bursts: Number(values.bursts) } : {}),
    ...(values["file-kb"] !== undefined ? { fileBytes: Number(values["file-kb"]) * 1024 } : {}),
    ...(values.at !== undefined ? { at: values.at.split(",").map(Number) } : {}),
  };
}

if (import.meta.main) {
  const options = parseOptions(Deno.args);
  if (options.backend === "real") {
    const { start } = await import("@postbot/harness/mattermost");
    const { RealBackend, seedScenarioWorld } = await import("@postbot/harness");
    const started = await start();
    if (!started.ok) throw new Error(`the real server could not be started: ${started.error}`);
    await seedScenarioWorld(await RealBackend.open());
  }
  for (const row of await burstMemoryBenchmark(options)) console.log(`${row.name}: ${row.result}`);
}
