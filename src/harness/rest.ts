/**
 * The smallest Mattermost REST client the scripts and the real-server test backend need:
 * JSON in, JSON out, and Mattermost's error body turned into an error that names the call.
 *
 * @module
 */

/** A non-2xx answer of the server, with Mattermost's error id when it sent one. */
export class RestError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Mattermost's error id (`app.team....`), or "" for a non-JSON body. */
  readonly id: string;

  constructor(what: string, status: number, id: string, detail: string) {
    super(`${what}: ${status} ${id || detail}`.trim());
    this.status = status;
    this.id = id;
  }
}

/** A REST client bound to a server and (optionally) a token. */
export class Rest {
  readonly url: string;
  readonly token: string | undefined;

  constructor(url: string, token?: string) {
    this.url = url.replace(/\/$/, "");
    this.token = token;
  }

  /** The same server with another token. */
  as(token: string): Rest {
    return new Rest(this.url, token);
  }

  /** A raw request under /api/v4; the response is returned whatever its status. */
  async raw(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    // The server's own rate limiter (when a test switches it on) counts these requests too:
    // wait as told and try again rather than fail the test's bookkeeping.
    for (let attempt = 0;; attempt++) {
      const r = await fetch(`${this.url}/api/v4${path}`, { method, headers, body: payload });
      if (r.status !== 429 || attempt >= 30 || body instanceof FormData) return r;
      await r.body?.cancel();
      const wait = Number(r.headers.get("Retry-After") ?? "1");
      await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0.2) * 1000));
    }
  }

  /** A JSON request; throws {@link RestError} unless the status is 2xx. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.raw(method, path, body);
    const text = await r.text();
    if (!r.ok) {
      let id = "";
      let message = text.slice(0, 200);
      try {
        const parsed = JSON.parse(text);
        id = String(parsed.id ?? "");
        message = String(parsed.message ?? message);
      } catch {
        // Not JSON (a 429 says "limit exceeded").
      }
      throw new RestError(`${method} ${path}`, r.status, id, message);
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  /** GET as JSON; `undefined` on 404. */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.json<T>("GET", path);
    } catch (e) {
      if (e instanceof RestError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** The bytes of a GET (a file download); throws {@link RestError} unless 200. */
  async bytes(path: string): Promise<Uint8Array> {
    const r = await this.raw("GET", path);
    if (!r.ok) throw new RestError(`GET ${path}`, r.status, "", await r.text());
    return new Uint8Array(await r.arrayBuffer());
  }
}
