/**
 * Client-side pacing for Mattermost's rate limiter, so a broadcast to hundreds of channels
 * runs at the server's pace instead of bouncing off it.
 *
 * Mattermost (throttled's GCRA) reports on every response `X-Ratelimit-Limit` (burst + 1),
 * `X-Ratelimit-Remaining` (whole requests left) and `X-Ratelimit-Reset` (seconds until the
 * bucket is full again, rounded up); a 429 carries `Retry-After`, rounded up to whole seconds.
 * Waiting out a rounded-up Retry-After wastes most of a second whenever the bucket is small
 * compared with the rate, and many requests released together after a pause fight over a few
 * tokens, so some lose again and again. The pacer avoids both:
 *
 * - {@link RateModel} learns the bucket from the headers: the requests left after a known
 *   request (minus those sent since), plus the refill since then at the slowest rate the
 *   headers allow (an upper bound on the server's interval, narrowed with every response);
 * - {@link RatePacer} lets requests out in order (FIFO; retries first, background work such
 *   as a catch-up after a restart last) when the model says a token is there, and everyone
 *   waits out a 429's Retry-After together.
 *
 * Until a server has sent rate-limit headers (most servers: none), nothing waits.
 *
 * @module
 */

/** The rate-limit headers of one response. */
export interface RateLimitInfo {
  /** `X-Ratelimit-Limit`: requests allowed at once (burst + 1). */
  readonly limit: number;
  /** `X-Ratelimit-Remaining`. */
  readonly remaining: number;
  /** `X-Ratelimit-Reset`, seconds (rounded up). */
  readonly resetSeconds: number;
}

/** Reads the three headers; undefined when any is missing or malformed. */
export function readRateLimitInfo(headers: Headers): RateLimitInfo | undefined {
  const value = (name: string) => {
    const raw = headers.get(name)?.trim() ?? "";
    return /^\d+$/.test(raw) ? Number(raw) : undefined;
  };
  const limit = value("X-Ratelimit-Limit");
  const remaining = value("X-Ratelimit-Remaining");
  const resetSeconds = value("X-Ratelimit-Reset");
  if (limit === undefined || remaining === undefined || resetSeconds === undefined) {
    return undefined;
  }
  if (limit < 1 || remaining >= limit) return undefined;
  return { limit, remaining, resetSeconds };
}

/** A known bucket level: `remaining` right after request `position`, seen at time `at`. */
interface Anchor {
  readonly remaining: number;
  readonly position: number;
  readonly at: number;
}

/**
 * What the client knows of the server's bucket. Pure: time is passed in (ms), so it can be
 * driven by a simulated clock.
 */
export class RateModel {
  #released = 0;
  #limit = 0;
  #anchor: Anchor | undefined;
  /** Bounds on the server's emission interval (ms per request) implied by the headers. */
  #slowestMs = Number.POSITIVE_INFINITY;
  #fastestMs = 0;
  #pausedUntil = 0;

  /**
   * Requests the server would take at `now`, at least (may be negative): the best of what the
   * answers said, less the requests sent since, plus the refill since (the bucket holds at
   * most `limit`, so `min(limit, remaining + refill) - sent` stays a lower bound). An anchor
   * older than a full refill says nothing any more (e.g. its followers failed without answer).
   */
  credit(now: number): number {
    const a = this.#anchor;
    if (a === undefined) return Number.POSITIVE_INFINITY;
    if (now - a.at > this.#limit * this.#slowestMs) return Number.POSITIVE_INFINITY;
    return this.#level(a, now);
  }

  /**
   * The earliest time (ms) the next request may be sent. With no rate-limit information, or
   * no bound on the rate yet, that is now (or the end of a 429 pause).
   */
  nextRelease(now: number): number {
    const start = Math.max(now, this.#pausedUntil);
    const credit = this.credit(start);
    if (credit >= 1 || !Number.isFinite(this.#slowestMs)) return start;
    const paced = start + (1 - credit) * this.#slowestMs;
    // The reading the credit rests on lapses after a full refill (see credit()): never wait
    // past that, or requests sent without answers (no headers) would stall everyone.
    const a = this.#anchor!;
    const lapses = a.at + this.#limit * this.#slowestMs + 1;
    return Math.min(paced, Math.max(start, lapses));
  }

  /** Records that a request was sent; returns its position, to pass to {@link observe}. */
  release(): number {
    return ++this.#released;
  }

  /** Learns from the response to the request at `position`, received at `now`. */
  observe(position: number, status: number, info: RateLimitInfo | undefined, now: number): void {
    if (info === undefined) return;
    this.#limit = info.limit;
    if (status === 429) {
      // The model was wrong (another client, reordering): the bucket is empty now.
      this.#anchor = { remaining: 0, position, at: now };
      return;
    }
    this.#learnInterval(info);
    const candidate = { remaining: info.remaining, position, at: now };
    if (
      this.#anchor === undefined || this.#level(candidate, now) > this.#level(this.#anchor, now)
    ) {
      this.#anchor = candidate;
    }
  }

  /** Nobody sends before `until` (ms since epoch): the server said Retry-After. */
  pause(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  #level(a: Anchor, now: number): number {
    const refill = Number.isFinite(this.#slowestMs) ? (now - a.at) / this.#slowestMs : 0;
    return Math.min(this.#limit, a.remaining + refill) - (this.#released - a.position);
  }

  /**
   * After an admitted request, with emission interval I and the bucket's debt t (the reset
   * time before rounding up to `resetSeconds` = R): L - r - 1 < t / I <= L - r, and
   * R - 1 < t <= R (seconds). So (R - 1) / (L - r) < I < R / (L - r - 1).
   */
  #learnInterval(info: RateLimitInfo): void {
    const used = info.limit - info.remaining;
    const fastest = (info.resetSeconds - 1) * 1000 / used;
    const slowest = used > 1 ? info.resetSeconds * 1000 / (used - 1) : Number.POSITIVE_INFINITY;
    if (fastest > this.#slowestMs || slowest < this.#fastestMs) {
      // Inconsistent with what was learned: the server's limit changed. Start over.
      this.#slowestMs = slowest;
      this.#fastestMs = fastest;
      return;
    }
    this.#slowestMs = Math.min(this.#slowestMs, slowest);
    this.#fastestMs = Math.max(this.#fastestMs, fastest);
  }
}

interface Waiter {
  readonly background: boolean;
  readonly resolve: (position: number) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal?: AbortSignal;
  readonly onAbort: () => void;
}

/** Lets requests out at the pace of a {@link RateModel}, first come first served. */
export class RatePacer {
  readonly model = new RateModel();
  readonly #now: () => number;
  readonly #queue: Waiter[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Resolves with the request's position when it may be sent. A retry (`first`) goes ahead
   * of requests that have not been tried yet; a `background` request waits behind every
   * other one, so it never delays a live answer or a delivery. Rejects with the signal's
   * reason on abort.
   */
  acquire(signal?: AbortSignal, first = false, background = false): Promise<number> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length === 0 && this.model.nextRelease(this.#now()) <= this.#now()) {
      return Promise.resolve(this.model.release());
    }
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = {
        background: background && !first,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal?.reason);
          this.#schedule();
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      if (first) this.#queue.unshift(waiter);
      else if (waiter.background) this.#queue.push(waiter);
      else {
        const i = this.#queue.findIndex((w) => w.background);
        if (i < 0) this.#queue.push(waiter);
        else this.#queue.splice(i, 0, waiter);
      }
      this.#schedule();
    });
  }

  /** Feeds a response back (see {@link RateModel.observe}); may let waiting requests out. */
  observe(position: number, status: number, headers: Headers): void {
    this.model.observe(position, status, readRateLimitInfo(headers), this.#now());
    this.#schedule();
  }

  /** Everyone waits `ms` (a 429's Retry-After). */
  pause(ms: number): void {
    this.model.pause(this.#now() + ms);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#queue.length > 0) {
      const now = this.#now();
      const at = this.model.nextRelease(now);
      if (at > now) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#schedule();
        }, Math.max(1, Math.ceil(at - now)));
        return;
      }
      const waiter = this.#queue.shift()!;
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(this.model.release());
    }
  }
}
