/**
 * Assembly keeps nothing it opened when a start fails half-way, and stopping releases it
 * all: the database lock (a second postbot on the same database starts afterwards) and the
 * health port (it can be bound again).
 */

import assert from "node:assert/strict";
import { startPostbot } from "../src/postbot/app.ts";
import { lockDatabase } from "../src/postbot/storage/lock.ts";
import { emulatorOnly, type Scenario, startScenario } from "@postbot/harness";
import { inProcessConfig, startInProcess } from "./support/in_process.ts";
import { onPostgres, withStore } from "./support/store.ts";

/** A port that was free a moment ago (bound on the address the health server uses). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** True when nothing holds `port` (binding it works). */
function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "0.0.0.0", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * True when no process or handle holds the database's single-instance lock: the SQLite file's
 * lock, or on PostgreSQL the lease (none taken yet, or expired: a stop releases it at once).
 */
async function databaseIsFree(s: Scenario): Promise<boolean> {
  if (onPostgres(s)) {
    return await withStore(s, async (db) => {
      const [table] = await db.query("SELECT to_regclass('leader_lease') AS t");
      if (table.t === null) return true;
      const [held] = await db.query(
        `SELECT COUNT(*) AS n FROM leader_lease WHERE expires_at > ${db.nowMs}`,
      );
      return Number(held.n) === 0;
    });
  }
  const lock = await lockDatabase(`${s.dir}/broadcast_log.db`);
  if (!lock.ok) return false;
  lock.value.close();
  return true;
}

Deno.test("a start that fails at the health port releases the database; the next start works", async () => {
  const s = await startScenario({ startBot: false });
  const taken = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const failed = await startPostbot(inProcessConfig(s, { HEALTH_PORT: String(port) }));
    assert.equal(failed.ok, false);
    if (!failed.ok) {
      assert.match(failed.error.message, new RegExp(`HEALTH_PORT=${port} cannot be used`));
    }
    assert.ok(await databaseIsFree(s), "the failed start let go of the database lock");
    taken.close();
    const bot = await startInProcess(s, { HEALTH_PORT: String(port) });
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(response.status, 200, await response.text());
    } finally {
      await bot.stop();
    }
  } finally {
    try {
      taken.close();
    } catch {
      // Closed above.
    }
    await s.stop();
  }
});

Deno.test("a start that fails at the channel sweep releases the database", {
  ignore: emulatorOnly("scripts a failing channel listing with the emulator's faults"),
}, async () => {
  const s = await startScenario({ startBot: false });
  try {
    s.emu.faults.failRequests({ method: "GET", path: /\/channels$/, status: 403, times: 1000 });
    const failed = await startPostbot(inProcessConfig(s));
    assert.equal(failed.ok, false);
    if (!failed.ok) assert.match(failed.error.message, /Could not list the team's channels/);
    assert.ok(await databaseIsFree(s), "the failed start let go of the database lock");
    s.emu.faults.clear();
    const bot = await startInProcess(s);
    await bot.stop();
    assert.ok(await databaseIsFree(s));
  } finally {
    await s.stop();
  }
});

Deno.test("stop releases the database lock and the health port, and reports shutting down", async () => {
  const s = await startScenario({ startBot: false });
  try {
    const port = freePort();
    const bot = await startInProcess(s, { HEALTH_PORT: String(port) });
    assert.equal(await databaseIsFree(s), false, "a running bot holds the lock");
    assert.equal(portIsFree(port), false, "a running bot serves health");
    assert.equal(bot.health().shuttingDown, false);
    await bot.stop();
    assert.equal(bot.health().shuttingDown, true);
    assert.ok(await databaseIsFree(s), "stop let go of the database lock");
    assert.ok(portIsFree(port), "stop closed the health port");
  } finally {
    await s.stop();
  }
});
