/**
 * Per-connection event sequencing and the reliable-reconnect buffers of the real server
 * (server/channels/app/platform/web_conn.go and web_hub.go):
 *
 * - every event written to a connection gets the next `seq` and goes into a "dead queue"
 *   holding the last 128 written events;
 * - when the socket goes away the connection stays in the hub, inactive, and events meant for
 *   it pile up unsequenced in its send queue (256 at most; overflow forgets the connection);
 * - an inactive connection is reaped after about 5 minutes;
 * - a reconnect naming the connection id and `sequence_number=n` replays the dead queue from
 *   n if n is still there (no hello), continues silently if nothing was missed, and otherwise
 *   starts over with a new connection id, seq 0 and a hello.
 *
 * Pure logic, no sockets: the hub in websocket.ts drives it.
 */

/** Events kept for replay (web_conn.go deadQueueSize). */
export const DEAD_QUEUE_SIZE = 128;
/** Events queued for an inactive connection before it is dropped (web_conn.go sendQueueSize). */
export const SEND_QUEUE_SIZE = 256;
/** How long an inactive connection stays resumable (web_hub.go inactiveConnReaperInterval). */
export const RESUME_RETENTION_MS = 5 * 60_000;

/** The `broadcast` object of an event (model.WebsocketBroadcast JSON). */
export interface Broadcast {
  omit_users: Record<string, boolean> | null;
  user_id: string;
  channel_id: string;
  team_id: string;
  connection_id: string;
  omit_connection_id: string;
  contains_sanitized_data?: boolean;
  contains_sensitive_data?: boolean;
}

/** An event before a connection numbers it. */
export interface WsEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: Broadcast;
}

/** An event as written to one connection: with its `seq`. */
export interface SequencedEvent extends WsEvent {
  seq: number;
}

/** A broadcast with every field empty, to be filled by the event's producer. */
export function emptyBroadcast(partial: Partial<Broadcast> = {}): Broadcast {
  return {
    omit_users: null,
    user_id: "",
    channel_id: "",
    team_id: "",
    connection_id: "",
    omit_connection_id: "",
    ...partial,
  };
}

/** The ring of recently written events, oldest first. */
export class DeadQueue {
  private readonly items: SequencedEvent[] = [];

  /** Records a written event, evicting the oldest past the capacity. */
  push(event: SequencedEvent): void {
    this.items.push(event);
    if (this.items.length > DEAD_QUEUE_SIZE) this.items.shift();
  }

  /** The events from the one numbered `seq` to the newest, or undefined if `seq` is not held. */
  from(seq: number): SequencedEvent[] | undefined {
    const index = this.items.findIndex((e) => e.seq === seq);
    return index < 0 ? undefined : this.items.slice(index);
  }

  /** The newest written event. */
  last(): SequencedEvent | undefined {
    return this.items[this.items.length - 1];
  }

  /** Number of events held. */
  get size(): number {
    return this.items.length;
  }

  /** Forgets everything (a lost resume). */
  clear(): void {
    this.items.length = 0;
  }
}

/** What a resume attempt found: replayed events, a lossless continue, or a loss (new id + hello). */
export type ResumeOutcome =
  | { kind: "replay"; events: SequencedEvent[] }
  | { kind: "lossless" }
  | { kind: "lost" };

/**
 * One logical connection of one user: its id, its sequence counter and its buffers. It outlives
 * the socket it is attached to, which is what makes resuming possible.
 */
export class ConnectionState {
  nextSeq = 0;
  readonly dead = new DeadQueue();
  pending: WsEvent[] = [];
  active = true;
  inactiveSince = 0;
  reuseCount = 0;

  /** A new, active connection with the given id. */
  constructor(public id: string, readonly userId: string) {}

  /** Numbers an event for this (active) connection and records it for replay. */
  sequence(event: WsEvent): SequencedEvent {
    const numbered: SequencedEvent = { ...event, seq: this.nextSeq++ };
    this.dead.push(numbered);
    return numbered;
  }

  /** Queues an event while inactive; false when the send queue overflowed (connection must go). */
  enqueue(event: WsEvent): boolean {
    this.pending.push(event);
    return this.pending.length <= SEND_QUEUE_SIZE;
  }

  /** Marks the socket gone; the state stays resumable for RESUME_RETENTION_MS. */
  detach(nowMs: number): void {
    this.active = false;
    this.inactiveSince = nowMs;
  }

  /** Whether an inactive connection has outlived its retention. */
  isExpired(nowMs: number): boolean {
    return !this.active && nowMs - this.inactiveSince > RESUME_RETENTION_MS;
  }

  /**
   * Re-attaches a socket that asked for `sequence_number=seq`, mirroring writePump: replay
   * from seq when held; continue when seq follows the last written event; otherwise clear the
   * buffer, take `newConnectionId` and restart numbering at 0 (the caller then sends hello).
   */
  resume(seq: number, newConnectionId: () => string): ResumeOutcome {
    this.active = true;
    this.reuseCount++;
    this.nextSeq = seq;
    if (seq === 0) return { kind: "lossless" };
    const replay = this.dead.from(seq);
    if (replay) {
      this.nextSeq = replay[replay.length - 1].seq + 1;
      return { kind: "replay", events: replay };
    }
    const last = this.dead.last();
    if (last === undefined || last.seq === seq - 1) return { kind: "lossless" };
    this.dead.clear();
    this.id = newConnectionId();
    this.nextSeq = 0;
    return { kind: "lost" };
  }

  /** Numbers and returns the events queued while inactive, in order. */
  drainPending(): SequencedEvent[] {
    const queued = this.pending;
    this.pending = [];
    return queued.map((event) => this.sequence(event));
  }
}
