import assert from "node:assert/strict";
import { until } from "@postbot/mattermost-emulator/testing";
import { ensureLeaseTable, fencedRun, Lease } from "./lease.ts";
import type { Database } from "./port.ts";
import { connectUrl, freshPostgresUrl, testOnBothEngines } from "./testing.ts";

/** A lease short enough for a test to outwait (by polling, not sleeping). */
const SHORT_TTL_MS = 400;
const LONG_TTL_MS = 60_000;

async function leases(db: Database, ttlMs: number, ...holders: string[]): Promise<Lease[]> {
  await ensureLeaseTable(db);
  return holders.map((holder) => new Lease(db, { holder, ttlMs }));
}

/** Waits until `lease` takes over, and returns its epoch. */
function takeOver(lease: Lease): Promise<number> {
  return until(async () => {
    const got = await lease.acquire();
    return got.kind === "held" ? got.epoch : undefined;
  }, `${lease.holder} to take the lease over`);
}

async function noteTable(db: Database): Promise<void> {
  await db.run("CREATE TABLE note (id TEXT PRIMARY KEY, text TEXT NOT NULL)");
  await db.run("INSERT INTO note (id, text) VALUES ('n', 'first')");
}

testOnBothEngines("three contenders at once: one holds the lease", async (db) => {
  const contenders = await leases(db, LONG_TTL_MS, "a", "b", "c");
  const results = await Promise.all(contenders.map((l) => l.acquire()));
  const held = results.filter((r) => r.kind === "held");
  assert.equal(held.length, 1);
  const winner = contenders[results.findIndex((r) => r.kind === "held")].holder;
  for (const r of results.filter((r) => r.kind === "taken")) {
    assert.equal(r.kind === "taken" && r.holder, winner);
    assert.ok(r.kind === "taken" && r.remainingMs > 0 && r.remainingMs <= LONG_TTL_MS);
  }
  assert.deepEqual(held, [{ kind: "held", epoch: 1 }]);
});

testOnBothEngines("the holder asking again keeps its epoch; renewing keeps it", async (db) => {
  const [a, b] = await leases(db, LONG_TTL_MS, "a", "b");
  assert.deepEqual(await a.acquire(), { kind: "held", epoch: 1 });
  assert.deepEqual(await a.acquire(), { kind: "held", epoch: 1 });
  assert.equal(await a.renew(1), true);
  assert.equal(await b.renew(1), false, "only the holder renews");
  assert.equal(await a.renew(2), false, "only at its own epoch");
  assert.equal((await b.acquire()).kind, "taken");
});

testOnBothEngines("release hands the lease over at once, at the next epoch", async (db) => {
  const [a, b] = await leases(db, LONG_TTL_MS, "a", "b");
  assert.deepEqual(await a.acquire(), { kind: "held", epoch: 1 });
  assert.equal(await a.release(1), true);
  assert.deepEqual(await b.acquire(), { kind: "held", epoch: 2 });
  assert.equal(await a.release(1), false, "released once");
  assert.equal(await a.renew(1), false, "a released lease is not renewed");
});

testOnBothEngines("a holder that stopped renewing loses the lease and cannot renew", async (db) => {
  const [a, b] = await leases(db, SHORT_TTL_MS, "a", "b");
  assert.deepEqual(await a.acquire(), { kind: "held", epoch: 1 });
  assert.equal(await takeOver(b), 2);
  assert.equal(await a.renew(1), false);
  assert.deepEqual((await a.acquire()).kind, "taken");
});

testOnBothEngines("a paused holder's fenced write is refused after a takeover", async (db) => {
  await noteTable(db);
  const [a, b] = await leases(db, SHORT_TTL_MS, "a", "b");
  const held = await a.acquire();
  assert.equal(held.kind, "held");
  const fenceA = a.fence(1);
  const update = (fence: { sql: string }) =>
    `UPDATE note SET text = ? WHERE id = 'n' AND ${fence.sql}`;
  assert.deepEqual(await fencedRun(db, fenceA, update(fenceA), ["by a"]), {
    kind: "written",
    changed: 1,
  });
  // a is "paused": it renews nothing; b takes over once the lease expires.
  const epochB = await takeOver(b);
  assert.deepEqual(await fencedRun(db, fenceA, update(fenceA), ["by a, late"]), {
    kind: "lease_lost",
  });
  const fenceB = b.fence(epochB);
  assert.deepEqual(await fencedRun(db, fenceB, update(fenceB), ["by b"]), {
    kind: "written",
    changed: 1,
  });
  const [row] = await db.query<{ text: string }>("SELECT text FROM note WHERE id = 'n'");
  assert.equal(row.text, "by b");
});

testOnBothEngines(
  "a fenced claim: inserted once, not matched again, refused after loss",
  async (db) => {
    await noteTable(db);
    const [a, b] = await leases(db, LONG_TTL_MS, "a", "b");
    assert.equal((await a.acquire()).kind, "held");
    const fence = a.fence(1);
    const claim = `INSERT INTO note (id, text) SELECT ?, 'claimed' WHERE ${fence.sql} ` +
      "ON CONFLICT DO NOTHING";
    assert.deepEqual(await fencedRun(db, fence, claim, ["post-1"]), {
      kind: "written",
      changed: 1,
    });
    assert.deepEqual(await fencedRun(db, fence, claim, ["post-1"]), { kind: "not_matched" });
    assert.equal(await a.release(1), true);
    assert.equal((await b.acquire()).kind, "held");
    assert.deepEqual(await fencedRun(db, fence, claim, ["post-2"]), { kind: "lease_lost" });
    const ids = (await db.query("SELECT id FROM note ORDER BY id")).map((r) => r.id);
    assert.deepEqual(ids, ["n", "post-1"]);
  },
);

testOnBothEngines("a fenced write inside a transaction is checked there", async (db) => {
  await noteTable(db);
  const [a] = await leases(db, LONG_TTL_MS, "a");
  assert.equal((await a.acquire()).kind, "held");
  const fence = a.fence(1);
  const outcome = await db.transaction((tx) =>
    fencedRun(tx, fence, `UPDATE note SET text = 'in tx' WHERE ${fence.sql}`)
  );
  assert.deepEqual(outcome, { kind: "written", changed: 1 });
});

Deno.test("lease names are plain words: nothing can be smuggled into a fence", async () => {
  const db = { dialect: "sqlite", nowMs: "0" } as unknown as Database;
  assert.throws(() => new Lease(db, { holder: "x' OR '1'='1", ttlMs: 1000 }), /names are words/);
  assert.throws(() => new Lease(db, { holder: "a", ttlMs: 0 }), /positive number/);
  await Promise.resolve();
});

Deno.test("PostgreSQL: three instances on their own connections, one active", async () => {
  const url = await freshPostgresUrl();
  const instances = await Promise.all([0, 1, 2].map(() => connectUrl(url)));
  try {
    await Promise.all(instances.map((db) => ensureLeaseTable(db)));
    const contenders = instances.map((db, i) => new Lease(db, { holder: `i${i}`, ttlMs: 60_000 }));
    const results = await Promise.all(contenders.map((l) => l.acquire()));
    assert.equal(results.filter((r) => r.kind === "held").length, 1);
    const [row] = await instances[0].query<{ epoch: number; holder: string }>(
      "SELECT epoch, holder FROM leader_lease",
    );
    assert.equal(row.epoch, 1);
    assert.equal(contenders[results.findIndex((r) => r.kind === "held")].holder, row.holder);
  } finally {
    for (const db of instances) await db.close();
  }
});

Deno.test("PostgreSQL: a takeover waits for a fenced write in flight, then wins", async () => {
  const url = await freshPostgresUrl();
  const [first, second] = await Promise.all([connectUrl(url), connectUrl(url)]);
  try {
    await noteTable(first);
    await ensureLeaseTable(first);
    const a = new Lease(first, { holder: "a", ttlMs: SHORT_TTL_MS });
    const b = new Lease(second, { holder: "b", ttlMs: SHORT_TTL_MS });
    assert.equal((await a.acquire()).kind, "held");
    const fence = a.fence(1);
    let finish = () => {};
    const finishing = new Promise<void>((resolve) => finish = resolve);
    let written = false;
    const inFlight = first.transaction(async (tx) => {
      const outcome = await fencedRun(tx, fence, `UPDATE note SET text = 'a' WHERE ${fence.sql}`);
      written = outcome.kind === "written";
      await finishing;
    });
    await until(() => written || undefined, "a's fenced write");
    // b's takeover starts once the lease expired, but must wait on a's row lock.
    const takeover = takeOver(b);
    const state = await until(async () => {
      const [row] = await first.query<{ waiting: number }>(
        "SELECT COUNT(*) AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock'",
      );
      return row.waiting > 0 ? "blocked" : undefined;
    }, "b's takeover to wait for a's transaction");
    assert.equal(state, "blocked");
    finish();
    await inFlight;
    assert.equal(await takeover, 2);
    const [row] = await first.query<{ text: string }>("SELECT text FROM note");
    assert.equal(row.text, "a");
  } finally {
    await first.close();
    await second.close();
  }
});
