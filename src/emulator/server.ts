/**
 * Wires the emulator together: the TCP front, the HTTP server behind it, the request
 * pipeline (outage -> rate limit -> scripted faults -> auth -> route -> latency -> record),
 * the WebSocket hub, the store, and the Emulator object handed to tests.
 */

import { defaultConfig, type EmulatorConfig } from "./config.ts";
import { FaultState, type MatchedRule } from "./faults.ts";
import { AppError, errorResponse, sessionExpired, textResponse } from "./http.ts";
import { gzipAnswer } from "./gzip.ts";
import { newId } from "./ids.ts";
import { type FrontConnection, TcpFront } from "./proxy.ts";
import { rateLimitHeaders, type RateLimitResult } from "./rate_limit.ts";
import { compilePath } from "./router.ts";
import { routes } from "./routes.ts";
import { ChangeSignal, waitFor } from "./signal.ts";
import { DEFAULT_MAX_FILE_SIZE } from "./files.ts";
import { MemoryStore } from "./store.ts";
import type { Emulator, EmulatorOptions, RequestRecord } from "./types.ts";
import { WebSocketHub } from "./websocket.ts";

/** The server version the emulator claims (model.CurrentVersion). */
export const EMULATED_VERSION = "10.5.0";
/** `X-Version-Id` / hello `server_version`: version.build.confighash.enterprise. */
export const EMULATED_VERSION_ID = `${EMULATED_VERSION}.0.emulator.false`;

const compiledRoutes = routes.map((route) => ({ route, pattern: compilePath(route.path) }));

function normalizeSubpath(raw: string | undefined): string {
  const trimmed = (raw ?? "").trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

function bearerToken(req: Request, url: URL): string | undefined {
  const header = req.headers.get("authorization");
  const m = header ? /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header) : null;
  if (m) return m[1];
  return url.searchParams.get("access_token") ?? undefined;
}

function ruleResponse(rule: MatchedRule, requestId: string): Response {
  if (rule.body === undefined) {
    return errorResponse(
      new AppError("api.emulator.injected_fault.app_error", rule.status),
      requestId,
    );
  }
  let isJson = true;
  try {
    JSON.parse(rule.body);
  } catch {
    isJson = false;
  }
  return isJson
    ? new Response(rule.body, {
      status: rule.status,
      headers: { "Content-Type": "application/json" },
    })
    : textResponse(rule.status, rule.body);
}

/**
 * Starts an emulator on a free port of 127.0.0.1; see types.ts for the contract.
 *
 * @example A bot account, a person, a team, a channel and their DM
 * ```ts
 * import { startEmulator } from "@postbot/mattermost-emulator";
 *
 * const emu = await startEmulator();
 * try {
 *   const bot = emu.store.createUser({ username: "hellobot", is_bot: true });
 *   const alice = emu.store.createUser({ username: "alice" });
 *   const team = emu.store.createTeam({ name: "staff" });
 *   for (const u of [bot, alice]) emu.store.addTeamMember(team.id, u.user.id);
 *   const dm = emu.store.directChannel(bot.user.id, alice.user.id);
 *   // ... start the bot with URL=emu.url, TOKEN=bot.token, TEAM_NAME=staff, then:
 *   emu.store.createPost(alice.user.id, { channel_id: dm.id, message: "!hello" });
 *   const reply = await emu.waitFor(() =>
 *     emu.store.postsIn(dm.id).find((p) => p.user_id === bot.user.id)
 *   );
 *   console.log(reply.message);
 * } finally {
 *   await emu.stop();
 * }
 * ```
 */
export function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  try {
    return Promise.resolve(createEmulator(opts));
  } catch (error) {
    return Promise.reject(error);
  }
}

function createEmulator(opts: EmulatorOptions): Emulator {
  const hostname = opts.hostname ?? "127.0.0.1";
  const subpath = normalizeSubpath(opts.siteUrlPath);
  const signal = new ChangeSignal();
  const { hub, data, faults, config } = createWorld(opts, signal);
  const pipeline: Pipeline = {
    subpath,
    data,
    hub,
    faults,
    signal,
    requests: [],
    gzip: opts.webserverMode === "gzip",
    delay: opts.delay ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    client: () => undefined,
  };
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    handler: (req, info) => handle(pipeline, req, info),
  });
  const tcp = TcpFront.start({
    hostname,
    port: opts.port ?? 0,
    targetPort: server.addr.port,
    tls: opts.tls,
  });
  pipeline.client = (port) => tcp.lookup(port);
  const urlHost = hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname.includes(":")
    ? `[${hostname}]`
    : hostname;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    hub.closeAll();
    await tcp.close();
    await server.shutdown();
  };

  return {
    url: `${opts.tls ? "https" : "http"}://${urlHost}:${tcp.port}${subpath}`,
    store: data,
    faults,
    config,
    requests: pipeline.requests,
    get openConnections() {
      return tcp.open;
    },
    waitFor: (probe, waitOpts) => waitFor(signal, probe, waitOpts),
    restart(restartOpts = {}) {
      hub.dropAll();
      if (restartOpts.loseEvents ?? true) hub.forgetAll();
      faults.resetLimiter();
      signal.notify();
      return Promise.resolve();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The store, the WebSocket hub it publishes to, and the fault switches, wired together. */
function createWorld(
  opts: EmulatorOptions,
  signal: ChangeSignal,
): { hub: WebSocketHub; data: MemoryStore; faults: FaultState; config: EmulatorConfig } {
  const config = defaultConfig(opts.config);
  const hub: WebSocketHub = new WebSocketHub({
    authenticate: (token: string): string | undefined => data.tables.tokenUser(token),
    signal,
    serverVersion: EMULATED_VERSION_ID,
    version: EMULATED_VERSION,
  });
  const data: MemoryStore = new MemoryStore({
    config,
    signal,
    sink: hub,
    maxFileSize: opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    maxUsersPerTeam: opts.maxUsersPerTeam,
    countSockets: (userId) => hub.connectedSockets(userId),
  });
  const faults = new FaultState({
    dropSockets: () => hub.dropAll(),
    setSilent: (silent) => hub.setSilent(silent),
    changed: () => signal.notify(),
  });
  return { hub, data, faults, config };
}

/** What the request pipeline works with. */
interface Pipeline {
  readonly subpath: string;
  readonly data: MemoryStore;
  readonly hub: WebSocketHub;
  readonly faults: FaultState;
  readonly signal: ChangeSignal;
  readonly requests: RequestRecord[];
  /** WebserverMode "gzip": answers compressed as gzhttp does. */
  readonly gzip: boolean;
  readonly delay: (ms: number) => Promise<void>;
  /** The TCP front's connection behind an inner port (set once the front listens). */
  client: (innerPort: number) => FrontConnection | undefined;
}

/**
 * What the pipeline decided before any route runs: an answer already (an outage, the rate
 * limit, a scripted fault, the WebSocket upgrade), or the route table's turn.
 */
type Triage =
  | {
    readonly kind: "answered";
    readonly response: Response;
    readonly userId?: string;
    /** A WebSocket upgrade: its response must be returned as it is. */
    readonly upgraded: boolean;
  }
  | {
    readonly kind: "route";
    readonly userId?: string;
    /** A scripted fault that replaces the route's answer once it has run. */
    readonly rule?: MatchedRule;
  };

/** One request through the pipeline: answer it, add headers and latency, record it. */
async function handle(p: Pipeline, req: Request, info: Deno.ServeHandlerInfo): Promise<Response> {
  const url = new URL(req.url);
  const client = p.client((info.remoteAddr as Deno.NetAddr).port);
  const requestId = newId();
  const path = withoutSubpath(url.pathname, p.subpath);
  if (path === undefined) return textResponse(404, "404 page not found\n");
  const extra: Record<string, string> = {
    "X-Request-Id": requestId,
    "X-Version-Id": EMULATED_VERSION_ID,
  };
  // A held request has not reached the server yet: nothing about it is decided before.
  const held = p.faults.takeHold(req.method, path);
  if (held !== undefined) await held;
  // The limiter decides when the request's arrival window closes (see ArrivalWindow).
  const limit = p.faults.networkDown || !p.faults.limiter
    ? undefined
    : await p.faults.limiter.take(client?.remoteAddr.hostname ?? "unknown");
  const triaged = triage(p, req, url, path, client, requestId, extra, limit);
  let response: Response;
  if (triaged.kind === "route") {
    // Awaited here, not in a helper: tests hold answers with `delay` and rely on the route's
    // answer reaching the latency step in the same turn as it always did.
    response = await dispatch(p, req, url, path, triaged.userId, requestId);
    if (triaged.rule?.afterHandling) {
      await response.body?.cancel();
      response = ruleResponse(triaged.rule, requestId);
    }
  } else {
    response = triaged.response;
  }
  const upgraded = triaged.kind === "answered" && triaged.upgraded;
  if (!upgraded) {
    for (const [key, value] of Object.entries(extra)) response.headers.set(key, value);
    if (p.gzip) response = await gzipAnswer(req, response);
    const latency = p.faults.latencyMs;
    if (latency > 0) await p.delay(latency);
  }
  p.requests.push({
    method: req.method,
    path,
    status: upgraded ? 101 : response.status,
    ...(triaged.userId ? { userId: triaged.userId } : {}),
    at: Date.now(),
  });
  p.signal.notify();
  return response;
}

/** The path inside the site URL's subpath, or undefined when it lies outside it. */
function withoutSubpath(path: string, subpath: string): string | undefined {
  if (subpath === "") return path;
  if (path !== subpath && !path.startsWith(`${subpath}/`)) return undefined;
  return path.slice(subpath.length) || "/";
}

/**
 * Outage -> rate limit (decided by the caller; its headers go into `extra`) -> scripted faults -> auth -> the WebSocket
 * upgrade, or the route table's turn.
 */
function triage(
  p: Pipeline,
  req: Request,
  url: URL,
  path: string,
  client: FrontConnection | undefined,
  requestId: string,
  extra: Record<string, string>,
  limit: RateLimitResult | undefined,
): Triage {
  const { faults } = p;
  const answered = (response: Response, userId?: string): Triage => ({
    kind: "answered",
    response,
    userId,
    upgraded: false,
  });
  if (faults.networkDown) return answered(textResponse(503, "503 Service Unavailable\n"));
  if (limit) {
    Object.assign(extra, rateLimitHeaders(limit));
    if (limit.limited) return answered(textResponse(429, "limit exceeded\n"));
  }
  const rule = faults.takeRule(req.method, path);
  if (rule && !rule.afterHandling) return answered(ruleResponse(rule, requestId));
  const token = bearerToken(req, url);
  const userId = token ? p.data.tables.tokenUser(token) : undefined;
  if (!/^\/api\/v4\/websocket\/?$/.test(path)) return { kind: "route", userId, rule };
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket" || rule) {
    return answered(
      rule ? ruleResponse(rule, requestId) : errorResponse(
        new AppError("api.web_socket.connect.upgrade.app_error", 400),
        requestId,
      ),
      userId,
    );
  }
  const response = p.hub.upgrade(req, url.searchParams, userId, () => client?.abort());
  return { kind: "answered", response, userId, upgraded: true };
}

/** Finds the route for a path and runs its handler; AppErrors become the server's answers. */
async function dispatch(
  p: Pipeline,
  req: Request,
  url: URL,
  path: string,
  userId: string | undefined,
  requestId: string,
): Promise<Response> {
  let methodMismatch = false;
  for (const { route, pattern } of compiledRoutes) {
    const params = pattern.match(path);
    if (!params) continue;
    if (route.method !== req.method) {
      methodMismatch = true;
      continue;
    }
    if (route.auth && !userId) return errorResponse(sessionExpired(), requestId);
    try {
      return await route.handler({
        req,
        url,
        params,
        userId: userId ?? "",
        tables: p.data.tables,
        store: p.data,
        gzip: p.gzip,
      });
    } catch (error) {
      if (error instanceof AppError) return errorResponse(error, requestId);
      console.error("emulator: handler failed", error);
      return errorResponse(new AppError("api.emulator.internal_error", 500), requestId);
    }
  }
  if (methodMismatch) return new Response(null, { status: 405 });
  return errorResponse(new AppError("api.context.404.app_error", 404), requestId);
}
