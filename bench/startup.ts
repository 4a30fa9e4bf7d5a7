/**
 * A team with 5,000 channels (the bot a member of each): how long from starting the process
 * until "postbot is ready" (the startup sweep included), and the bot's resident memory once
 * idle with all of them cached — next to the same bot in a team of 10 channels.
 *
 * @module
 */

import { startScenario } from "@postbot/harness";
import { type BenchRow, mb, pause, processMemory, seconds } from "./support.ts";

const CHANNELS = 5_000;
/** Issue 13: ≤ 60 MB with 5,000 channels cached, ≤ 50 MB with 10. */
const MEMORY_AIM = 60 * 1_048_576;
const SMALL_MEMORY_AIM = 50 * 1_048_576;
/** Time a bot is left alone before its memory counts as idle. */
const SETTLE_MS = 3_000;

/** Starts a bot against a team with `bulk` extra channels; returns timings and memory. */
async function measure(bulk: number) {
  const s = await startScenario({ startBot: false, bulkChannels: bulk });
  try {
    const started = performance.now();
    const bot = await s.startBot();
    const readyMs = performance.now() - started;
    const sweep = /Channel cache refreshed: .*?(\d+) ms/.exec(bot.output);
    const cached = /postbot is ready: (\d+) channels cached/.exec(bot.output);
    await pause(SETTLE_MS);
    const memory = await processMemory(bot.pid);
    return {
      readyMs,
      sweepMs: sweep ? Number(sweep[1]) : NaN,
      cached: cached ? Number(cached[1]) : NaN,
      rss: memory.rss,
    };
  } finally {
    await s.stop();
  }
}

/** Runs the small and the large team; returns two rows. */
export async function startupBenchmark(): Promise<BenchRow[]> {
  const small = await measure(0);
  const large = await measure(CHANNELS);
  return [
    {
      name: `Startup with ${CHANNELS.toLocaleString("en-US")} channels`,
      result: `ready ${seconds(large.readyMs)} after the process started, ${
        large.cached.toLocaleString("en-US")
      } channels cached (the sweep itself ${seconds(large.sweepMs)}); with 10 channels: ${
        seconds(small.readyMs)
      }`,
      aim: "—",
    },
    {
      name: `Idle resident memory, ${CHANNELS.toLocaleString("en-US")} channels cached`,
      result: `${mb(large.rss)} (10 channels: ${mb(small.rss)})`,
      aim: `≤ ${mb(MEMORY_AIM)} (10 channels: ≤ ${mb(SMALL_MEMORY_AIM)})`,
      met: large.rss <= MEMORY_AIM && small.rss <= SMALL_MEMORY_AIM,
    },
  ];
}

if (import.meta.main) console.log(await startupBenchmark());
