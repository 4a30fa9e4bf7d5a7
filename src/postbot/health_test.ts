import assert from "node:assert/strict";
import { healthReport, type HealthSnapshot, metricsText } from "./health.ts";

const healthy: HealthSnapshot = {
  websocketConnected: true,
  websocketReconnects: 2,
  cacheFresh: true,
  cacheAgeSeconds: 12,
  cachedChannels: 40,
  broadcasts: 3,
  deliveriesOk: 25,
  deliveriesFailed: 1,
  broadcastsInProgress: 0,
  taskRunsOk: 4,
  taskRunsFailed: 2,
  sessionsOpen: 1,
  ignoredFromBots: 7,
  ignoredRateLimited: 5,
  rateLimitNotices: 1,
  shuttingDown: false,
  role: { kind: "active" } as const,
  database: "broadcast_log.db",
  stores: [{ name: "broadcast log" }, { name: "sessions" }],
};

Deno.test("healthReport: a failing store is 503 naming it, and metrics flag it", () => {
  const sick = {
    ...healthy,
    stores: [{ name: "broadcast log", failing: "database disk image is malformed" }, {
      name: "sessions",
    }],
  };
  const report = healthReport(sick);
  assert.equal(report.status, 503);
  assert.equal(report.body.status, "unhealthy");
  assert.deepEqual(report.body.stores_failing, ["broadcast log"]);
  assert.match(
    (report.body.problems as string[]).join("\n"),
    /the broadcast log store in the database broadcast_log\.db is failing \(database disk image/,
  );
  const text = metricsText(sick);
  assert.match(text, /^postbot_store_failing\{store="broadcast log"\} 1$/m);
  assert.match(text, /^postbot_store_failing\{store="sessions"\} 0$/m);
  assert.deepEqual(healthReport(healthy).body.stores_failing, []);
});

Deno.test("healthReport: 200 when connected and fresh, 503 listing every reason otherwise", () => {
  assert.equal(healthReport(healthy).status, 200);
  assert.deepEqual(healthReport(healthy).body.problems, []);
  const sick = healthReport({
    ...healthy,
    websocketConnected: false,
    cacheFresh: false,
    shuttingDown: true,
  });
  assert.equal(sick.status, 503);
  const problems = sick.body.problems as string[];
  assert.equal(problems.length, 3);
  assert.match(problems.join("\n"), /WebSocket/);
  assert.match(problems.join("\n"), /channel cache is stale/);
  assert.match(problems.join("\n"), /shutting down/);
});

Deno.test("metricsText: Prometheus text with HELP/TYPE and every figure", () => {
  const text = metricsText(healthy);
  assert.match(text, /^# HELP postbot_broadcasts_total .+$/m);
  assert.match(text, /^# TYPE postbot_broadcasts_total counter$/m);
  assert.match(text, /^postbot_broadcasts_total 3$/m);
  assert.match(text, /^postbot_deliveries_total\{outcome="ok"\} 25$/m);
  assert.match(text, /^postbot_deliveries_total\{outcome="failed"\} 1$/m);
  assert.match(text, /^postbot_websocket_reconnects_total 2$/m);
  assert.match(text, /^postbot_task_runs_total\{outcome="failed"\} 2$/m);
  assert.match(text, /^postbot_channel_cache_age_seconds 12$/m);
  assert.match(text, /^postbot_sessions_open 1$/m);
  assert.match(text, /^# TYPE postbot_sessions_open gauge$/m);
  assert.match(text, /^postbot_messages_ignored_total\{reason="bot"\} 7$/m);
  assert.match(text, /^postbot_messages_ignored_total\{reason="rate_limit"\} 5$/m);
  assert.match(text, /^postbot_rate_limit_notices_total 1$/m);
  assert.ok(text.endsWith("\n"));
  assert.match(metricsText({ ...healthy, cacheAgeSeconds: undefined }), /_age_seconds -1$/m);
});

Deno.test("healthReport: a standby is healthy without the WebSocket, and says why it waits", () => {
  const standby = {
    ...healthy,
    websocketConnected: false,
    role: { kind: "standby", reason: "held by 4711-ab12cd34" } as const,
  };
  const { status, body } = healthReport(standby);
  assert.equal(status, 200);
  assert.equal(body.role, "standby");
  assert.equal(body.standby_reason, "held by 4711-ab12cd34");
  assert.equal(healthReport(healthy).body.role, "active");
  const metrics = metricsText(standby);
  assert.match(metrics, /^postbot_role\{role="standby"\} 1$/m);
  assert.match(metrics, /^postbot_role\{role="active"\} 0$/m);
  assert.equal(healthReport({ ...standby, role: healthy.role }).status, 503, "an active needs it");
});
