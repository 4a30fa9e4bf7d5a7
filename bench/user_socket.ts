/**
 * A user's live connection to the server, as the benchmarks' users hold it. Its own module so
 * that the users' process of the round-trip benchmark loads nothing else.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";

/**
 * A user's live connection, as their Mattermost app has: the bot's answers arrive as
 * `posted` events. Waiting on the socket keeps the harness from scanning the emulator's store
 * on every change, which would steal the emulator's CPU and skew the timings.
 */
export class UserSocket {
  readonly #ws: WebSocket;
  readonly #fromUserId: string;
  readonly #posts: Post[] = [];
  readonly #changed = new Set<() => void>();

  private constructor(ws: WebSocket, fromUserId: string) {
    this.#ws = ws;
    this.#fromUserId = fromUserId;
    ws.onmessage = (m) => {
      const event = JSON.parse(String(m.data));
      if (event.event !== "posted" || typeof event.data?.post !== "string") return;
      const post = JSON.parse(event.data.post) as Post;
      if (post.user_id !== this.#fromUserId) return;
      this.#posts.push(post);
      for (const f of this.#changed) f();
    };
  }

  /** Connects as the owner of `token`, receiving the posts of `fromUserId` (the bot). */
  static open(serverUrl: string, token: string, fromUserId: string): Promise<UserSocket> {
    const ws = new WebSocket(`${serverUrl.replace(/^http/, "ws")}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const socket = new UserSocket(ws, fromUserId);
    return new Promise((resolve, reject) => {
      ws.addEventListener("message", () => resolve(socket), { once: true });
      ws.addEventListener("error", () => reject(new Error("user socket failed")), { once: true });
    });
  }

  /** How many posts were received so far (a mark for {@link next}). */
  get received(): number {
    return this.#posts.length;
  }

  /** The first post received at index `from` or later that matches. */
  next(from: number, pattern: RegExp = /[\s\S]/, timeoutMs = 60_000): Promise<Post> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.#posts.slice(from).find((p) => pattern.test(p.message));
        if (found === undefined) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no post matching ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#changed.delete(check);
      };
      this.#changed.add(check);
      check();
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#ws.close();
  }
}
