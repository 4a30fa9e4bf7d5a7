/**
 * REST access to Mattermost: a transport that knows Mattermost's rate limiter (requests paced
 * by its headers, first come first served, and a shared pause honouring `Retry-After`; see
 * rate_pacer.ts), retries what is safe to retry, applies a timeout, and turns every failure
 * into a {@link MattermostError}. The bot's typed calls on it are in client.ts.
 *
 * Only idempotent requests (GET, HEAD, PUT, DELETE) are retried on 5xx and network errors: a
 * POST whose answer was lost may have taken effect, and only the caller knows how to check.
 * A 429 is always retried, since the rate limiter rejects a request before it is handled.
 *
 * @module
 */

import type mm from "@mattermost/client";
import { backoffDelay, type BackoffPolicy, delay } from "./backoff.ts";
import { MattermostError } from "./mattermost_error.ts";
import { RatePacer } from "./rate_pacer.ts";
import { jsonArrayObjects } from "./json_objects.ts";
import { FileBytes } from "./file_bytes.ts";
import type { Secret } from "./secret.ts";

/**
 * The official REST client's type: task plugins receive one (built in the task process; the
 * bot itself calls the server through client.ts, so it never loads `@mattermost/client`).
 */
export type Client4 = InstanceType<typeof mm.Client4>;

/** Tuning of the transport. Defaults suit a production server. */
export interface TransportOptions {
  readonly serverUrl: string;
  readonly token: Secret;
  /** Attempts for one request while the server answers 429 (default 10). */
  readonly rateLimitAttempts?: number;
  /** Attempts for idempotent requests failing with 5xx or network errors (default 4). */
  readonly idempotentAttempts?: number;
  /** Per-request timeout (default 60 s). */
  readonly timeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Observes every completed HTTP exchange (metrics, tests). */
  readonly onResponse?: (info: { method: string; route: string; status: number }) => void;
  /**
   * The HTTP client requests go through (its connection pool); default: fetch's own, which
   * keeps idle connections 90 s. The caller owns it and closes it.
   */
  readonly client?: Deno.HttpClient;
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** A request's options; the body may be a function that makes a fresh one for each attempt. */
export type SendInit = Omit<RequestInit, "body"> & {
  readonly body?: BodyInit | null | (() => BodyInit);
  /** Paced behind every other request (catch-up work that must not delay live traffic). */
  readonly background?: boolean;
  /**
   * Asked right before each attempt goes out, after any wait for the rate limit: false
   * withholds the request ({@link RequestWithheld}). A write that must not happen once the
   * caller lost its right to act (another instance took over while this one waited) is
   * checked as late as the process can check it.
   */
  readonly mayProceed?: () => boolean;
};

/** Thrown when a request's {@link SendInit.mayProceed} said no: nothing was sent. */
export class RequestWithheld extends Error {
  constructor(route: string) {
    super(`${route} was withheld: the caller may no longer send it`);
    this.name = "RequestWithheld";
  }
}

/**
 * Sends HTTP requests to one Mattermost server with the policy described in the module doc.
 *
 * @example
 * ```ts
 * import { isStatus, RestTransport, Secret } from "@postbot/framework";
 * import type { Channel } from "@mattermost/types/channels";
 *
 * const transport = new RestTransport({
 *   serverUrl: "https://chat.example.com",
 *   token: new Secret(Deno.env.get("TOKEN") ?? ""),
 * });
 * try {
 *   const channel = await transport.getJson<Channel>("/channels/4xp9fdt7pbgium38k4x5f5wmbr");
 *   console.log(channel.display_name);
 * } catch (e) {
 *   if (!isStatus(e, 403, 404)) throw e; // paced, retried and timed out before it got here
 *   console.log("the bot cannot see that channel");
 * }
 * ```
 */
export class RestTransport {
  readonly serverUrl: string;
  readonly #token: Secret;
  readonly #rateLimitAttempts: number;
  readonly #idempotentAttempts: number;
  readonly #timeoutMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #onResponse: TransportOptions["onResponse"];
  readonly #client: Deno.HttpClient | undefined;
  /**
   * Shared by every request: paces them by the server's rate-limit headers and, while the
   * server says "slow down" (429), nobody sends.
   */
  readonly #pacer = new RatePacer();

  constructor(options: TransportOptions) {
    this.serverUrl = options.serverUrl;
    this.#token = options.token;
    this.#rateLimitAttempts = options.rateLimitAttempts ?? 10;
    this.#idempotentAttempts = options.idempotentAttempts ?? 4;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    this.#backoff = options.backoff ?? { initialMs: 250, maxMs: 8_000 };
    this.#onResponse = options.onResponse;
    this.#client = options.client;
  }

  /** An absolute URL for an API path such as `/users/me`. */
  api(path: string): string {
    return `${this.serverUrl}/api/v4${path}`;
  }

  /**
   * Sends a request and returns the response when its status is below 400; otherwise throws
   * a {@link MattermostError}. `body` must be re-sendable (string, FormData, bytes), or a
   * function making a fresh body (a stream) for every attempt.
   */
  async send(url: string, init: SendInit, signal?: AbortSignal): Promise<Response> {
    const { response, done } = await this.#exchange(url, init, signal);
    return untilRead(response, done);
  }

  /** {@link send}, handing back the function that lets the time limit go. */
  async #exchange(
    url: string,
    init: SendInit,
    signal?: AbortSignal,
  ): Promise<{ response: Response; done: () => void }> {
    const method = (init.method ?? "GET").toUpperCase();
    const route = `${method} ${routeOf(url, this.serverUrl)}`;
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${this.#token.reveal()}`);
    let limited = 0;
    let failed = 0;
    for (let attempt = 1;; attempt++) {
      // A request retried after a 429 goes ahead of those not tried yet: nobody starves.
      const position = await this.#pacer.acquire(signal, limited > 0, init.background);
      if (init.mayProceed?.() === false) throw new RequestWithheld(route);
      let response: Response;
      const limit = deadline(this.#timeoutMs);
      try {
        const { background: _, mayProceed: __, ...request } = init;
        response = await fetch(url, {
          ...request,
          body: typeof init.body === "function" ? init.body() : init.body,
          method,
          headers,
          signal: signal ? AbortSignal.any([signal, limit.signal]) : limit.signal,
          ...(this.#client !== undefined ? { client: this.#client } : {}),
        });
      } catch (e) {
        limit.clear();
        if (signal?.aborted) throw signal.reason;
        const timedOut = e instanceof DOMException && e.name === "TimeoutError";
        failed++;
        if (IDEMPOTENT.has(method) && failed < this.#idempotentAttempts) {
          await delay(backoffDelay(this.#backoff, failed), signal);
          continue;
        }
        throw new MattermostError({
          kind: timedOut ? "timeout" : "network",
          status: 0,
          message: timedOut
            ? `no answer from the server within ${this.#timeoutMs / 1000} s`
            : `the server could not be reached (${this.#token.scrub(describe(e))})`,
          attempts: attempt,
          route,
        });
      }
      this.#pacer.observe(position, response.status, response.headers);
      this.#onResponse?.({ method, route, status: response.status });
      if (response.status === 429) {
        limited++;
        await response.body?.cancel();
        limit.clear();
        const pause = retryAfterMs(response.headers) ?? backoffDelay(this.#backoff, limited);
        this.#pacer.pause(pause);
        if (limited < this.#rateLimitAttempts) continue;
        throw new MattermostError({
          kind: "rate_limited",
          status: 429,
          message: `rate limited by the server after ${limited} attempts`,
          attempts: attempt,
          route,
        });
      }
      if (response.status >= 500 && IDEMPOTENT.has(method)) {
        failed++;
        if (failed < this.#idempotentAttempts) {
          await response.body?.cancel();
          limit.clear();
          await delay(backoffDelay(this.#backoff, failed), signal);
          continue;
        }
      }
      if (response.status >= 400) {
        const error = await errorFrom(response, route, attempt, this.#token);
        limit.clear();
        throw error;
      }
      return { response, done: limit.clear };
    }
  }

  /** GET returning parsed JSON (`background`: paced behind all other requests). */
  async getJson<T>(path: string, signal?: AbortSignal, background = false): Promise<T> {
    const response = await this.send(this.api(path), { method: "GET", background }, signal);
    return await response.json() as T;
  }

  /**
   * GET of a JSON array of objects, yielded one at a time as the answer arrives (see
   * json_objects.ts): for a list that grows with the bot's history, of which the caller keeps
   * little. Throws as {@link getJson} before the first object; a SyntaxError when the answer
   * is not an array of objects.
   */
  async *getJsonObjects<T>(
    path: string,
    signal?: AbortSignal,
    background = false,
  ): AsyncGenerator<T, void, undefined> {
    const response = await this.send(this.api(path), { method: "GET", background }, signal);
    if (response.body === null) throw new SyntaxError(`GET ${path}: an empty answer`);
    for await (const o of jsonArrayObjects(response.body)) yield o as T;
  }

  /**
   * Downloads a file (`GET /files/{id}`), held once in memory; every upload of it streams
   * the same bytes (see {@link FileBytes}). Asked for as it is stored (`identity`): a server
   * in its default gzip mode would otherwise compress it, drop its length and make the bot
   * inflate it, for a file that is only passed on.
   */
  async downloadFile(fileId: string, signal?: AbortSignal): Promise<FileBytes> {
    const { response, done } = await this.#exchange(this.api(`/files/${fileId}`), {
      method: "GET",
      headers: { "Accept-Encoding": "identity" },
    }, signal);
    try {
      return await FileBytes.read(response.body, bodyLength(response.headers));
    } finally {
      done();
    }
  }
}

/**
 * The length of a body as it is read: Content-Length unless the body was compressed on the
 * way, else Mattermost's X-Uncompressed-Content-Length; undefined when neither says.
 */
export function bodyLength(headers: Headers): number | undefined {
  const encoded = (headers.get("Content-Encoding") ?? "identity").trim().toLowerCase();
  const value = encoded === "identity" || encoded === ""
    ? headers.get("Content-Length")
    : headers.get("X-Uncompressed-Content-Length");
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * A request's time limit, from sending until its answer has been read. It lets go as soon as
 * the exchange ends: `AbortSignal.timeout` would keep every request's signal, timer and
 * listeners alive for the whole limit (60 s), thousands of them during a big broadcast.
 */
function deadline(ms: number): { readonly signal: AbortSignal; readonly clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, "TimeoutError")),
    ms,
  );
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** How a caller reads an answer; each lets the time limit go once it has settled. */
const READERS = ["arrayBuffer", "blob", "bytes", "formData", "json", "text"] as const;

/**
 * The response, with `done` called once its body has been read (`json()`, `text()`, ...). Only
 * the reading methods are wrapped: piping the body through a stream to see its end cost
 * ~150 us per request. An answer never read keeps its limit until it runs out, as before.
 */
function untilRead(response: Response, done: () => void): Response {
  if (response.body === null) {
    done();
    return response;
  }
  for (const name of READERS) {
    const read = response[name].bind(response) as () => Promise<unknown>;
    Object.defineProperty(response, name, { value: () => read().finally(done) });
  }
  return response;
}

/** Milliseconds the server asked us to wait, from `Retry-After` or `X-Ratelimit-Reset`. */
export function retryAfterMs(headers: Headers): number | undefined {
  for (const name of ["Retry-After", "X-Ratelimit-Reset"]) {
    const value = headers.get(name);
    if (value !== null && /^\d+(\.\d+)?$/.test(value.trim())) {
      return Math.max(50, Number(value) * 1000);
    }
  }
  return undefined;
}

async function errorFrom(response: Response, route: string, attempts: number, token: Secret) {
  // A proxy or a misbehaving server may echo the credentials back: never keep them.
  const text = token.scrub(await response.text().catch(() => ""));
  let body: { id?: string; message?: string } = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 200) };
  }
  return new MattermostError({
    kind: "http",
    status: response.status,
    serverErrorId: typeof body.id === "string" ? body.id : undefined,
    message: typeof body.message === "string" && body.message !== ""
      ? body.message
      : `HTTP ${response.status}`,
    attempts,
    route,
  });
}

function routeOf(url: string, base: string): string {
  const path = url.startsWith(base) ? url.slice(base.length) : url;
  return path.replace(/\?.*$/, "");
}

/** The error's message with its causes ("fetch failed: ... invalid peer certificate ..."). */
function describe(e: unknown): string {
  const parts: string[] = [];
  for (let c: unknown = e, depth = 0; c !== undefined && depth < 5; depth++) {
    const message = c instanceof Error ? c.message : String(c);
    if (message !== "" && !parts.includes(message)) parts.push(message);
    c = c instanceof Error ? c.cause : undefined;
  }
  return parts.join(": ");
}
