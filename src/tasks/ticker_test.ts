import assert from "node:assert/strict";
import { denoCronTicker, timerTicker } from "./ticker.ts";

Deno.test("both tickers register and stop when their signal aborts (nothing leaks)", () => {
  for (const ticker of [denoCronTicker, timerTicker]) {
    const ticks: number[] = [];
    const controller = new AbortController();
    ticker(() => ticks.push(Date.now()), controller.signal);
    controller.abort();
    assert.deepEqual(ticks, []);
  }
});
