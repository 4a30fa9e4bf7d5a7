/**
 * Misbehaviour switches (`Emulator.faults`): latency, rate limiting, scripted failures, an
 * outage, and socket drops / half-open sockets. The server and the WebSocket hub read them.
 */

import { ArrivalWindow, GcraRateLimiter, type RateLimitQuota } from "./rate_limit.ts";
import { compilePath, type PathPattern } from "./router.ts";

/**
 * A scripted failure. `path` is matched against both the path relative to `/api/v4`
 * (e.g. "/posts") and the full path ("/api/v4/posts"), without the query string; a string
 * with `{param}` segments is a template, a plain string must match exactly, a RegExp is tested.
 */
export interface FailRule {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Path to match (see above). */
  path: string | RegExp;
  /** Status to answer with. */
  status: number;
  /** How many requests to fail (default 1). */
  times?: number;
  /** Body to answer with; JSON if it parses, else text. Default: a JSON AppError. */
  body?: string;
  /** Perform the request first, then answer with the error (a lost response). */
  afterHandling?: boolean;
}

/**
 * The public fault interface (`Emulator.faults`): switch misbehaviour on in the middle of a
 * test, and {@link Faults.clear} it.
 *
 * @example
 * ```ts
 * import type { Emulator } from "@postbot/mattermost-emulator";
 *
 * declare const emu: Emulator;
 * emu.faults.latencyMs = 200; // every REST answer 200 ms late
 * emu.faults.rateLimit = { perSec: 10, maxBurst: 100 }; // 429 + Retry-After beyond it
 * emu.faults.failRequests({ method: "POST", path: "/posts", status: 500, times: 2 });
 * emu.faults.failRequests({ path: "/posts", status: 502, afterHandling: true }); // lost answer
 * emu.faults.networkDown = true; // 503 for REST, WebSocket upgrades refused
 * emu.faults.dropSockets(); // every socket closed abruptly; resume buffers kept
 * emu.faults.silentSockets = true; // half-open: sockets stay open and say nothing
 * emu.faults.clear();
 * ```
 */
export interface Faults {
  /** Milliseconds added before every REST response (default 0). */
  latencyMs: number;
  /** Mattermost-like GCRA limit per client address; null (default) is off. */
  rateLimit: RateLimitQuota | null;
  /** Scripts failures for matching requests. */
  failRequests(rule: FailRule): void;
  /** Outage: REST answers 503 and WebSocket upgrades are refused, for every client. */
  networkDown: boolean;
  /** Closes every WebSocket abruptly (no close frame), keeping resume buffers. */
  dropSockets(): void;
  /** Half-open: existing sockets stop sending anything (events, pongs) without closing. */
  silentSockets: boolean;
  /** Everything back to defaults. */
  clear(): void;
}

/** What the WebSocket side must do when socket faults are switched. */
export interface SocketFaultHooks {
  dropSockets(): void;
  setSilent(silent: boolean): void;
  changed(): void;
}

/** A rule that matched a request, already counted down. */
export interface MatchedRule {
  status: number;
  body?: string;
  afterHandling: boolean;
}

interface ActiveRule {
  method?: string;
  path: string | RegExp;
  pattern?: PathPattern;
  status: number;
  remaining: number;
  body?: string;
  afterHandling: boolean;
}

/** The mutable fault state behind `Emulator.faults`. */
export class FaultState implements Faults {
  latencyMs = 0;
  private rules: ActiveRule[] = [];
  private quota: RateLimitQuota | null = null;
  private limiterInstance: ArrivalWindow | null = null;
  private down = false;
  private silent = false;

  /** Connects the state to the socket side of the emulator. */
  constructor(private readonly hooks: SocketFaultHooks) {}

  /** The current rate-limit quota; setting it starts a fresh limiter (null switches it off). */
  get rateLimit(): RateLimitQuota | null {
    return this.quota;
  }
  set rateLimit(quota: RateLimitQuota | null) {
    this.quota = quota ? { ...quota } : null;
    this.limiterInstance = quota ? limiterFor(quota) : null;
  }

  /** The live limiter (behind its arrival window), or null when rate limiting is off. */
  get limiter(): ArrivalWindow | null {
    return this.limiterInstance;
  }

  /** Forgets rate-limit history (a server restart empties the in-memory store). */
  resetLimiter(): void {
    if (this.quota) this.limiterInstance = limiterFor(this.quota);
  }

  /** Outage switch: REST answers 503 and WebSocket upgrades are refused. */
  get networkDown(): boolean {
    return this.down;
  }
  set networkDown(value: boolean) {
    this.down = value;
    this.hooks.changed();
  }

  /**
   * Half-open switch: true makes the sockets open right now stop sending anything (events are
   * still numbered and buffered for resume, pongs are swallowed); sockets opened later behave
   * normally. false lets every socket talk again (what was swallowed stays lost to that socket).
   */
  get silentSockets(): boolean {
    return this.silent;
  }
  set silentSockets(value: boolean) {
    this.silent = value;
    this.hooks.setSilent(value);
  }

  /** Adds a scripted failure (count `times`, default 1; Infinity for every request). */
  failRequests(rule: FailRule): void {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new RangeError("failRequests: times must be positive");
    this.rules.push({
      method: rule.method?.toUpperCase(),
      path: rule.path,
      pattern: typeof rule.path === "string" && rule.path.includes("{")
        ? compilePath(rule.path)
        : undefined,
      status: rule.status,
      remaining: times,
      body: rule.body,
      afterHandling: rule.afterHandling ?? false,
    });
  }

  /** Closes every WebSocket abruptly, keeping the resume buffers. */
  dropSockets(): void {
    this.hooks.dropSockets();
  }

  /** Everything back to defaults: no latency, rules, rate limit, outage or silent sockets. */
  clear(): void {
    this.latencyMs = 0;
    this.rules = [];
    this.rateLimit = null;
    this.down = false;
    this.silent = false;
    this.hooks.setSilent(false);
    this.hooks.changed();
  }

  /** Finds the first live rule for this request and counts it down. */
  takeRule(method: string, fullPath: string): MatchedRule | undefined {
    const apiPath = fullPath.startsWith("/api/v4/") ? fullPath.slice("/api/v4".length) : fullPath;
    const candidates = [fullPath, apiPath];
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.method && rule.method !== method.toUpperCase()) continue;
      const matches = candidates.some((p) => {
        if (rule.path instanceof RegExp) return rule.path.test(p);
        if (rule.pattern) return rule.pattern.match(p) !== undefined;
        return rule.path === p || rule.path.replace(/\/$/, "") === p.replace(/\/$/, "");
      });
      if (!matches) continue;
      rule.remaining--;
      this.rules = this.rules.filter((r) => r.remaining > 0);
      return { status: rule.status, body: rule.body, afterHandling: rule.afterHandling };
    }
    return undefined;
  }
}

function limiterFor(quota: RateLimitQuota): ArrivalWindow {
  return new ArrivalWindow(new GcraRateLimiter(quota), quota.arrivalOrder ?? "shuffled");
}
