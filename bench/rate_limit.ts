/**
 * Broadcast to 300 channels with one file against Mattermost's default rate limit (10
 * requests/s, burst 100): no channel may fail, and the wall time should stay within 1.15 × the
 * least the limit allows, (requests − burst) / rate.
 *
 * @module
 */

import {
  type BenchRow,
  bulkScenario,
  failedChannels,
  randomFile,
  seconds,
  timedBroadcast,
} from "./support.ts";

const CHANNELS = 300;
const QUOTA = { perSec: 10, maxBurst: 100 };
const AIM = 1.15;

/** Runs the measurement; prints nothing, returns the rows. */
export async function rateLimitBenchmark(): Promise<BenchRow[]> {
  const s = await bulkScenario(CHANNELS);
  try {
    const run = await timedBroadcast(
      s,
      "Rate limit benchmark",
      [randomFile("notes.bin", 16_384)],
      () => s.emu.faults.rateLimit = QUOTA,
    );
    const window = s.emu.requests.slice(run.firstRequest);
    const admitted = window.filter((r) => r.status !== 429).length;
    const limited = window.length - admitted;
    const minimumMs = (admitted - QUOTA.maxBurst) / QUOTA.perSec * 1000;
    const ratio = run.wallMs / minimumMs;
    const failed = failedChannels(run.report);
    return [
      {
        name: `Rate limit ${QUOTA.perSec}/s burst ${QUOTA.maxBurst}: ${CHANNELS} channels, 1 file`,
        result: `${admitted} requests (+${limited} answered 429), minimum ${
          seconds(minimumMs)
        }, wall ${seconds(run.wallMs)}, ratio ${ratio.toFixed(3)}, ${failed} failed`,
        aim: `ratio ≤ ${AIM}, 0 failed`,
        met: ratio <= AIM && failed === 0,
      },
    ];
  } finally {
    await s.stop();
  }
}

if (import.meta.main) console.log(await rateLimitBenchmark());
