/**
 * The WebSocket endpoint (/api/v4/websocket) and its event hub, after
 * server/channels/api4/websocket.go, app/platform/web_conn.go, web_hub.go and
 * websocket_router.go: header or challenge authentication, `hello` first, per-connection
 * `seq`, ping/pong, delivery to channel members, and reliable reconnect (see resume.ts).
 */

import { AppError } from "./http.ts";
import { isValidId, newId } from "./ids.ts";
import { ConnectionState, emptyBroadcast, type WsEvent } from "./resume.ts";
import type { ChangeSignal } from "./signal.ts";
import type { EventSink, PublishOptions } from "./store_events.ts";

/** Seconds an unauthenticated socket may stay open (web_conn.go authCheckInterval). */
const AUTH_TIMEOUT_MS = 5_000;

/** What the hub needs from the rest of the emulator. */
export interface HubDeps {
  authenticate(token: string): string | undefined;
  signal: ChangeSignal;
  serverVersion: string;
  version: string;
}

/** The value of a presence field the client has not set (web_conn.go UnsetPresenceIndicator). */
const UNSET = "<>";

/** One socket: its connection state once authenticated, and how to kill it abruptly. */
class SocketSession {
  state?: ConnectionState;
  silent = false;
  closed = false;
  authTimer?: ReturnType<typeof setTimeout>;
  /** What the client said it looks at (`presence` action): channel, RHS thread, thread view. */
  activeChannel = UNSET;
  rhsThreadChannel = UNSET;
  threadViewChannel = UNSET;

  constructor(readonly socket: WebSocket, readonly abort: () => void) {}

  get open(): boolean {
    return !this.closed && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * WebConn.notInChannel && notInThread: the client looks at another channel and (both of)
   * its threads elsewhere, so a channel-scoped event (reactions, typing) of `channelId` is
   * not for it. Unset presence means everything is.
   */
  outOfScope(channelId: string): boolean {
    const elsewhere = (value: string) => value !== UNSET && value !== channelId;
    return elsewhere(this.activeChannel) && elsewhere(this.rhsThreadChannel) &&
      elsewhere(this.threadViewChannel);
  }

  /** The `presence` action's data (websocket_router.go). */
  setPresence(data: Record<string, unknown> | undefined): void {
    if (typeof data?.channel_id === "string") this.activeChannel = data.channel_id;
    if (typeof data?.thread_channel_id === "string") {
      if (data.is_thread_view === true) this.threadViewChannel = data.thread_channel_id;
      else this.rhsThreadChannel = data.thread_channel_id;
    }
  }

  write(message: unknown): void {
    if (this.silent || !this.open) return;
    try {
      this.socket.send(JSON.stringify(message));
    } catch {
      // the socket died between the check and the send; its close handler cleans up
    }
  }
}

/** Routes events to connections, numbers them, and keeps resumable state. */
export class WebSocketHub implements EventSink {
  private readonly states = new Map<string, ConnectionState>();
  private readonly bound = new Map<ConnectionState, SocketSession>();
  private readonly sessions = new Set<SocketSession>();

  /** Creates an empty hub. */
  constructor(private readonly deps: HubDeps) {}

  /**
   * Upgrades the request. `userId` is set when the upgrade carried a valid token; otherwise
   * the socket must send `authentication_challenge` within 5 s. `abort` drops the TCP
   * connection without a close frame.
   */
  upgrade(
    req: Request,
    query: URLSearchParams,
    userId: string | undefined,
    abort: () => void,
  ): Response {
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
    const session = new SocketSession(socket, abort);
    this.sessions.add(session);
    socket.onopen = () => {
      if (userId) this.attach(session, userId, query);
      else session.authTimer = setTimeout(() => this.kill(session), AUTH_TIMEOUT_MS);
      this.deps.signal.notify();
    };
    socket.onmessage = (e) => this.onMessage(session, e.data);
    socket.onclose = () => this.onClosed(session);
    socket.onerror = () => {};
    return response;
  }

  /**
   * Sends an event to every live or resumable connection whose user passes `to` (and, for a
   * channel-scoped event, whose presence does not put it elsewhere).
   */
  publish(event: WsEvent, to: (userId: string) => boolean, opts: PublishOptions = {}): void {
    const now = Date.now();
    for (const [id, state] of [...this.states]) {
      if (state.isExpired(now)) {
        this.states.delete(id);
        continue;
      }
      if (!to(state.userId)) continue;
      const session = this.bound.get(state);
      if (opts.channelScoped && session?.outOfScope(event.broadcast.channel_id)) continue;
      if (state.active && session?.open) {
        session.write(state.sequence(event));
        continue;
      }
      if (state.active) this.unbind(state, now);
      if (!state.enqueue(event)) this.states.delete(id);
    }
  }

  /** Closes every socket abruptly; resume buffers survive. */
  dropAll(): void {
    for (const session of [...this.sessions]) this.kill(session);
  }

  /** Forgets every resume buffer (a restart that lost its in-memory hub). */
  forgetAll(): void {
    this.states.clear();
    this.bound.clear();
  }

  /** Half-open switch for the sockets open right now (true), or back to normal (false). */
  setSilent(silent: boolean): void {
    for (const session of this.sessions) if (session.open || !silent) session.silent = silent;
  }

  /** Open, authenticated sockets (of one user, or all). */
  connectedSockets(userId?: string): number {
    let n = 0;
    for (const s of this.sessions) {
      if (s.open && s.state && (userId === undefined || s.state.userId === userId)) n++;
    }
    return n;
  }

  /** Kills everything, for shutdown. */
  closeAll(): void {
    this.dropAll();
    this.forgetAll();
  }

  private hello(state: ConnectionState): WsEvent {
    return {
      event: "hello",
      data: { server_version: this.deps.serverVersion, connection_id: state.id },
      broadcast: emptyBroadcast({ user_id: state.userId }),
    };
  }

  private attach(session: SocketSession, userId: string, query: URLSearchParams): void {
    const requested = query.get("connection_id") ?? "";
    if (requested !== "") {
      if (!isValidId(requested)) return this.kill(session);
      const existing = this.findResumable(userId, requested);
      if (existing) {
        const raw = query.get("sequence_number") ?? "";
        const seq = /^\d+$/.test(raw) ? Number(raw) : NaN;
        if (!Number.isSafeInteger(seq)) return this.kill(session);
        const outcome = existing.resume(seq, newId);
        session.state = existing;
        this.bound.set(existing, session);
        if (outcome.kind === "replay") { for (const e of outcome.events) session.write(e); }
        if (outcome.kind === "lost") {
          this.states.delete(requested);
          this.states.set(existing.id, existing);
          session.write(existing.sequence(this.hello(existing)));
        }
        for (const e of existing.drainPending()) session.write(e);
        return;
      }
    }
    this.attachFresh(session, userId);
  }

  private attachFresh(session: SocketSession, userId: string): void {
    const state = new ConnectionState(newId(), userId);
    this.states.set(state.id, state);
    session.state = state;
    this.bound.set(state, session);
    session.write(state.sequence(this.hello(state)));
  }

  private findResumable(userId: string, connectionId: string): ConnectionState | undefined {
    const state = this.states.get(connectionId);
    if (!state || state.userId !== userId) return undefined;
    const now = Date.now();
    if (state.active) {
      if (this.bound.get(state)?.open) return undefined;
      this.unbind(state, now);
    }
    if (state.isExpired(now)) {
      this.states.delete(connectionId);
      return undefined;
    }
    return state;
  }

  private unbind(state: ConnectionState, now: number): void {
    state.detach(now);
    this.bound.delete(state);
  }

  private onMessage(session: SocketSession, data: unknown): void {
    if (session.silent || session.closed) return;
    let request: { action?: unknown; seq?: unknown; data?: Record<string, unknown> };
    try {
      request = JSON.parse(String(data));
    } catch {
      return this.kill(session);
    }
    const seq = typeof request.seq === "number" ? request.seq : 0;
    const action = typeof request.action === "string" ? request.action : "";
    if (action === "") {
      return this.fail(session, seq, "api.web_socket_router.no_action.app_error", 400);
    }
    if (!(seq > 0)) return this.fail(session, seq, "api.web_socket_router.bad_seq.app_error", 400);
    if (action === "authentication_challenge") {
      if (session.state) return;
      const token = request.data?.token;
      const userId = typeof token === "string" ? this.deps.authenticate(token) : undefined;
      if (!userId) return this.kill(session);
      clearTimeout(session.authTimer);
      this.attachFresh(session, userId);
      session.write({ status: "OK", seq_reply: seq });
      this.deps.signal.notify();
      return;
    }
    if (action === "presence") {
      // Handled before the authentication check, as websocket_router.go does.
      session.setPresence(request.data);
      return session.write({ status: "OK", seq_reply: seq });
    }
    if (!session.state) {
      return this.fail(session, seq, "api.web_socket_router.not_authenticated.app_error", 401);
    }
    switch (action) {
      case "ping":
        return session.write({
          status: "OK",
          seq_reply: seq,
          data: { text: "pong", version: this.deps.version, server_time: Date.now(), node_id: "" },
        });
      case "user_typing":
      case "user_update_active_status":
        return session.write({ status: "OK", seq_reply: seq });
      case "get_statuses":
      case "get_statuses_by_ids":
        return session.write({ status: "OK", seq_reply: seq, data: {} });
      default:
        return this.fail(session, seq, "api.web_socket_router.bad_action.app_error", 500);
    }
  }

  private fail(session: SocketSession, seq: number, id: string, status: number): void {
    const error = new AppError(id, status);
    session.write({
      status: "FAIL",
      seq_reply: seq,
      error: { id, message: error.message, detailed_error: "", status_code: status },
    });
  }

  private kill(session: SocketSession): void {
    this.onClosed(session);
    session.abort();
  }

  private onClosed(session: SocketSession): void {
    if (!session.closed) {
      session.closed = true;
      clearTimeout(session.authTimer);
      const state = session.state;
      if (state && this.bound.get(state) === session) this.unbind(state, Date.now());
    }
    if (this.sessions.delete(session)) this.deps.signal.notify();
  }
}
