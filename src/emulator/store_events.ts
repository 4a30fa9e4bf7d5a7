/**
 * How the emulator's stores announce a change: WebSocket events handed to the hub (which
 * numbers them per connection) for every connection whose user should hear them, and the
 * change signal `Emulator.waitFor` listens to.
 */

import { type Broadcast, emptyBroadcast, type WsEvent } from "./resume.ts";
import type { ChangeSignal } from "./signal.ts";

/** How one event is delivered besides its recipients. */
export interface PublishOptions {
  /**
   * The WebSocketEventScope rule (typing, reaction_added, reaction_removed): not to a
   * connection whose `presence` says it is looking at another channel and at other threads.
   */
  readonly channelScoped?: boolean;
}

/** Where store mutations send WebSocket events: to every connection whose user passes `to`. */
export interface EventSink {
  publish(event: WsEvent, to: (userId: string) => boolean, opts?: PublishOptions): void;
}

/** The events and the change signal, as the stores use them. */
export class StoreEvents {
  readonly #sink: EventSink;
  readonly #signal: ChangeSignal;

  /** Wires the stores to the hub and to the change signal. */
  constructor(sink: EventSink, signal: ChangeSignal) {
    this.#sink = sink;
    this.#signal = signal;
  }

  /**
   * Publishes `event` with `data` and a broadcast object (its unset fields empty) to every
   * connection whose user passes `to`.
   */
  publish(
    event: string,
    data: Record<string, unknown>,
    broadcast: Partial<Broadcast>,
    to: (userId: string) => boolean,
    opts: PublishOptions = {},
  ): void {
    this.#sink.publish({ event, data, broadcast: emptyBroadcast(broadcast) }, to, opts);
  }

  /** Wakes whoever waits for a change (after the current task). */
  changed(): void {
    this.#signal.notify();
  }
}
