/**
 * Relaying a 50 MB file to 20 channels: the bot's peak resident memory (VmHWM) against its
 * resident memory just before the delivery. The file must be held once, not once per channel.
 *
 * @module
 */

import {
  type BenchRow,
  bulkScenario,
  failedChannels,
  mb,
  processMemory,
  randomFile,
  timedBroadcast,
} from "./support.ts";

const CHANNELS = 20;
const SIZE = 50 * 1_048_576;

/** Runs the relay; returns one row. */
export async function relayMemoryBenchmark(): Promise<BenchRow[]> {
  const s = await bulkScenario(CHANNELS);
  try {
    let before = 0;
    const run = await timedBroadcast(
      s,
      "The 50 MB file",
      [randomFile("dataset.bin", SIZE)],
      async () => {
        before = (await processMemory(s.bot.pid)).rss;
      },
    );
    const peak = (await processMemory(s.bot.pid)).peak;
    const aim = before + 2 * SIZE;
    const failed = failedChannels(run.report);
    return [{
      name: `Relay of a 50 MB file to ${CHANNELS} channels: peak resident memory`,
      result: `${mb(peak)} (before: ${mb(before)}, so +${mb(peak - before)})${
        failed > 0 ? `, ${failed} failed` : ""
      }`,
      aim: `< ${mb(aim)} (before + 2 × file)`,
      met: peak < aim && failed === 0,
    }];
  } finally {
    await s.stop();
  }
}

if (import.meta.main) console.log(await relayMemoryBenchmark());
