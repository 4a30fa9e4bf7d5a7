/**
 * `@postbot/harness/mattermost`: a real Mattermost server (11.4, Team Edition, PostgreSQL) on
 * loopback for the end-to-end tests and the benchmarks -- built from source and cached,
 * started, restarted with or without its own rate limiter, stopped -- and where its files
 * are. `deno task mattermost` and `deno task e2e` are thin commands over it; tests reach the
 * server through `RealBackend` (`@postbot/harness`).
 *
 * @example
 * ```ts
 * import { readServerInfo, serverFile } from "@postbot/harness/mattermost";
 *
 * const info = readServerInfo();
 * console.log(info === undefined ? `not running (no ${serverFile()})` : info.url);
 * ```
 *
 * @module
 */

export { MM_VERSION, runDir, serverFile, worldFile } from "./mattermost_paths.ts";
export {
  log,
  pingOk,
  type RateLimit,
  readServerInfo,
  reset,
  restart,
  type ServerInfo,
  start,
  stop,
} from "./mattermost_server.ts";
export type { Outcome } from "./programs.ts";
