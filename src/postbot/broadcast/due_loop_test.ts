import assert from "node:assert/strict";
import { until } from "@postbot/mattermost-emulator/testing";
import { DueLoop, type DueLoopOptions, type DueTimers } from "./due_loop.ts";

const NOW = 1_000_000;

/** Timers the test fires by hand: nothing waits for real time. */
class HandTimers implements DueTimers {
  readonly pending = new Map<number, { fire: () => void; ms: number }>();
  #next = 1;
  set = (fire: () => void, ms: number): number => {
    this.pending.set(this.#next, { fire, ms });
    return this.#next++;
  };
  clear = (handle: unknown): void => {
    this.pending.delete(handle as number);
  };

  /** The delay of the one armed timer, once the loop has armed it. */
  armed(): Promise<number> {
    return until(
      () => this.pending.size === 1 ? [...this.pending.values()][0].ms : undefined,
      "the loop to arm its timer",
    );
  }

  /** Fires the armed timer, as if its time had come. */
  fire(): void {
    const [[id, t]] = [...this.pending];
    this.pending.delete(id);
    t.fire();
  }
}

/** What the test loop does, each part replaceable. */
interface Behaviour {
  readonly run: () => Promise<number | void>;
  readonly nextDue: () => Promise<number | undefined>;
  readonly retryAfter: (error: unknown) => number;
  readonly runFailed: (error: unknown) => void;
}

class TestLoop extends DueLoop {
  readonly #behaviour: Behaviour;
  constructor(behaviour: Behaviour, options: DueLoopOptions) {
    super(options);
    this.#behaviour = behaviour;
  }
  protected override runDue(): Promise<number | void> {
    return this.#behaviour.run();
  }
  protected override nextDueAt(): Promise<number | undefined> {
    return this.#behaviour.nextDue();
  }
  protected override retryAfter(error: unknown): number {
    return this.#behaviour.retryAfter(error);
  }
  protected override runFailed(error: unknown): void {
    this.#behaviour.runFailed(error);
  }
}

function loopWith(
  overrides: Partial<Behaviour> & { maxSleepMs?: number } = {},
): { loop: DueLoop; timers: HandTimers; runs: () => number } {
  const timers = new HandTimers();
  let runs = 0;
  const loop = new TestLoop({
    run: () => {
      runs++;
      return Promise.resolve();
    },
    nextDue: () => Promise.resolve(undefined),
    retryAfter: () => 5_000,
    runFailed: () => {},
    ...overrides,
  }, { now: () => NOW, timers, maxSleepMs: overrides.maxSleepMs });
  return { loop, timers, runs: () => runs };
}

Deno.test("runs at start, sleeps until the next due time, runs again when it fires", async () => {
  const { loop, timers, runs } = loopWith({ nextDue: () => Promise.resolve(NOW + 1_234) });
  await loop.start();
  assert.equal(runs(), 1);
  assert.equal(await timers.armed(), 1_234);
  timers.fire();
  await until(() => runs() === 2 || undefined, "the second run");
  assert.equal(await timers.armed(), 1_234, "armed again after the run");
  await loop.stop();
});

Deno.test("sleeps the cap when nothing is due, or when the next is further away", async () => {
  const idle = loopWith({ maxSleepMs: 10_000 });
  await idle.loop.start();
  assert.equal(await idle.timers.armed(), 10_000);
  await idle.loop.stop();
  const far = loopWith({ nextDue: () => Promise.resolve(NOW + 3_600_000) });
  await far.loop.start();
  assert.equal(await far.timers.armed(), 30_000, "30 s by default");
  await far.loop.stop();
});

Deno.test("an overdue time runs at once; a failed read retries after retryAfter", async () => {
  const overdue = loopWith({ nextDue: () => Promise.resolve(NOW - 5_000) });
  await overdue.loop.start();
  assert.equal(await overdue.timers.armed(), 0);
  await overdue.loop.stop();
  const errors: unknown[] = [];
  const failing = loopWith({
    nextDue: () => Promise.reject(new Error("database away")),
    retryAfter: (e) => {
      errors.push(e);
      return 2_000;
    },
  });
  await failing.loop.start();
  assert.equal(await failing.timers.armed(), 2_000);
  assert.equal((errors[0] as Error).message, "database away");
  await failing.loop.stop();
});

Deno.test("the least wait a run asks for holds the next run back", async () => {
  const { loop, timers } = loopWith({
    run: () => Promise.resolve(2_000),
    nextDue: () => Promise.resolve(NOW),
  });
  await loop.start();
  assert.equal(await timers.armed(), 2_000);
  loop.wake();
  await until(() => timers.pending.get(2)?.ms, "the re-armed timer");
  assert.equal(await timers.armed(), 0, "a wake-up does not wait for the run's reason");
  await loop.stop();
});

Deno.test("wake re-arms for a moved due time, and does nothing before start", async () => {
  let next = NOW + 20_000;
  const { loop, timers, runs } = loopWith({ nextDue: () => Promise.resolve(next) });
  loop.wake();
  await loop.stop();
  assert.equal(timers.pending.size, 0, "not started: no timer");
  await loop.start();
  assert.equal(await timers.armed(), 20_000);
  next = NOW + 500;
  loop.wake();
  await until(() => timers.pending.get(2)?.ms, "the re-armed timer");
  assert.equal(await timers.armed(), 500, "the earlier timer was replaced");
  assert.equal(runs(), 1);
  await loop.stop();
});

Deno.test("one run at a time; stop waits for it and leaves no timer", async () => {
  let release = () => {};
  let runs = 0;
  const { loop, timers } = loopWith({
    run: () => {
      runs++;
      return new Promise<void>((resolve) => release = resolve);
    },
  });
  const started = loop.start();
  const joined = loop.tick();
  assert.equal(runs, 1, "a tick during a run joins it");
  let stopped = false;
  const stopping = loop.stop().then(() => stopped = true);
  await Promise.resolve();
  assert.equal(stopped, false, "stop waits for the run in progress");
  assert.equal(loop.stopped, true, "the run can see it should end early");
  release();
  await Promise.all([started, joined, stopping]);
  assert.equal(stopped, true);
  assert.equal(timers.pending.size, 0);
});

Deno.test("a failed run reaches the caller and the loop keeps going", async () => {
  let fail = true;
  const { loop, timers } = loopWith({
    run: () => fail ? Promise.reject(new Error("boom")) : Promise.resolve(),
    nextDue: () => Promise.resolve(NOW + 100),
  });
  await assert.rejects(loop.start(), /boom/);
  assert.equal(await timers.armed(), 100, "armed all the same");
  fail = false;
  await loop.tick();
  await loop.stop();
  assert.equal(timers.pending.size, 0);
});

Deno.test("a run the timer started fails: handed to runFailed, never unhandled", async () => {
  let fail = false;
  const failures: unknown[] = [];
  const { loop, timers } = loopWith({
    run: () => fail ? Promise.reject(new Error("database away")) : Promise.resolve(),
    nextDue: () => Promise.resolve(NOW + 100),
    runFailed: (e) => failures.push(e),
  });
  await loop.start();
  assert.equal(await timers.armed(), 100);
  fail = true;
  timers.fire();
  await until(() => failures.length === 1 || undefined, "the failure to be handed over");
  assert.match(String(failures[0]), /database away/);
  assert.equal(await timers.armed(), 100, "armed again after the failure");
  fail = false;
  timers.fire();
  await until(() => timers.pending.size === 1 || undefined, "the next run to arm");
  await loop.stop();
  assert.equal(failures.length, 1);
});
