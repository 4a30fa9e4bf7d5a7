/**
 * The benchmarks that matter most, again on a real Mattermost server (`deno task mattermost`,
 * started here when needed): fan-out of 200 channels × 2 files, parallel vs one at a time in
 * the same run; and a broadcast to 300 channels with one file under the server's own rate
 * limiter (10 requests/s, burst 100). No latency is injected: the real server's own costs
 * (PostgreSQL, file storage) are what is measured. When the server cannot be started (no
 * Go, say) the rows say why.
 *
 * @module
 */

import { start } from "@postbot/harness/mattermost";
import { RealBackend, seedScenarioWorld } from "@postbot/harness";
import {
  type BenchRow,
  bulkScenario,
  failedChannels,
  randomFile,
  seconds,
  timedBroadcast,
} from "./support.ts";

const FAN_OUT_CHANNELS = 200;
const FILE_BYTES = 128 * 1024;
const LIMITED_CHANNELS = 300;
const QUOTA = { perSec: 10, maxBurst: 100 };
const AIM = 1.15;

async function fanOut(): Promise<BenchRow> {
  const s = await bulkScenario(FAN_OUT_CHANNELS, { backend: "real" });
  try {
    const files = [randomFile("photo.jpg", FILE_BYTES), randomFile("agenda.pdf", FILE_BYTES)];
    const parallel = await timedBroadcast(s, "Real fan-out, parallel", files);
    await s.bot.stop();
    await s.startBot({ BROADCAST_CONCURRENCY: "1" });
    const serial = await timedBroadcast(s, "Real fan-out, one at a time", files);
    const failed = failedChannels(parallel.report) + failedChannels(serial.report);
    const ratio = serial.wallMs / parallel.wallMs;
    return {
      name: `Real server fan-out: ${FAN_OUT_CHANNELS} channels × 2 files (${
        FILE_BYTES / 1024
      } KiB each)`,
      result: `parallel (concurrency 8) ${seconds(parallel.wallMs)}, one at a time ${
        seconds(serial.wallMs)
      }: ${ratio.toFixed(1)}× faster${failed > 0 ? `, ${failed} failed` : ""}`,
      aim: "faster in parallel, 0 failed",
      met: ratio > 1 && failed === 0,
    };
  } finally {
    await s.stop();
  }
}

async function rateLimited(): Promise<BenchRow> {
  const s = await bulkScenario(LIMITED_CHANNELS, { backend: "real", startBot: false });
  try {
    await s.server.setRateLimit(QUOTA);
    await s.startBot();
    const run = await timedBroadcast(s, "Real rate limit benchmark", [
      randomFile("notes.bin", 16_384),
    ]);
    // One upload and one post per channel; the server's counts are not visible from here.
    const requests = 2 * LIMITED_CHANNELS;
    const minimumMs = (requests - QUOTA.maxBurst) / QUOTA.perSec * 1000;
    const ratio = run.wallMs / minimumMs;
    const failed = failedChannels(run.report);
    return {
      name: `Real server rate limit ${QUOTA.perSec}/s burst ${QUOTA.maxBurst}: ` +
        `${LIMITED_CHANNELS} channels, 1 file`,
      result: `≈${requests} requests, minimum ${seconds(minimumMs)}, wall ${
        seconds(run.wallMs)
      }, ratio ${ratio.toFixed(3)}, ${failed} failed`,
      aim: `ratio ≤ ${AIM}, 0 failed`,
      met: ratio <= AIM && failed === 0,
    };
  } finally {
    await s.stop();
  }
}

/** Runs both on the real server; one explanatory row when it cannot be started. */
export async function realServerBenchmark(): Promise<BenchRow[]> {
  const started = await start();
  if (!started.ok) {
    return [{ name: "Real server", result: `not run: ${started.error}`, aim: "—" }];
  }
  await seedScenarioWorld(await RealBackend.open());
  return [await fanOut(), await rateLimited()];
}

if (import.meta.main) console.log(await realServerBenchmark());
