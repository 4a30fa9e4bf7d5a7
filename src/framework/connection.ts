/**
 * The bot's WebSocket as the bot sees it: opened once at start with a deadline (a proxy that
 * refuses upgrades is a readable startup failure, not a silent hang), then kept open by
 * {@link MattermostSocket}, every connect and drop logged.
 *
 * @module
 */

import type { BackoffPolicy } from "./backoff.ts";
import { logger } from "./logging.ts";
import { fail, ok, type Problem, type Result } from "./result.ts";
import type { Secret } from "./secret.ts";
import { MattermostSocket, type SocketEvent } from "./websocket.ts";

const log = logger("bot");

/** Where the socket goes, how it is kept alive, and who hears from it. */
export interface ConnectionOptions {
  readonly serverUrl: string;
  readonly token: Secret;
  readonly pingIntervalMs?: number;
  readonly reconnectBackoff?: BackoffPolicy;
  /** Every event the server sends. */
  readonly onEvent: (event: SocketEvent) => void;
  /** The server could not replay what was missed: a catch-up over REST is due. */
  readonly onEventsLost: () => void;
}

/** The bot's WebSocket: {@link open} waits for the first connection, {@link close} ends it. */
export class BotConnection {
  readonly #socket: MattermostSocket;
  readonly #serverUrl: string;
  readonly #ready: PromiseWithResolvers<void> = Promise.withResolvers();
  #lastDisconnect = "";

  constructor(options: ConnectionOptions) {
    this.#serverUrl = options.serverUrl;
    this.#socket = new MattermostSocket({
      serverUrl: options.serverUrl,
      token: options.token,
      pingIntervalMs: options.pingIntervalMs,
      backoff: options.reconnectBackoff,
      onEvent: options.onEvent,
      onEventsLost: options.onEventsLost,
      onConnected: ({ resumed, connectionId }) => {
        log.info("WebSocket connected ({how}, connection {id})", {
          how: resumed ? "resuming the previous session" : "new session",
          id: connectionId,
        });
        this.#ready.resolve();
      },
      onDisconnected: (reason) => {
        this.#lastDisconnect = reason;
        log.warn("WebSocket disconnected: {reason}", { reason });
      },
    });
  }

  /** True while the WebSocket is connected. */
  get connected(): boolean {
    return this.#socket.connected;
  }

  /** WebSocket reconnections since start. */
  get reconnects(): number {
    return this.#socket.reconnects;
  }

  /**
   * Starts the socket and resolves once it is connected; fails with a readable reason (and
   * stops trying) when no connection could be made within `timeoutMs`.
   */
  async open(timeoutMs: number): Promise<Result<void, Problem>> {
    this.#socket.start();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const connected = await Promise.race([this.#ready.promise.then(() => true), timedOut]);
    clearTimeout(timer);
    if (connected) return ok(undefined);
    this.#socket.stop();
    return fail(
      `The WebSocket to ${this.#serverUrl}/api/v4/websocket did not connect ` +
        `within ${Math.round(timeoutMs / 1000)} s` +
        (this.#lastDisconnect !== "" ? ` (last attempt: ${this.#lastDisconnect})` : "") +
        ". The REST API works, so check that a proxy in front of Mattermost passes WebSocket " +
        "upgrades (Upgrade and Connection headers).",
    );
  }

  /** Closes the socket for good. */
  close(): void {
    this.#socket.stop();
  }
}
