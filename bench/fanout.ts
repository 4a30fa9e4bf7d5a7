/**
 * Fan-out: one broadcast with 2 files to 200 channels at 20 ms of emulated latency per
 * request, delivered in parallel (the default BROADCAST_CONCURRENCY) and then one channel at a
 * time (BROADCAST_CONCURRENCY=1) by the same bot in the same run.
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

const CHANNELS = 200;
const LATENCY_MS = 20;
const AIM = 6;

/** Runs both deliveries; returns one row. */
export async function fanOutBenchmark(): Promise<BenchRow[]> {
  const s = await bulkScenario(CHANNELS);
  try {
    const files = [randomFile("photo.jpg", 256 * 1024), randomFile("agenda.pdf", 256 * 1024)];
    const withLatency = () => s.emu.faults.latencyMs = LATENCY_MS;
    const parallel = await timedBroadcast(s, "Fan-out, parallel", files, withLatency);
    s.emu.faults.latencyMs = 0;
    await s.bot.stop();
    await s.startBot({ BROADCAST_CONCURRENCY: "1" });
    const serial = await timedBroadcast(s, "Fan-out, one at a time", files, withLatency);
    s.emu.faults.latencyMs = 0;
    const ratio = serial.wallMs / parallel.wallMs;
    const failed = failedChannels(parallel.report) + failedChannels(serial.report);
    return [{
      name: `Fan-out: ${CHANNELS} channels × 2 files (256 KiB each), ${LATENCY_MS} ms latency`,
      result: `parallel (concurrency 8) ${seconds(parallel.wallMs)}, one at a time ${
        seconds(serial.wallMs)
      }: ${ratio.toFixed(1)}× faster${failed > 0 ? `, ${failed} failed` : ""}`,
      aim: `≥ ${AIM}×`,
      met: ratio >= AIM && failed === 0,
    }];
  } finally {
    await s.stop();
  }
}

if (import.meta.main) console.log(await fanOutBenchmark());
