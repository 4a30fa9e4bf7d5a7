/**
 * Fan-out: one broadcast with 2 files to 200 channels at 20 ms of emulated latency per
 * request, delivered in parallel (the default BROADCAST_CONCURRENCY, 8) and then one channel
 * at a time (BROADCAST_CONCURRENCY=1) by the same bot in the same run. The CPU the emulator
 * (this process) and the bot used during the parallel run are reported too: on a small
 * machine the single-threaded emulator, not the bot, is what limits the parallel run.
 *
 * @module
 */

import {
  type BenchRow,
  bulkScenario,
  failedChannels,
  processCpuMs,
  randomFile,
  seconds,
  timedBroadcast,
} from "./support.ts";

const CHANNELS = 200;
const LATENCY_MS = 20;
const FILE_BYTES = 128 * 1024;
const AIM = 6;
const CONCURRENCY = 8;
/** Issue 13: within 1.2× of the floor, (requests × latency) ÷ concurrency. */
const FLOOR_AIM = 1.2;

/** Runs both deliveries; returns one row. */
export async function fanOutBenchmark(): Promise<BenchRow[]> {
  const s = await bulkScenario(CHANNELS);
  try {
    const files = [randomFile("photo.jpg", FILE_BYTES), randomFile("agenda.pdf", FILE_BYTES)];
    let cpu = { bot: 0, emulator: 0 };
    const parallel = await timedBroadcast(s, "Fan-out, parallel", files, async () => {
      s.emu.faults.latencyMs = LATENCY_MS;
      cpu = { bot: await processCpuMs(s.bot.pid), emulator: await processCpuMs(Deno.pid) };
    });
    cpu = {
      bot: await processCpuMs(s.bot.pid) - cpu.bot,
      emulator: await processCpuMs(Deno.pid) - cpu.emulator,
    };
    s.emu.faults.latencyMs = 0;
    const requests = s.emu.requests.length - parallel.firstRequest;
    const floorMs = requests * LATENCY_MS / CONCURRENCY;
    await s.bot.stop();
    await s.startBot({ BROADCAST_CONCURRENCY: "1" });
    const serial = await timedBroadcast(s, "Fan-out, one at a time", files, () => {
      s.emu.faults.latencyMs = LATENCY_MS;
    });
    s.emu.faults.latencyMs = 0;
    // One at a time, each request's whole cycle: the 20 ms plus everything else a request
    // costs (both sides' work, loopback, timer slack). The parallel run cannot beat it.
    const perRequestMs = serial.wallMs / (s.emu.requests.length - serial.firstRequest);
    const ratio = serial.wallMs / parallel.wallMs;
    const failed = failedChannels(parallel.report) + failedChannels(serial.report);
    const share = (ms: number) => `${Math.round(ms / parallel.wallMs * 100)} %`;
    const ofFloor = parallel.wallMs / floorMs;
    return [{
      name: `Fan-out: ${CHANNELS} channels × 2 files (${FILE_BYTES / 1024} KiB each), ` +
        `${LATENCY_MS} ms latency`,
      result: `parallel (concurrency 8) ${seconds(parallel.wallMs)}, one at a time ${
        seconds(serial.wallMs)
      }: ${ratio.toFixed(1)}× faster; ${requests} requests, floor ${seconds(floorMs)} → ${
        ofFloor.toFixed(2)
      }× the floor; one at a time a request took ${perRequestMs.toFixed(1)} ms (${
        (perRequestMs / LATENCY_MS).toFixed(2)
      }× the ${LATENCY_MS} ms) (during the parallel run the emulator used ${
        share(cpu.emulator)
      } of a core, the bot ${share(cpu.bot)}: ${
        (cpu.bot / CHANNELS).toFixed(1)
      } ms of bot CPU per delivered channel)${failed > 0 ? `, ${failed} failed` : ""}`,
      aim: `≥ ${AIM}×; ≤ ${FLOOR_AIM}× the floor (requests × ${LATENCY_MS} ms ÷ ${CONCURRENCY})`,
      met: ratio >= AIM && ofFloor <= FLOOR_AIM && failed === 0,
    }];
  } finally {
    await s.stop();
  }
}

if (import.meta.main) console.log(await fanOutBenchmark());
