/**
 * Per-user conversation state with a time-to-live. A session that nobody touches for
 * `ttlMs` ends: the cleanup loop removes it and calls `onExpire`, so the app can tell the
 * user. State can be mirrored to a {@link SessionBackend} to survive a restart.
 *
 * @module
 */

/** A stored session: the app's state and when it lapses (ms since epoch). */
export interface SessionEntry<S> {
  readonly state: S;
  readonly expiresAt: number;
}

/** Durable mirror of the sessions (e.g. a SQLite table). Memory-only when absent. */
export interface SessionBackend<S> {
  loadAll(): Iterable<[userId: string, entry: SessionEntry<S>]>;
  save(userId: string, entry: SessionEntry<S>): void;
  remove(userId: string): void;
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

  constructor(options: SessionStoreOptions<S>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    for (const [userId, entry] of options.backend?.loadAll() ?? []) {
      this.#entries.set(userId, entry);
    }
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
    this.#options.backend?.save(userId, entry);
  }

  /** Ends a session without calling `onExpire`. */
  delete(userId: string): void {
    if (this.#entries.delete(userId)) this.#options.backend?.remove(userId);
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

  #expire(userId: string, entry: SessionEntry<S>): void {
    this.#entries.delete(userId);
    this.#options.backend?.remove(userId);
    void Promise.resolve()
      .then(() => this.#options.onExpire(userId, entry.state))
      .catch(() => {});
  }
}
