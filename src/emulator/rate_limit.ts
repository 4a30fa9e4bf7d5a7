/**
 * The GCRA rate limiter of github.com/throttled/throttled (v2, rate.go) as Mattermost uses it
 * (server/channels/app/ratelimit.go): quota `PerSec(n)` with `MaxBurst` b gives an emission
 * interval of 1s/n, a tolerance of interval x (b + 1), and a limit of b + 1 requests at once.
 * Times are integer nanoseconds, like Go's time.Duration.
 */

/** The `faults.rateLimit` setting: sustained requests per second and extra burst. */
export interface RateLimitQuota {
  perSec: number;
  maxBurst: number;
  /**
   * In which order requests that arrive together are decided (default `"shuffled"`, as on the
   * real server; `"fifo"`: in the order they were read). See {@link ArrivalOrder}.
   */
  arrivalOrder?: ArrivalOrder;
}

/**
 * How the limiter orders requests that arrive together. Mattermost 11.4 checks each request in
 * its own goroutine: requests a client sends at once (8 fetches started in one turn, or a paced
 * client's batch after a pause) are decided in no particular order -- their
 * `X-Ratelimit-Remaining` values come back shuffled (126 of 224 pairs inverted in 8 rounds of
 * 8) -- while requests sent one turn apart are decided in order (0 of 224). `"shuffled"`
 * decides the requests that arrived before the emulator's next timer turn in a random order.
 */
export type ArrivalOrder = "shuffled" | "fifo";

/** What one RateLimit call reports; mirrors throttled's RateLimitResult (negative = not relevant). */
export interface RateLimitResult {
  limited: boolean;
  limit: number;
  remaining: number;
  resetAfterNs: number;
  retryAfterNs: number;
}

/** A monotonic clock in nanoseconds; injectable so tests can step time. */
export type NanoClock = () => number;

const defaultClock: NanoClock = () => Math.round(performance.now() * 1e6);

/** Per-key GCRA state (the theoretical arrival time), exactly throttled's algorithm. */
export class GcraRateLimiter {
  readonly limit: number;
  private readonly emissionInterval: number;
  private readonly tolerance: number;
  private readonly tats = new Map<string, number>();

  /** Builds the limiter; throws like throttled for a non-positive rate or a negative burst. */
  constructor(quota: RateLimitQuota, private readonly clock: NanoClock = defaultClock) {
    if (!(quota.perSec > 0)) throw new RangeError("rateLimit.perSec must be greater than zero");
    if (quota.maxBurst < 0) throw new RangeError("rateLimit.maxBurst must not be negative");
    this.emissionInterval = Math.trunc(1e9 / quota.perSec);
    this.tolerance = this.emissionInterval * (quota.maxBurst + 1);
    this.limit = quota.maxBurst + 1;
  }

  /** Counts `quantity` requests for `key` unless that would exceed the quota. */
  take(key: string, quantity = 1): RateLimitResult {
    const now = this.clock();
    const stored = this.tats.get(key);
    const tat = stored === undefined || stored < now ? now : stored;
    const increment = quantity * this.emissionInterval;
    const newTat = (now > tat ? now : tat) + increment;
    const allowAt = newTat - this.tolerance;
    const diff = now - allowAt;
    let limited = false;
    let retryAfterNs = -1;
    let ttl: number;
    if (diff < 0) {
      if (increment <= this.tolerance) retryAfterNs = -diff;
      ttl = tat - now;
      limited = true;
    } else {
      ttl = newTat - now;
      this.tats.set(key, newTat);
    }
    const next = this.tolerance - ttl;
    const remaining = next > -this.emissionInterval ? Math.trunc(next / this.emissionInterval) : 0;
    return { limited, limit: this.limit, remaining, resetAfterNs: ttl, retryAfterNs };
  }
}

/**
 * The headers Mattermost's setRateLimitHeaders adds to every response: limit, remaining,
 * reset (seconds, rounded up) and, only when limited, Retry-After (seconds, rounded up).
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers: Record<string, string> = {};
  if (result.limit >= 0) headers["X-Ratelimit-Limit"] = String(result.limit);
  if (result.remaining >= 0) headers["X-Ratelimit-Remaining"] = String(result.remaining);
  if (result.resetAfterNs >= 0) {
    headers["X-Ratelimit-Reset"] = String(Math.ceil(result.resetAfterNs / 1e9));
  }
  if (result.retryAfterNs >= 0) {
    headers["Retry-After"] = String(Math.ceil(result.retryAfterNs / 1e9));
  }
  return headers;
}

/** Runs `fn` in a later turn; injectable so tests decide when a batch closes. */
export type Schedule = (fn: () => void) => void;

/**
 * Takes from a {@link GcraRateLimiter} in the order the real server does (see
 * {@link ArrivalOrder}): the requests that arrive before the next timer turn are decided
 * together, in a random order.
 */
export class ArrivalWindow {
  #pending: { key: string; resolve: (result: RateLimitResult) => void }[] = [];
  #open = false;

  /** Wraps `limiter`; `random` returns [0, 1) like Math.random. */
  constructor(
    readonly limiter: GcraRateLimiter,
    private readonly order: ArrivalOrder,
    private readonly random: () => number = Math.random,
    private readonly schedule: Schedule = (fn) => setTimeout(fn, 0),
  ) {}

  /** The limiter's decision for one request, once its batch closes. */
  take(key: string): Promise<RateLimitResult> {
    if (this.order === "fifo") return Promise.resolve(this.limiter.take(key));
    const decided = new Promise<RateLimitResult>((resolve) => this.#pending.push({ key, resolve }));
    if (!this.#open) {
      this.#open = true;
      this.schedule(() => this.#close());
    }
    return decided;
  }

  #close(): void {
    const batch = this.#pending;
    this.#pending = [];
    this.#open = false;
    // Fisher-Yates: every order of the batch equally likely.
    for (let i = batch.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [batch[i], batch[j]] = [batch[j], batch[i]];
    }
    for (const { key, resolve } of batch) resolve(this.limiter.take(key));
  }
}
