import assert from "node:assert/strict";
import { until } from "@postbot/mattermost-emulator/testing";
import { ensureLeaseTable, Lease } from "./lease.ts";
import { LeaseKeeper, type Role, standbyRetryMs } from "./lease_keeper.ts";
import type { Database } from "./port.ts";
import { testOnBothEngines } from "./testing.ts";

async function keeper(
  db: Database,
  holder: string,
  ttlMs: number,
  roles: Role[] = [],
  now?: () => number,
): Promise<LeaseKeeper> {
  await ensureLeaseTable(db);
  return new LeaseKeeper(new Lease(db, { holder, ttlMs }), {
    renewMs: Math.floor(ttlMs / 3),
    onChange: (role) => roles.push(role),
    ...(now === undefined ? {} : { now }),
  });
}

testOnBothEngines(
  "one keeper active, the other standby; stopping hands over at once",
  async (db) => {
    const rolesA: Role[] = [];
    const a = await keeper(db, "a", 60_000, rolesA);
    const b = await keeper(db, "b", 60_000);
    assert.deepEqual(await a.tick(), { kind: "active", epoch: 1 });
    assert.equal(a.mayAct(), true);
    assert.deepEqual(await b.tick(), {
      kind: "standby",
      reason: { kind: "held_by", holder: "a" },
    });
    assert.equal(b.mayAct(), false);
    assert.deepEqual(await a.tick(), { kind: "active", epoch: 1 }, "renewed");
    await a.stop();
    assert.deepEqual(await b.tick(), { kind: "active", epoch: 2 });
    assert.deepEqual(rolesA, [
      { kind: "active", epoch: 1 },
      { kind: "standby", reason: { kind: "stopped" } },
    ]);
  },
);

testOnBothEngines("a keeper that missed its renewals finds the lease lost", async (db) => {
  const rolesA: Role[] = [];
  const a = await keeper(db, "a", 400, rolesA);
  const b = await keeper(db, "b", 400);
  assert.equal((await a.tick()).kind, "active");
  // a is paused (no rounds); b takes over once the lease expires.
  await until(async () => (await b.tick()).kind === "active" || undefined, "b to take over");
  assert.equal(a.mayAct(), false, "past its local deadline, a does not act");
  assert.deepEqual(await a.tick(), { kind: "standby", reason: { kind: "lost" } });
  assert.deepEqual(await a.tick(), { kind: "standby", reason: { kind: "held_by", holder: "b" } });
  assert.deepEqual(rolesA.map((r) => r.kind), ["active", "standby", "standby"]);
});

Deno.test("an active that cannot reach the database steps down when its lease would expire", async () => {
  let clock = 0;
  let failing = false;
  const lease = {
    ttlMs: 15_000,
    acquire: () => Promise.resolve({ kind: "held" as const, epoch: 7 }),
    renew: () => failing ? Promise.reject(new Error("connection refused")) : Promise.resolve(true),
    release: () => Promise.resolve(true),
  } as unknown as Lease;
  const k = new LeaseKeeper(lease, { renewMs: 5_000, now: () => clock });
  assert.deepEqual(await k.tick(), { kind: "active", epoch: 7 });
  failing = true;
  clock = 10_000;
  assert.deepEqual(await k.tick(), { kind: "active", epoch: 7 }, "still within its lease");
  assert.equal(k.mayAct(), true);
  clock = 15_000;
  assert.equal(k.mayAct(), false, "not past the lease, even before the next round");
  assert.deepEqual(await k.tick(), {
    kind: "standby",
    reason: { kind: "unreachable", error: "connection refused" },
  });
});

Deno.test("a renewal interval not shorter than the TTL is refused", () => {
  const lease = { ttlMs: 1000 } as unknown as Lease;
  assert.throws(() => new LeaseKeeper(lease, { renewMs: 1000 }), /shorter than the lease's TTL/);
});

testOnBothEngines(
  "started keepers settle on one active; it stops and the other takes over",
  async (db) => {
    const keepers = await Promise.all(["a", "b", "c"].map((h) => keeper(db, h, 3_000)));
    for (const k of keepers) k.start();
    try {
      const active = await until(() => {
        const found = keepers.filter((k) => k.role.kind === "active");
        const standby = keepers.filter((k) =>
          k.role.kind === "standby" && k.role.reason.kind === "held_by"
        );
        return found.length === 1 && standby.length === 2 ? found[0] : undefined;
      }, "one active and two standby");
      await active.stop();
      const next = await until(
        () => keepers.find((k) => k !== active && k.role.kind === "active"),
        "a standby to take over",
      );
      assert.deepEqual(next.role, { kind: "active", epoch: 2 });
      assert.equal(keepers.filter((k) => k.role.kind === "active").length, 1);
    } finally {
      for (const k of keepers) await k.stop();
    }
  },
);

Deno.test("a standby tries again just after the lease would expire, if that comes first", () => {
  assert.equal(standbyRetryMs(5_000, 1_200), 1_250, "expires before the next round");
  assert.equal(standbyRetryMs(5_000, 14_000), 5_000, "the regular round comes first");
  assert.equal(standbyRetryMs(5_000, 0), 50, "expired already: soon, never a busy loop");
  assert.equal(standbyRetryMs(5_000, -30), 50);
});
