/**
 * Mattermost emulator for postbot's tests and sandbox: a real HTTP + WebSocket server that
 * behaves like Mattermost where the bot can tell the difference (routes, permissions, error
 * bodies, silent file drops, events, seq/resume, rate-limit headers), plus fault switches.
 *
 * ```ts
 * const emu = await startEmulator();
 * const { user: bot, token } = emu.store.createUser({ username: "postbot", is_bot: true });
 * // point the bot at emu.url with token … then
 * await emu.stop();
 * ```
 */

export { startEmulator } from "./server.ts";
export { AppError } from "./http.ts";
export type {
  Emulator,
  EmulatorOptions,
  EmulatorStore,
  FailRule,
  Faults,
  RateLimitQuota,
  RequestRecord,
  UserTimezone,
  WaitForOptions,
} from "./types.ts";
