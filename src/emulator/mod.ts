/**
 * `@postbot/mattermost-emulator`: a Mattermost server for a bot's tests. A real HTTP +
 * WebSocket server on 127.0.0.1 that behaves like Mattermost where a bot can tell the
 * difference (routes, permissions, error bodies, silent file drops, events, seq/resume,
 * rate-limit headers), with switches for misbehaviour ({@link Faults}). The bot under test
 * talks to it over real sockets, exactly as it would to a server. Helpers for tests (a seeded
 * world, a Client4 per token, a WebSocket probe, `until`) are the
 * `@postbot/mattermost-emulator/testing` entry point.
 *
 * @example
 * ```ts
 * import { startEmulator } from "@postbot/mattermost-emulator";
 *
 * const emu = await startEmulator();
 * const { token } = emu.store.createUser({ username: "hellobot", is_bot: true });
 * // start the bot with URL=emu.url and TOKEN=token, talk to it, assert on emu.store...
 * console.log(emu.url, token.length);
 * await emu.stop();
 * ```
 *
 * @module
 */

export { startEmulator } from "./server.ts";
export { AppError } from "./http.ts";
export type {
  Emulator,
  EmulatorConfig,
  EmulatorOptions,
  EmulatorStore,
  FailRule,
  Faults,
  HeldRequest,
  HoldRule,
  RateLimitQuota,
  RequestRecord,
  UserTimezone,
  WaitForOptions,
} from "./types.ts";
export { type ChannelWideMention, serverChannelMentions } from "./mentions.ts";
export {
  type ArrivalOrder,
  ArrivalWindow,
  GcraRateLimiter,
  rateLimitHeaders,
  type RateLimitResult,
} from "./rate_limit.ts";
