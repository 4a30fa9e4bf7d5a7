/**
 * The role of this instance, kept by a loop over the {@link Lease}: a standby tries to take the
 * lease every renewal interval, the active renews it. The role changes when the lease is taken,
 * lost (renewal refused: someone else holds it now) or runs out while the database cannot be
 * reached: an active that cannot renew steps down by its own clock when its lease would have
 * expired, without waiting for the database to tell it -- it must stop answering before a
 * standby may start. Fenced writes (lease.ts) guard the rest.
 *
 * Stopping releases a held lease, so a standby takes over at once (graceful hand-over).
 *
 * @module
 */

import type { Lease } from "./lease.ts";

/** What this instance is: the one that acts, or one that waits. */
export type Role =
  | { readonly kind: "active"; readonly epoch: number }
  | { readonly kind: "standby"; readonly reason: StandbyReason };

/** Why an instance is standby: the role text of /healthz and the log say it. */
export type StandbyReason =
  | { readonly kind: "starting" }
  | { readonly kind: "held_by"; readonly holder: string }
  | { readonly kind: "lost" }
  | { readonly kind: "unreachable"; readonly error: string }
  | { readonly kind: "stopped" };

/** Options of a {@link LeaseKeeper}. */
export interface KeeperOptions {
  /** How often to renew (active) or try to take the lease (standby), ms (LEASE_RENEW_SECONDS). */
  readonly renewMs: number;
  /** Told of every change of role, after it happened. */
  readonly onChange?: (role: Role, previous: Role) => void;
  /** The local clock, ms (tests move it); `performance.now` unless given. */
  readonly now?: () => number;
}

/** How far past the lease's expiry a standby tries again: the holder's clock may lag a little. */
const EXPIRY_MARGIN_MS = 50;

/**
 * When a standby tries the lease again, having seen it held for `remainingMs` more: just after it
 * would expire, if that comes before the next regular round. A standby polling only every
 * renewal interval takes over up to that interval after the expiry (15 s TTL + 5 s); aiming at
 * the expiry puts a takeover within the TTL of the active's last renewal.
 */
export function standbyRetryMs(renewMs: number, remainingMs: number): number {
  return Math.max(EXPIRY_MARGIN_MS, Math.min(renewMs, remainingMs + EXPIRY_MARGIN_MS));
}

/** Keeps this instance's role (see the module's doc). */
export class LeaseKeeper {
  readonly #lease: Lease;
  readonly #options: KeeperOptions;
  readonly #now: () => number;
  #role: Role = { kind: "standby", reason: { kind: "starting" } };
  /** Local time until which the held lease is surely valid (from when the renewal was sent). */
  #validUntil = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<Role> | undefined;
  #stopped = false;
  /** When the loop's next round is due, ms from the end of this one. */
  #nextInMs: number;

  constructor(lease: Lease, options: KeeperOptions) {
    if (options.renewMs <= 0 || options.renewMs >= lease.ttlMs) {
      throw new Error("the renewal interval must be shorter than the lease's TTL");
    }
    this.#lease = lease;
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#nextInMs = options.renewMs;
  }

  /** The current role. */
  get role(): Role {
    return this.#role;
  }

  /** One round: renew when active, try to take the lease when standby. The role after it. */
  tick(): Promise<Role> {
    if (this.#ticking === undefined) {
      this.#ticking = this.#round().finally(() => this.#ticking = undefined);
    }
    return this.#ticking;
  }

  async #round(): Promise<Role> {
    if (this.#stopped) return this.#role;
    this.#nextInMs = this.#options.renewMs;
    const sentAt = this.#now();
    try {
      if (this.#role.kind === "active") {
        const renewed = await this.#lease.renew(this.#role.epoch);
        if (renewed) this.#validUntil = sentAt + this.#lease.ttlMs;
        else this.#become({ kind: "standby", reason: { kind: "lost" } });
      } else {
        const got = await this.#lease.acquire();
        if (got.kind === "held") {
          this.#validUntil = sentAt + this.#lease.ttlMs;
          this.#become({ kind: "active", epoch: got.epoch });
        } else {
          this.#nextInMs = standbyRetryMs(this.#options.renewMs, got.remainingMs);
          this.#become({ kind: "standby", reason: { kind: "held_by", holder: got.holder } });
        }
      }
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      if (this.#role.kind !== "active" || this.#now() >= this.#validUntil) {
        this.#become({ kind: "standby", reason: { kind: "unreachable", error } });
      }
    }
    return this.#role;
  }

  /**
   * Whether this instance may act now: active, and its lease not past its local deadline even
   * if no round ran since (a process that was paused finds out here before it acts).
   */
  mayAct(): boolean {
    return this.#role.kind === "active" && this.#now() < this.#validUntil;
  }

  #become(role: Role): void {
    const previous = this.#role;
    const same = previous.kind === role.kind &&
      (role.kind === "active"
        ? previous.kind === "active" && previous.epoch === role.epoch
        : previous.kind === "standby" && JSON.stringify(previous.reason) ===
            JSON.stringify(role.reason));
    this.#role = role;
    if (!same) this.#options.onChange?.(role, previous);
  }

  /** Starts the loop: a round now, then one every renewal interval. */
  start(): void {
    const loop = async () => {
      await this.tick();
      if (!this.#stopped) this.#timer = setTimeout(loop, this.#nextInMs);
    };
    this.#timer = setTimeout(loop, 0);
  }

  /** Stops the loop and releases a held lease (a standby takes over at once). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    const role = this.#role;
    this.#become({ kind: "standby", reason: { kind: "stopped" } });
    if (role.kind === "active") await this.#lease.release(role.epoch).catch(() => false);
  }
}
