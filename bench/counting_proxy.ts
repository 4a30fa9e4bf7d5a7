/**
 * A reverse proxy on loopback that forwards HTTP requests and WebSockets to a Mattermost
 * server and logs every request (method, path, status, user), as the emulator's request log
 * does: a real server keeps no such log, and the benchmarks on it count the bot's requests by
 * route. Bodies are streamed through untouched; the server's rate-limit headers come back as
 * they were sent. The server sees the proxy's address (loopback, like the bot's own).
 *
 * @module
 */

import type { RequestRecord } from "@postbot/mattermost-emulator";

/** Headers that belong to one hop and are not forwarded. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
];

/** The proxy: its URL, the log, and how to close it. */
export class CountingProxy implements AsyncDisposable {
  /** Every HTTP request forwarded (WebSocket upgrades included), in answer order. */
  readonly requests: RequestRecord[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #upstream: URL;
  /** Tokens seen, by user id, so requests can be attributed (`userId`). */
  readonly #users: Map<string, string>;
  readonly #sockets = new Set<WebSocket>();

  private constructor(upstream: string, users: Map<string, string>) {
    this.#upstream = new URL(upstream);
    this.#users = users;
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (req) => this.#handle(req),
    );
  }

  /** Starts a proxy to `upstream`; `tokens` maps a bearer token to the user id to log. */
  static start(upstream: string, tokens: Record<string, string> = {}): CountingProxy {
    return new CountingProxy(upstream, new Map(Object.entries(tokens)));
  }

  /** The URL to give the bot instead of the server's. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  async #handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const target = new URL(url.pathname + url.search, this.#upstream);
    const token = /^Bearer (.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const userId = token === undefined ? undefined : this.#users.get(token);
    const record = (status: number) =>
      this.requests.push({
        method: req.method,
        path: url.pathname,
        status,
        userId,
        at: Date.now(),
      });
    if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
      record(101);
      return this.#webSocket(req, target);
    }
    const headers = new Headers(req.headers);
    for (const name of HOP_BY_HOP) headers.delete(name);
    // Bodies pass through as they are: no decompression between the server and the bot.
    headers.set("accept-encoding", "identity");
    try {
      const answer = await fetch(target, {
        method: req.method,
        headers,
        body: req.body,
        redirect: "manual",
      });
      record(answer.status);
      const back = new Headers(answer.headers);
      for (const name of HOP_BY_HOP) back.delete(name);
      return new Response(answer.body, { status: answer.status, headers: back });
    } catch (e) {
      record(502);
      return new Response(`proxy: ${(e as Error).message}\n`, { status: 502 });
    }
  }

  /** Pipes a WebSocket both ways; messages sent before the server's side opens are held. */
  #webSocket(req: Request, target: URL): Response {
    // The request's headers cannot be read once it is upgraded.
    const authorization = req.headers.get("authorization");
    const { socket, response } = Deno.upgradeWebSocket(req);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    const upstream = new WebSocket(target, {
      headers: authorization === null ? {} : { Authorization: authorization },
    });
    this.#sockets.add(socket).add(upstream);
    const held: (string | ArrayBuffer | Blob)[] = [];
    socket.onmessage = (e) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(e.data);
      else held.push(e.data);
    };
    upstream.onopen = () => {
      for (const data of held.splice(0)) upstream.send(data);
    };
    upstream.onmessage = (e) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(e.data);
    };
    const closeBoth = () => {
      for (const ws of [socket, upstream]) {
        if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
          try {
            ws.close();
          } catch { /* already closing */ }
        }
        this.#sockets.delete(ws);
      }
    };
    socket.onclose = closeBoth;
    upstream.onclose = closeBoth;
    socket.onerror = closeBoth;
    upstream.onerror = closeBoth;
    return response;
  }

  /** Closes every socket and stops listening. */
  async close(): Promise<void> {
    for (const ws of this.#sockets) {
      try {
        ws.close();
      } catch { /* already closing */ }
    }
    await this.#server.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
