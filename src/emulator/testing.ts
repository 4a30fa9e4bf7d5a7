/**
 * `@postbot/mattermost-emulator/testing`: helpers for tests against the emulator (its own and
 * any bot's): a seeded world, a Client4 bound to a token, a small WebSocket client that
 * records frames and waits for them without sleeping, and {@link until} for state the
 * emulator cannot signal. Kept out of mod.ts, so what runs the emulator outside a test (the
 * sandbox) does not load them.
 *
 * @module
 */

import mm from "@mattermost/client";
import type { Channel } from "@mattermost/types/channels";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import { startEmulator } from "./server.ts";
import type { Emulator, EmulatorOptions } from "./types.ts";

export { until } from "./poll.ts";

/** A user with its token. */
export interface Actor {
  user: UserProfile;
  token: string;
}

/** The seeded world: a bot, two people, a team, public/private channels and the bot<->alice DM. */
export interface World {
  emu: Emulator;
  bot: Actor;
  alice: Actor;
  bob: Actor;
  team: Team;
  /** Public; bot, alice and bob are members. */
  town: Channel;
  /** Public; alice is a member, the bot is not. */
  news: Channel;
  /** Private; alice only. */
  secret: Channel;
  /** DM bot <-> alice. */
  dm: Channel;
}

/** How {@link seedWorld} names what it creates. */
export interface SeedOptions {
  /** The bot account's username (default "postbot", the bot these helpers were written for). */
  readonly botUsername?: string;
}

/**
 * Seeds a world into a running emulator.
 *
 * @example
 * ```ts
 * import { startEmulator } from "@postbot/mattermost-emulator";
 * import { seedWorld } from "@postbot/mattermost-emulator/testing";
 *
 * const emu = await startEmulator();
 * const { bot, alice, dm, news } = seedWorld(emu);
 * emu.store.createPost(alice.user.id, { channel_id: dm.id, message: "hello" });
 * console.log(bot.token !== "", news.name); // the bot is not a member of ~news
 * await emu.stop();
 * ```
 */
export function seedWorld(emu: Emulator, options: SeedOptions = {}): World {
  const s = emu.store;
  const bot = s.createUser({ username: options.botUsername ?? "postbot", is_bot: true });
  const alice = s.createUser({ username: "alice", first_name: "Alice" });
  const bob = s.createUser({ username: "bob" });
  const team = s.createTeam({ name: "acme", display_name: "Acme" });
  for (const a of [bot, alice, bob]) s.addTeamMember(team.id, a.user.id);
  const town = s.createChannel({
    team_id: team.id,
    name: "town-square",
    display_name: "Town Square",
    type: "O",
  });
  const news = s.createChannel({ team_id: team.id, name: "news", display_name: "News", type: "O" });
  const secret = s.createChannel({
    team_id: team.id,
    name: "secret",
    display_name: "Secret",
    type: "P",
  });
  for (const a of [bot, alice, bob]) s.addChannelMember(town.id, a.user.id);
  s.addChannelMember(news.id, alice.user.id);
  s.addChannelMember(secret.id, alice.user.id);
  const dm = s.directChannel(bot.user.id, alice.user.id);
  return { emu, bot, alice, bob, team, town, news, secret, dm };
}

/**
 * Starts an emulator, seeds it (default {@link SeedOptions}), runs `fn`, and always stops it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientFor, withWorld } from "@postbot/mattermost-emulator/testing";
 *
 * Deno.test("the bot can read its own account", async () => {
 *   await withWorld(async ({ emu, bot }) => {
 *     const me = await clientFor(emu, bot.token).getMe();
 *     assert.equal(me.username, "postbot");
 *   });
 * });
 * ```
 */
export async function withWorld(
  fn: (world: World) => Promise<void>,
  opts?: EmulatorOptions,
): Promise<void> {
  const emu = await startEmulator(opts);
  try {
    await fn(seedWorld(emu));
  } finally {
    await emu.stop();
  }
}

/** A Client4 pointed at the emulator with a token. */
export function clientFor(emu: Emulator, token: string): InstanceType<typeof mm.Client4> {
  const client = new mm.Client4();
  client.setUrl(emu.url);
  client.setToken(token);
  return client;
}

/** A parsed frame from the server: an event (with seq) or a reply (with seq_reply). */
// deno-lint-ignore no-explicit-any
export type Frame = Record<string, any>;

/** A WebSocket client that records every frame and can wait for one. */
export class WsProbe {
  readonly frames: Frame[] = [];
  closeCode?: number;
  /** Whether the close had a close handshake (false after an abrupt drop). */
  closedCleanly?: boolean;
  private readonly waiters = new Set<() => void>();
  private readonly closed: Promise<void>;

  private constructor(readonly socket: WebSocket) {
    socket.onmessage = (e) => {
      this.frames.push(JSON.parse(String(e.data)));
      this.poke();
    };
    this.closed = new Promise((resolve) => {
      socket.onclose = (e) => {
        this.closeCode = e.code;
        this.closedCleanly = e.wasClean;
        this.poke();
        resolve();
      };
    });
    socket.onerror = () => {};
  }

  /** Opens a socket to the emulator (Bearer header when `token` is given) and waits until it is open. */
  static async open(emu: Emulator, token?: string, query = ""): Promise<WsProbe> {
    const base = emu.url.replace(/^http/, "ws");
    const socket = new WebSocket(
      `${base}/api/v4/websocket${query}`,
      token ? { headers: { Authorization: `Bearer ${token}` } } : undefined,
    );
    const probe = new WsProbe(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("close", () => reject(new Error("socket closed before open")), {
        once: true,
      });
    });
    return probe;
  }

  /** Sends a JSON message. */
  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Waits for the first frame (at or after `from`) that satisfies `predicate`. */
  next(predicate: (f: Frame) => boolean, timeoutMs = 5_000, from = 0): Promise<Frame> {
    return this.until(() => this.frames.slice(from).find(predicate), timeoutMs, "frame");
  }

  /** Waits for the first event of that name. */
  event(name: string, timeoutMs = 5_000, from = 0): Promise<Frame> {
    return this.next((f) => f.event === name, timeoutMs, from);
  }

  /**
   * Waits until the socket is closed; returns whether it closed cleanly. An abrupt drop (no
   * close frame) is `false`; Deno then reports code 0 with an "Unexpected EOF" error, where
   * browsers say 1006.
   */
  async waitClosed(timeoutMs = 5_000): Promise<boolean> {
    await this.until(() => this.closeCode !== undefined, timeoutMs, "close");
    return this.closedCleanly!;
  }

  /** Closes the socket (if still open) and waits for the close to complete. */
  async close(): Promise<void> {
    if (
      this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING
    ) {
      this.socket.close();
    }
    await this.closed;
  }

  private poke(): void {
    for (const w of [...this.waiters]) w();
  }

  private until<T>(
    probe: () => T | undefined | false,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = probe();
        if (v) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}
