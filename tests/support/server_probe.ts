/**
 * Talking to a Mattermost server as a person would, the same way on the emulator and on a
 * real server: REST calls with a person's token, a WebSocket that records events, and a
 * stand-in integration that interactive buttons post to. For the tests that pin what a real
 * server does (tests/*_pins_test.ts).
 */

import { type Person, type RestAnswer, type Scenario, waitFor } from "@postbot/harness";

/** A REST call as `person`; the answer whatever its status, the body parsed when JSON. */
export async function rest(
  s: Scenario,
  person: Person,
  method: string,
  path: string,
  body?: unknown,
): Promise<RestAnswer> {
  const r = await fetch(`${s.url}/api/v4${path}`, {
    method,
    headers: { Authorization: `Bearer ${person.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await r.text();
  try {
    return { status: r.status, body: JSON.parse(text) };
  } catch {
    return { status: r.status, body: text };
  }
}

/** A WebSocket event as received. */
// deno-lint-ignore no-explicit-any
export type WsFrame = Record<string, any>;

/** A person's WebSocket: every event it receives, and waiting for one. */
export class EventSocket {
  readonly frames: WsFrame[] = [];
  readonly #socket: WebSocket;
  readonly #closed: Promise<void>;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (e) => this.frames.push(JSON.parse(String(e.data)));
    socket.onerror = () => {};
    this.#closed = new Promise((resolve) => socket.addEventListener("close", () => resolve()));
  }

  /** Opens `person`'s socket and waits for its `hello`. */
  static async open(s: Scenario, person: Person): Promise<EventSocket> {
    const socket = new WebSocket(`${s.url.replace(/^http/, "ws")}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${person.token}` },
    });
    const probe = new EventSocket(socket);
    await probe.next((f) => f.event === "hello");
    return probe;
  }

  /** Sends an action (`presence`...) and waits for its reply. */
  async send(seq: number, action: string, data: Record<string, unknown>): Promise<WsFrame> {
    this.#socket.send(JSON.stringify({ seq, action, data }));
    return await this.next((f) => f.seq_reply === seq);
  }

  /** The first frame that satisfies `predicate`, waiting up to 10 s for it. */
  next(predicate: (f: WsFrame) => boolean): Promise<WsFrame> {
    return waitFor(() => this.frames.find(predicate), {
      timeoutMs: 10_000,
      intervalMs: 20,
      message: `no such WebSocket frame; got ${JSON.stringify(this.frames.map((f) => f.event))}`,
    });
  }

  /** The `n`th event of that name (1-based), waiting for it. */
  async nth(name: string, n: number): Promise<WsFrame> {
    await this.next(() => this.events(name).length >= n);
    return this.events(name)[n - 1];
  }

  /** Events of that name received so far. */
  events(name: string): WsFrame[] {
    return this.frames.filter((f) => f.event === name);
  }

  /** Closes the socket and waits until it is closed. */
  async close(): Promise<void> {
    this.#socket.close();
    await this.#closed;
  }
}

/** A request an integration received. */
export interface IntegrationCall {
  readonly path: string;
  readonly headers: Record<string, string>;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
}

/**
 * A stand-in for a bot's integration endpoint on 0.0.0.0: records every request and answers
 * with `answer` (a test changes it between clicks).
 */
export class IntegrationStub {
  readonly calls: IntegrationCall[] = [];
  answer: () => Response = () => Response.json({});
  readonly #server: Deno.HttpServer<Deno.NetAddr>;

  constructor() {
    this.#server = Deno.serve({ hostname: "0.0.0.0", port: 0, onListen() {} }, async (req) => {
      const text = await req.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text.
      }
      this.calls.push({
        path: new URL(req.url).pathname,
        headers: Object.fromEntries(req.headers),
        body,
      });
      return this.answer();
    });
  }

  /** The URL of `path` on `host` (127.0.0.1 unless another loopback address is wanted). */
  url(path = "/hook", host = "127.0.0.1"): string {
    return `http://${host}:${this.#server.addr.port}${path}`;
  }

  /** Stops serving. */
  async stop(): Promise<void> {
    await this.#server.shutdown();
  }
}
