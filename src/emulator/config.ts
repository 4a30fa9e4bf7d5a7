/**
 * The server settings (config.json) the emulator follows, which a test may change while it
 * runs as an admin would in the System Console: `emu.config`. Fault switches (misbehaviour)
 * are on `emu.faults`; these are the server's legitimate settings.
 */

/** Server settings a test may change at any moment (`emu.config`). */
export interface EmulatorConfig {
  /**
   * TeamSettings.RestrictDirectMessage: "any" (the server's default) lets anyone open a DM
   * with anyone; "team" refuses a new DM between people who share no team (403) and posting,
   * reacting or updating posts in an existing one (400), except for system admins.
   */
  restrictDirectMessage: "any" | "team";
  /**
   * ServiceSettings.AllowedUntrustedInternalConnections, for the requests the server makes to
   * interactive-button integrations: undefined (the emulator's default) lets them reach any
   * address; a string is read as the server reads it (names and IPs matched exactly, CIDR
   * ranges, separated by spaces or commas), and a loopback, private or own address it does
   * not name is refused -- "" is the real server's default, which refuses them all.
   */
  allowedUntrustedInternalConnections: string | undefined;
  /** ServiceSettings.OutgoingIntegrationRequestsTimeout, in ms (the server's default: 30 s). */
  outgoingIntegrationRequestsTimeoutMs: number;
  /** ServiceSettings.UniqueEmojiReactionLimitPerPost: distinct emojis on one post (50). */
  uniqueEmojiReactionLimitPerPost: number;
  /**
   * ServiceSettings.PostPriority (on by default): off, a post carrying a priority is refused
   * (403 `api.post.post_priority.priority_post_not_allowed_for_user.request_error`).
   */
  postPriority: boolean;
}

/** The settings of a server with a default config.json (and the emulator's open network). */
export function defaultConfig(overrides: Partial<EmulatorConfig> = {}): EmulatorConfig {
  return {
    restrictDirectMessage: "any",
    allowedUntrustedInternalConnections: undefined,
    outgoingIntegrationRequestsTimeoutMs: 30_000,
    uniqueEmojiReactionLimitPerPost: 50,
    postPriority: true,
    ...overrides,
  };
}
