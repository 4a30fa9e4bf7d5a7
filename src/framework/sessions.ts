/**
 * Per-user conversation state with a time-to-live. A session that nobody touches for
 * `ttlMs` ends: the cleanup loop removes it and calls `onExpire`, so the app can tell the
 * user. State can be mirrored to a {@link SessionBackend} to survive a restart (or to be
 * continued by another instance sharing the backend): reads are served from memory, writes
 * go to the backend in the order they were made, one at a time.
 *
 * @module
 */

import { logger } from "./logging.ts";

const log = logger("sessions");

/** A stored session: the app's state and when it lapses (ms since epoch). */
export interface SessionEntry<S> {
  readonly state: S;
  readonly expiresAt: number;
}

/**
 * Durable mirror of the sessions (e.g. a database table). Memory-only when absent. Each
 * method may answer at once or later (a database across a network).
 */
export interface SessionBackend<S> {
  loadAll():
    | Iterable<[userId: string, entry: SessionEntry<S>]>
    | Promise<Iterable<[userId: string, entry: SessionEntry<S>]>>;
  save(userId: string, entry: SessionEntry<S>): void | Promise<void>;
  remove(userId: string): void | Promise<void>;
}

/** Settings of a {@link SessionStore}. */
export interface SessionStoreOptions<S> {
  readonly ttlMs: number;
  readonly cleanupIntervalMs: number;
  /** Called once for each session that lapsed; errors are the callback's to handle. */
  readonly onExpire: (userId: string, state: S) => void | Promise<void>;
  readonly backend?: SessionBackend<S>;
  readonly now?: () => number;
}

/**
 * Sessions keyed by user id.
 *
 * @example A two-question conversation that ends when left unanswered
 * ```ts
 * import { SessionStore } from "@postbot/framework";
 *
 * type Step =
 *   | { readonly kind: "asked-name" }
 *   | { readonly kind: "asked-colour"; readonly name: string };
 *
 * const sessions = new SessionStore<Step>({
 *   ttlMs: 5 * 60_000,
 *   cleanupIntervalMs: 60_000,
 *   onExpire: (userId) => console.log(`${userId} did not answer; the conversation ended`),
 * });
 * await sessions.load(); // nothing to load without a backend
 * sessions.start();
 * sessions.set("user-id", { kind: "asked-name" });
 * const step = sessions.get("user-id"); // { kind: "asked-name" } for the next 5 minutes
 * console.log(step?.kind);
 * sessions.stop();
 * ```
 */
export class SessionStore<S> {
  readonly #entries = new Map<string, SessionEntry<S>>();
  readonly #options: SessionStoreOptions<S>;
  readonly #now: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The backend writes not yet done, in order: each starts when the one before it ended. */
  #writes: Promise<void> = Promise.resolve();

  constructor(options: SessionStoreOptions<S>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Replaces the sessions in memory with the backend's (at startup, and when this instance
   * takes over from another that shared the backend). Waits for this store's own writes first.
   */
  async load(): Promise<void> {
    const backend = this.#options.backend;
    if (backend === undefined) return;
    await this.flush();
    const rows = [...await backend.loadAll()];
    this.#entries.clear();
    for (const [userId, entry] of rows) this.#entries.set(userId, entry);
  }

  /** Resolves when every write made so far reached the backend (or failed, and was logged). */
  async flush(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.#writes;
      await last;
    } while (last !== this.#writes);
  }

  /** The user's live session state; a lapsed one is expired on the spot. */
  get(userId: string): S | undefined {
    const entry = this.#entries.get(userId);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#expire(userId, entry);
      return undefined;
    }
    return entry.state;
  }

  /** Stores state and restarts the user's time-to-live. */
  set(userId: string, state: S): void {
    const entry = { state, expiresAt: this.#now() + this.#options.ttlMs };
    this.#entries.set(userId, entry);
    this.#write(userId, (backend) => backend.save(userId, entry));
  }

  /** Ends a session without calling `onExpire`. */
  delete(userId: string): void {
    if (this.#entries.delete(userId)) this.#write(userId, (backend) => backend.remove(userId));
  }

  /** Number of sessions, lapsed ones not yet swept included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Expires every lapsed session now; returns how many. */
  sweep(): number {
    const now = this.#now();
    let n = 0;
    for (const [userId, entry] of [...this.#entries]) {
      if (entry.expiresAt <= now) {
        this.#expire(userId, entry);
        n++;
      }
    }
    return n;
  }

  /** Starts the cleanup loop. */
  start(): void {
    this.#timer ??= setInterval(() => this.sweep(), this.#options.cleanupIntervalMs);
  }

  /** Stops the cleanup loop; sessions stay (and stay in the backend). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Queues a backend write after the ones before it; a failure is logged, not thrown. */
  #write(userId: string, write: (backend: SessionBackend<S>) => void | Promise<void>): void {
    const backend = this.#options.backend;
    if (backend === undefined) return;
    this.#writes = this.#writes
      .then(() => write(backend))
      .catch((error) => {
        log.error("Could not store the session of {user}: {error}", { user: userId, error });
      });
  }

  #expire(userId: string, entry: SessionEntry<S>): void {
    this.#entries.delete(userId);
    this.#write(userId, (backend) => backend.remove(userId));
    void Promise.resolve()
      .then(() => this.#options.onExpire(userId, entry.state))
      .catch(() => {});
  }
}
