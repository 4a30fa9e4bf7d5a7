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

/** Which requests a hold applies to: `method` and `path` as in {@link FailRule}. */
export interface HoldRule {
  method?: string;
  path: string | RegExp;
}

/** A request held on its way in (see {@link Faults.holdNextRequest}). */
export interface HeldRequest {
  /** Resolves once a matching request has come in and is being held. */
  readonly arrived: Promise<void>;
  /** Lets the request reach the server, which then handles it as usual. */
  release(): void;
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
 * const held = emu.faults.holdNextRequest({ method: "POST", path: "/posts" }); // slow link
 * await held.arrived;
 * held.release(); // the post is created only now
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
  /**
   * Holds the next matching request on its way in, as a slow link or a frozen sender would:
   * the server sees it only once released ({@link clear} releases it too).
   */
  holdNextRequest(rule: HoldRule): HeldRequest;
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

/** Which requests a rule or a hold applies to, compiled. */
interface RequestMatcher {
  method?: string;
  path: string | RegExp;
  pattern?: PathPattern;
}

interface ActiveRule extends RequestMatcher {
  status: number;
  remaining: number;
  body?: string;
  afterHandling: boolean;
}

/** A hold waiting for its request. */
interface PendingHold extends RequestMatcher {
  readonly arrived: () => void;
  readonly gate: Promise<void>;
  readonly release: () => void;
}

function matcher(rule: { method?: string; path: string | RegExp }): RequestMatcher {
  return {
    method: rule.method?.toUpperCase(),
    path: rule.path,
    pattern: typeof rule.path === "string" && rule.path.includes("{")
      ? compilePath(rule.path)
      : undefined,
  };
}

/** Whether a request (its full path, with or without `/api/v4`) matches. */
function matches(m: RequestMatcher, method: string, fullPath: string): boolean {
  if (m.method && m.method !== method.toUpperCase()) return false;
  const apiPath = fullPath.startsWith("/api/v4/") ? fullPath.slice("/api/v4".length) : fullPath;
  return [fullPath, apiPath].some((p) => {
    if (m.path instanceof RegExp) return m.path.test(p);
    if (m.pattern) return m.pattern.match(p) !== undefined;
    return m.path === p || m.path.replace(/\/$/, "") === p.replace(/\/$/, "");
  });
}

/** The mutable fault state behind `Emulator.faults`. */
export class FaultState implements Faults {
  latencyMs = 0;
  private rules: ActiveRule[] = [];
  /** Holds not yet met by a request, and the releases of requests held now. */
  private holds: PendingHold[] = [];
  private readonly taken = new Set<() => void>();
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
      ...matcher(rule),
      status: rule.status,
      remaining: times,
      body: rule.body,
      afterHandling: rule.afterHandling ?? false,
    });
  }

  /** Holds the next matching request until released. */
  holdNextRequest(rule: HoldRule): HeldRequest {
    const arrived = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    this.holds.push({
      ...matcher(rule),
      arrived: arrived.resolve,
      gate: gate.promise,
      release: gate.resolve,
    });
    return { arrived: arrived.promise, release: gate.resolve };
  }

  /** The gate a request waits at when a hold takes it; undefined when none does. */
  takeHold(method: string, fullPath: string): Promise<void> | undefined {
    const i = this.holds.findIndex((h) => matches(h, method, fullPath));
    if (i < 0) return undefined;
    const [hold] = this.holds.splice(i, 1);
    this.taken.add(hold.release);
    hold.arrived();
    return hold.gate.finally(() => this.taken.delete(hold.release));
  }

  /** Closes every WebSocket abruptly, keeping the resume buffers. */
  dropSockets(): void {
    this.hooks.dropSockets();
  }

  /** Everything back to defaults: no latency, rules, rate limit, outage or silent sockets. */
  clear(): void {
    this.latencyMs = 0;
    this.rules = [];
    for (const release of this.taken) release();
    for (const hold of this.holds) hold.release();
    this.holds = [];
    this.rateLimit = null;
    this.down = false;
    this.silent = false;
    this.hooks.setSilent(false);
    this.hooks.changed();
  }

  /** Finds the first live rule for this request and counts it down. */
  takeRule(method: string, fullPath: string): MatchedRule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule, method, fullPath)) continue;
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
