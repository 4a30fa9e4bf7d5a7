/**
 * The Mattermost WebSocket, kept alive: authenticates with the `Authorization` header (so a
 * reconnect can resume), tracks `connection_id` and the per-event `seq`, pings, detects
 * half-open sockets, and reconnects with exponential backoff and jitter using Mattermost's
 * resume parameters. When the server cannot replay what was missed (a `hello` with a new
 * `connection_id`, or a gap in `seq`) it says so through `onEventsLost`, so the caller can
 * catch up over REST.
 *
 * @module
 */

import { backoffDelay, type BackoffPolicy } from "./backoff.ts";
import type { Secret } from "./secret.ts";

/** An event as the server sends it. */
export interface SocketEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
  readonly broadcast: {
    readonly channel_id?: string;
    readonly user_id?: string;
    readonly team_id?: string;
  };
  readonly seq: number;
}

/** Callbacks and tuning of a {@link MattermostSocket}. */
export interface SocketOptions {
  readonly serverUrl: string;
  readonly token: Secret;
  readonly onEvent: (event: SocketEvent) => void;
  /** Events were lost (server restart, expired resume buffer): catch up over REST. */
  readonly onEventsLost?: () => void;
  readonly onConnected?: (info: { resumed: boolean; connectionId: string }) => void;
  readonly onDisconnected?: (reason: string) => void;
  /** Default 30 s. A socket with no pong for one interval is replaced. */
  readonly pingIntervalMs?: number;
  /** Default 30 s. An upgrade left unanswered this long is abandoned and retried. */
  readonly connectTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
}

type Timer = ReturnType<typeof setTimeout>;

type SocketState =
  | { readonly kind: "idle" }
  | { readonly kind: "connecting"; readonly ws: WebSocket; readonly timer: Timer }
  | { readonly kind: "open"; readonly ws: WebSocket; readonly ping: Timer }
  | { readonly kind: "waiting"; readonly timer: Timer; readonly attempt: number }
  | { readonly kind: "stopped" };

/** A self-healing connection to `/api/v4/websocket`. */
export class MattermostSocket {
  readonly #options: SocketOptions;
  readonly #pingIntervalMs: number;
  readonly #connectTimeoutMs: number;
  readonly #backoff: BackoffPolicy;
  #state: SocketState = { kind: "idle" };
  #connectionId = "";
  #expectedSeq = 0;
  #actionSeq = 0;
  #pendingPing: number | undefined;
  #failures = 0;
  #reconnects = 0;

  constructor(options: SocketOptions) {
    this.#options = options;
    this.#pingIntervalMs = options.pingIntervalMs ?? 30_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
    this.#backoff = options.backoff ?? { initialMs: 1_000, maxMs: 30_000 };
  }

  /** True while a socket is open and authenticated. */
  get connected(): boolean {
    return this.#state.kind === "open" && !this.#awaitingFirst;
  }

  /** How many times the connection was re-established after a drop. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** Opens the connection; it is kept open until {@link stop}. */
  start(): void {
    if (this.#state.kind !== "idle") return;
    this.#connect();
  }

  /** Closes the connection for good. */
  stop(): void {
    const state = this.#state;
    this.#state = { kind: "stopped" };
    if (state.kind === "waiting" || state.kind === "connecting") clearTimeout(state.timer);
    if (state.kind === "open") clearInterval(state.ping);
    if (state.kind === "open" || state.kind === "connecting") abandon(state.ws);
  }

  #url(): string {
    const base = this.#options.serverUrl.replace(/^http/, "ws");
    const url = new URL(`${base}/api/v4/websocket`);
    if (this.#connectionId !== "") {
      url.searchParams.set("connection_id", this.#connectionId);
      url.searchParams.set("sequence_number", String(this.#expectedSeq));
    }
    return url.toString();
  }

  #connect(): void {
    const ws = new WebSocket(this.#url(), {
      headers: { Authorization: `Bearer ${this.#options.token.reveal()}` },
    });
    // Deno's WebSocket waits forever for a server (or proxy) that accepts the connection but
    // never answers the upgrade: give up and try again.
    const timer = setTimeout(() => {
      if (this.#state.kind !== "connecting" || this.#state.ws !== ws) return;
      abandon(ws);
      this.#lost(`no answer to the WebSocket upgrade within ${this.#connectTimeoutMs} ms`);
    }, this.#connectTimeoutMs);
    this.#state = { kind: "connecting", ws, timer };
    ws.onopen = () => {
      if (this.#state.kind !== "connecting" || this.#state.ws !== ws) return;
      clearTimeout(this.#state.timer);
      this.#pendingPing = undefined;
      const ping = setInterval(() => this.#ping(ws), this.#pingIntervalMs);
      this.#state = { kind: "open", ws, ping };
      // A resumed connection gets no hello: it is usable as soon as it opens.
      if (this.#connectionId !== "") this.#connectedNow(true);
    };
    ws.onmessage = (message) => {
      if (!this.#owns(ws) || typeof message.data !== "string") return;
      this.#receive(message.data);
    };
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (!this.#owns(ws)) return;
      this.#lost(`socket closed (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`);
    };
  }

  #owns(ws: WebSocket): boolean {
    const s = this.#state;
    return (s.kind === "open" || s.kind === "connecting") && s.ws === ws;
  }

  #receive(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.seq_reply === "number") {
      if (message.seq_reply === this.#pendingPing) this.#pendingPing = undefined;
      return;
    }
    if (typeof message.event !== "string" || typeof message.seq !== "number") return;
    const event = message as unknown as SocketEvent;
    if (event.event === "hello") {
      const id = String(event.data?.connection_id ?? "");
      const lost = this.#connectionId !== "" && id !== this.#connectionId;
      this.#connectionId = id;
      this.#expectedSeq = event.seq + 1;
      this.#connectedNow(false);
      if (lost) this.#options.onEventsLost?.();
      this.#options.onEvent(event);
      return;
    }
    if (event.seq < this.#expectedSeq) return; // replayed twice: already handled
    const gap = event.seq > this.#expectedSeq;
    this.#expectedSeq = event.seq + 1;
    if (gap) this.#options.onEventsLost?.();
    this.#options.onEvent(event);
  }

  /** True from each (re)connect until the connection is known to be usable. */
  #awaitingFirst = true;

  #connectedNow(resumed: boolean): void {
    if (!this.#awaitingFirst) return;
    this.#awaitingFirst = false;
    this.#failures = 0;
    this.#options.onConnected?.({ resumed, connectionId: this.#connectionId });
  }

  #ping(ws: WebSocket): void {
    if (!this.#owns(ws)) return;
    if (this.#pendingPing !== undefined) {
      abandon(ws);
      this.#lost(`no pong within ${this.#pingIntervalMs} ms`);
      return;
    }
    this.#pendingPing = ++this.#actionSeq;
    try {
      ws.send(JSON.stringify({ action: "ping", seq: this.#pendingPing }));
    } catch {
      // The close event follows.
    }
  }

  #lost(reason: string): void {
    const state = this.#state;
    if (state.kind === "open") clearInterval(state.ping);
    if (state.kind === "connecting") clearTimeout(state.timer);
    const wasConnected = !this.#awaitingFirst;
    this.#awaitingFirst = true;
    this.#failures++;
    if (wasConnected) this.#reconnects++;
    this.#options.onDisconnected?.(reason);
    const timer = setTimeout(() => {
      if (this.#state.kind === "waiting") this.#connect();
    }, backoffDelay(this.#backoff, this.#failures));
    this.#state = { kind: "waiting", timer, attempt: this.#failures };
  }
}

function abandon(ws: WebSocket): void {
  ws.onopen =
    ws.onmessage =
    ws.onerror =
    ws.onclose =
      null;
  try {
    ws.close();
  } catch {
    // Already closing.
  }
}
