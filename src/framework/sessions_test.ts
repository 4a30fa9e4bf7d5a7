import assert from "node:assert/strict";
import { type SessionBackend, type SessionEntry, SessionStore } from "./sessions.ts";

/** A store on a hand-driven clock; `expired` collects onExpire calls. */
function setup(options: { backend?: SessionBackend<string>; ttlMs?: number } = {}) {
  let now = 1_000_000;
  const expired: [string, string][] = [];
  let notify = () => {};
  const store = new SessionStore<string>({
    ttlMs: options.ttlMs ?? 300_000,
    cleanupIntervalMs: 60_000,
    now: () => now,
    backend: options.backend,
    onExpire: (userId, state) => {
      expired.push([userId, state]);
      notify();
    },
  });
  /** Resolves once onExpire has been called `n` times in total. */
  const expiries = (n: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (expired.length >= n) resolve();
      };
      notify = check;
      check();
    });
  return { store, expired, expiries, advance: (ms: number) => now += ms };
}

class MemoryBackend implements SessionBackend<string> {
  readonly rows = new Map<string, SessionEntry<string>>();
  loadAll() {
    return [...this.rows];
  }
  save(userId: string, entry: SessionEntry<string>) {
    this.rows.set(userId, entry);
  }
  remove(userId: string) {
    this.rows.delete(userId);
  }
}

Deno.test("a session lives for the TTL and lapses after it", async () => {
  const { store, expired, expiries, advance } = setup();
  store.set("u1", "choosing");
  advance(299_999);
  assert.equal(store.get("u1"), "choosing");
  advance(1);
  assert.equal(store.get("u1"), undefined);
  await expiries(1);
  assert.deepEqual(expired, [["u1", "choosing"]]);
  assert.equal(store.size, 0);
});

Deno.test("set() restarts the time-to-live; get() does not", async () => {
  const { store, expired, expiries, advance } = setup();
  store.set("u1", "a");
  advance(200_000);
  assert.equal(store.get("u1"), "a");
  store.set("u1", "b");
  advance(200_000);
  assert.equal(store.get("u1"), "b");
  advance(100_000);
  assert.equal(store.get("u1"), undefined);
  await expiries(1);
  assert.deepEqual(expired, [["u1", "b"]]);
});

Deno.test("sweep() expires lapsed sessions once each and keeps live ones", async () => {
  const { store, expired, expiries, advance } = setup();
  store.set("old1", "x");
  store.set("old2", "y");
  advance(250_000);
  store.set("young", "z");
  advance(60_000);
  assert.equal(store.sweep(), 2);
  assert.equal(store.sweep(), 0);
  assert.equal(store.get("old1"), undefined);
  await expiries(2);
  assert.deepEqual(expired.sort(), [["old1", "x"], ["old2", "y"]]);
  assert.equal(store.get("young"), "z");
  assert.equal(store.size, 1);
});

Deno.test("delete() ends a session without onExpire", async () => {
  const { store, expired, expiries, advance } = setup();
  store.set("u1", "x");
  store.delete("u1");
  store.delete("u1");
  advance(1_000_000);
  assert.equal(store.sweep(), 0);
  assert.equal(store.get("u1"), undefined);
  // onExpire calls are made in order: once the witness's has come, u1's would have too.
  store.set("witness", "w");
  advance(300_000);
  assert.equal(store.sweep(), 1);
  await expiries(1);
  assert.deepEqual(expired, [["witness", "w"]]);
});

Deno.test("the backend mirrors every change and seeds a new store", async () => {
  const backend = new MemoryBackend();
  const first = setup({ backend });
  first.store.set("u1", "a");
  first.store.set("u2", "b");
  first.store.set("u3", "c");
  await first.store.flush();
  assert.deepEqual([...backend.rows.keys()].sort(), ["u1", "u2", "u3"]);
  assert.equal(backend.rows.get("u1")?.state, "a");
  first.store.delete("u2");
  await first.store.flush();
  assert.deepEqual([...backend.rows.keys()].sort(), ["u1", "u3"]);

  const second = setup({ backend });
  assert.equal(second.store.size, 0, "nothing until loaded");
  await second.store.load();
  assert.equal(second.store.size, 2);
  assert.equal(second.store.get("u1"), "a");
  second.advance(300_000);
  assert.equal(second.store.sweep(), 2);
  await second.expiries(2);
  await second.store.flush();
  assert.equal(backend.rows.size, 0);
});

Deno.test("a session restored after its TTL expires on first use, with onExpire", async () => {
  const backend = new MemoryBackend();
  backend.rows.set("u1", { state: "stale", expiresAt: 0 });
  const { store, expired, expiries } = setup({ backend });
  await store.load();
  assert.equal(store.get("u1"), undefined);
  await expiries(1);
  assert.deepEqual(expired, [["u1", "stale"]]);
  await store.flush();
  assert.equal(backend.rows.size, 0);
});

Deno.test("writes reach the backend in order; a failed one is logged, later ones go on", async () => {
  const done: string[] = [];
  let fail = true;
  const store = new SessionStore<string>({
    ttlMs: 1_000,
    cleanupIntervalMs: 1_000,
    onExpire: () => {},
    backend: {
      loadAll: () => [],
      save: async (userId, entry) => {
        // The first write is the slowest: a later one must still land after it.
        await new Promise((resolve) => setTimeout(resolve, done.length === 0 ? 5 : 0));
        if (fail) {
          fail = false;
          throw new Error("connection lost");
        }
        done.push(`save ${userId} ${entry.state}`);
      },
      remove: (userId) => {
        done.push(`remove ${userId}`);
      },
    },
  });
  store.set("u1", "a");
  store.set("u1", "b");
  store.delete("u1");
  store.set("u1", "c");
  await store.flush();
  assert.deepEqual(done, ["save u1 b", "remove u1", "save u1 c"]);
});

Deno.test("an onExpire that throws does not break the store", async () => {
  let now = 0;
  let calls = 0;
  const done = Promise.withResolvers<void>();
  const store = new SessionStore<string>({
    ttlMs: 10,
    cleanupIntervalMs: 1_000,
    now: () => now,
    onExpire: () => {
      calls++;
      if (calls === 2) done.resolve();
      throw new Error("user left");
    },
  });
  store.set("a", "x");
  store.set("b", "y");
  now = 20;
  assert.equal(store.sweep(), 2);
  await done.promise;
  store.set("c", "z");
  assert.equal(store.get("c"), "z");
});

Deno.test("start() sweeps on its interval until stop()", async () => {
  let now = 0;
  const expired = Promise.withResolvers<string>();
  const store = new SessionStore<string>({
    ttlMs: 10,
    cleanupIntervalMs: 5,
    now: () => now,
    onExpire: (userId) => expired.resolve(userId),
  });
  store.set("u1", "x");
  now = 100;
  store.start();
  store.start();
  try {
    assert.equal(await expired.promise, "u1");
    assert.equal(store.size, 0);
  } finally {
    store.stop();
  }
});
