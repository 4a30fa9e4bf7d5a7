/**
 * The operator's window into a running bot: `GET /healthz` (200 when the WebSocket is
 * connected, the channel cache is fresh and no store in the database is failing, 503 with the
 * reasons otherwise) and
 * `GET /metrics` in Prometheus text format; `GET /readyz`: 200 on the healthy active only (a
 * standby is alive, not ready). Off unless `HEALTH_PORT` is set.
 *
 * @module
 */

import { logger } from "@postbot/framework";

const log = logger("health");

/** A snapshot of what health and metrics report. */
export interface HealthSnapshot {
  readonly websocketConnected: boolean;
  readonly websocketReconnects: number;
  readonly cacheFresh: boolean;
  /** Seconds since the last channel sweep; undefined before the first. */
  readonly cacheAgeSeconds: number | undefined;
  readonly cachedChannels: number;
  readonly broadcasts: number;
  readonly deliveriesOk: number;
  readonly deliveriesFailed: number;
  readonly broadcastsInProgress: number;
  readonly taskRunsOk: number;
  readonly taskRunsFailed: number;
  readonly sessionsOpen: number;
  /** DMs of bots and integrations not answered. */
  readonly ignoredFromBots: number;
  /** DMs not acted upon because their sender was over the rate limit. */
  readonly ignoredRateLimited: number;
  /** Rate-limit notices sent. */
  readonly rateLimitNotices: number;
  readonly shuttingDown: boolean;
  /**
   * This instance's role: `active` acts (always, alone on SQLite); a `standby` (sharing
   * DATABASE_URL) waits for the lease, connected and answering nothing, `reason` says why.
   */
  readonly role: { readonly kind: "active" } | {
    readonly kind: "standby";
    readonly reason: string;
  };
  /** The database (DB_PATH, or DATABASE_URL without its password), named in problems. */
  readonly database: string;
  /** Every store kept in the database, and the last error of those failing now. */
  readonly stores: readonly { readonly name: string; readonly failing?: string }[];
}

/** The JSON body and status of `/healthz`. */
export function healthReport(s: HealthSnapshot): { status: number; body: Record<string, unknown> } {
  const problems: string[] = [];
  // A standby does not listen on the WebSocket: it answers nothing until it takes over.
  const standby = s.role.kind === "standby";
  if (!s.websocketConnected && !standby) {
    problems.push("the WebSocket to Mattermost is not connected");
  }
  if (!s.cacheFresh) problems.push("the channel cache is stale (the last refresh failed)");
  if (s.shuttingDown) problems.push("postbot is shutting down");
  for (const store of s.stores) {
    if (store.failing !== undefined) {
      problems.push(
        `the ${store.name} store in the database ${s.database} is failing (${store.failing}); ` +
          "see the log, and README, Troubleshooting",
      );
    }
  }
  return {
    status: problems.length === 0 ? 200 : 503,
    body: {
      status: problems.length === 0 ? "ok" : "unhealthy",
      role: s.role.kind,
      ...(s.role.kind === "standby" ? { standby_reason: s.role.reason } : {}),
      problems,
      websocket: s.websocketConnected ? "connected" : "disconnected",
      channel_cache_age_seconds: s.cacheAgeSeconds ?? null,
      channels_cached: s.cachedChannels,
      broadcasts_in_progress: s.broadcastsInProgress,
      stores_failing: s.stores.filter((x) => x.failing !== undefined).map((x) => x.name),
    },
  };
}

/** One metric of `/metrics`: its samples (label set -> value) read from a snapshot. */
interface Metric {
  readonly name: string;
  readonly type: "counter" | "gauge";
  readonly help: string;
  readonly samples: (s: HealthSnapshot) => readonly (readonly [labels: string, value: number])[];
}

/** Every metric, in the order `/metrics` lists them. */
const METRICS: readonly Metric[] = [
  {
    name: "postbot_broadcasts_total",
    type: "counter",
    help: "Broadcasts confirmed since start.",
    samples: (s) => [["", s.broadcasts]],
  },
  {
    name: "postbot_deliveries_total",
    type: "counter",
    help: "Channel deliveries by outcome.",
    samples: (
      s,
    ) => [['{outcome="ok"}', s.deliveriesOk], ['{outcome="failed"}', s.deliveriesFailed]],
  },
  {
    name: "postbot_broadcasts_in_progress",
    type: "gauge",
    help: "Broadcasts being delivered now.",
    samples: (s) => [["", s.broadcastsInProgress]],
  },
  {
    name: "postbot_websocket_connected",
    type: "gauge",
    help: "1 when the WebSocket is connected.",
    samples: (s) => [["", s.websocketConnected ? 1 : 0]],
  },
  {
    name: "postbot_websocket_reconnects_total",
    type: "counter",
    help: "WebSocket reconnections.",
    samples: (s) => [["", s.websocketReconnects]],
  },
  {
    name: "postbot_task_runs_total",
    type: "counter",
    help: "Task plugin runs by outcome.",
    samples: (s) => [['{outcome="ok"}', s.taskRunsOk], ['{outcome="failed"}', s.taskRunsFailed]],
  },
  {
    name: "postbot_channel_cache_age_seconds",
    type: "gauge",
    help: "Seconds since the channel cache was refreshed.",
    samples: (s) => [["", s.cacheAgeSeconds ?? -1]],
  },
  {
    name: "postbot_channels_cached",
    type: "gauge",
    help: "Channels in the cache.",
    samples: (s) => [["", s.cachedChannels]],
  },
  {
    name: "postbot_store_failing",
    type: "gauge",
    help: "1 while the store's last database operation failed.",
    samples: (s) =>
      s.stores.map((x) => [`{store=${JSON.stringify(x.name)}}`, x.failing === undefined ? 0 : 1]),
  },
  {
    name: "postbot_messages_ignored_total",
    type: "counter",
    help: "DMs not acted upon: from bots and integrations, or over the rate limit.",
    samples: (s) => [
      ['{reason="bot"}', s.ignoredFromBots],
      ['{reason="rate_limit"}', s.ignoredRateLimited],
    ],
  },
  {
    name: "postbot_rate_limit_notices_total",
    type: "counter",
    help: "Notices sent to senders over the rate limit.",
    samples: (s) => [["", s.rateLimitNotices]],
  },
  {
    name: "postbot_role",
    type: "gauge",
    help: "1 for this instance's role: active (acts) or standby (waits for the lease).",
    samples: (s) => [
      ['{role="active"}', s.role.kind === "active" ? 1 : 0],
      ['{role="standby"}', s.role.kind === "standby" ? 1 : 0],
    ],
  },
  {
    name: "postbot_sessions_open",
    type: "gauge",
    help: "Wizard conversations in progress.",
    samples: (s) => [["", s.sessionsOpen]],
  },
];

/** Prometheus text exposition of the snapshot. */
export function metricsText(s: HealthSnapshot): string {
  const lines = METRICS.flatMap((m) => [
    `# HELP ${m.name} ${m.help}`,
    `# TYPE ${m.name} ${m.type}`,
    ...m.samples(s).map(([labels, value]) => `${m.name}${labels} ${value}`),
  ]);
  return lines.join("\n") + "\n";
}

/** More endpoints on the same port, by path (the button clicks of actions_server.ts). */
export type ExtraRoutes = Readonly<Record<string, (request: Request) => Promise<Response>>>;

/** Serves the endpoints (and `extra` ones) until the returned function is called. */
export function serveHealth(
  port: number,
  snapshot: () => HealthSnapshot,
  extra: ExtraRoutes = {},
): () => Promise<void> {
  const server = Deno.serve({
    port,
    hostname: "0.0.0.0",
    onListen: ({ port }) => log.info("Health and metrics on port {port}", { port }),
  }, (request) => {
    const path = new URL(request.url).pathname;
    if (Object.hasOwn(extra, path)) return extra[path](request);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405 });
    }
    if (path === "/healthz") {
      const { status, body } = healthReport(snapshot());
      return Response.json(body, { status });
    }
    if (path === "/readyz") {
      // Ready to take traffic (button clicks): the healthy active only.
      const { status, body } = healthReport(snapshot());
      const ready = status === 200 && body.role === "active";
      return Response.json({ ...body, ready }, { status: ready ? 200 : 503 });
    }
    if (path === "/metrics") {
      return new Response(metricsText(snapshot()), {
        headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return new Response("not found: try /healthz, /readyz or /metrics\n", { status: 404 });
  });
  return () => server.shutdown();
}
