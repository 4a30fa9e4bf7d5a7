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
}

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
