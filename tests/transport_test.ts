/**
 * How the bot speaks HTTP to the server: the connections it pooled for a burst of uploads are
 * let go soon after (each holds buffers grown by what went through it, about 0.5 MB after an
 * upload), not kept for fetch's default 90 s; and a server in its default gzip mode, which
 * compresses answers and drops their length, gets files relayed byte for byte.
 */

import assert from "node:assert/strict";
import { emulatorOnly, startScenario } from "@postbot/harness";
import { assertRelayed, broadcast, testFiles } from "./support/broadcasts.ts";

const CHANNELS = 8;

Deno.test({
  name: "after a broadcast with files the bot closes its idle connections within seconds",
  ignore: emulatorOnly("counts the TCP connections open at the server"),
  fn: async () => {
    const ids = Array.from({ length: CHANNELS }, (_, i) => `"{{bulk-${i}}}"`);
    const s = await startScenario({
      bulkChannels: CHANNELS,
      channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
      // The test's own requests keep no connection: what stays open is the bot's.
      userHttp: { poolMaxIdlePerHost: 0 },
    });
    try {
      const { report } = await broadcast(s.dm(s.world.alice), "Files for all", "Bulk", [
        ...testFiles(3),
      ]);
      assert.match(report, new RegExp(`Delivered to ${CHANNELS} of ${CHANNELS}`));
      const pooled = s.emu.openConnections;
      assert.ok(pooled > 1, `the uploads left ${pooled} connection(s) open, the socket included`);
      const started = Date.now();
      await s.waitFor(() => s.emu.openConnections === 1, {
        timeoutMs: 40_000,
        message: "the bot's idle connections to be closed (only its WebSocket left)",
      });
      const seconds = (Date.now() - started) / 1000;
      assert.ok(seconds <= 30, `idle connections closed after ${seconds} s`);
    } finally {
      await s.stop();
    }
  },
});

Deno.test("a server in gzip mode (the real server's default) gets files relayed byte for byte", async () => {
  const ids = Array.from({ length: 3 }, (_, i) => `"{{bulk-${i}}}"`);
  const s = await startScenario({
    bulkChannels: 3,
    channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
    emulator: { webserverMode: "gzip" },
  });
  try {
    const files = [
      ...testFiles(2),
      {
        name: "minutes.txt",
        bytes: new TextEncoder().encode("Minutes of the meeting, line after line.\n".repeat(6000)),
        mime: "text/plain",
      },
    ];
    const message = "The minutes, compressed on the way";
    const { id, report } = await broadcast(s.dm(s.world.alice), message, "Bulk", files);
    assert.match(report, /Delivered to 3 of 3/);
    for (let i = 0; i < 3; i++) {
      await assertRelayed(s, s.world.channels[`bulk-${i}`].id, id, message, files);
    }
  } finally {
    await s.stop();
  }
});
