import assert from "node:assert/strict";
import { type Emulator, startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld, type World } from "@postbot/mattermost-emulator/testing";
import { Secret } from "./secret.ts";
import { MattermostSocket, type SocketEvent, type SocketOptions } from "./websocket.ts";

const TIMEOUT = { timeoutMs: 20_000 };

/** A socket for the bot with everything it reports recorded, and the world it lives in. */
class Harness {
  readonly events: SocketEvent[] = [];
  readonly connects: { resumed: boolean; connectionId: string }[] = [];
  readonly disconnects: string[] = [];
  lost = 0;
  readonly socket: MattermostSocket;

  constructor(readonly emu: Emulator, readonly world: World, options: Partial<SocketOptions>) {
    this.socket = new MattermostSocket({
      serverUrl: emu.url,
      token: new Secret(world.bot.token),
      backoff: { initialMs: 20, maxMs: 200 },
      onEvent: (e) => this.events.push(e),
      onEventsLost: () => this.lost++,
      onConnected: (info) => this.connects.push(info),
      onDisconnected: (reason) => this.disconnects.push(reason),
      ...options,
    });
  }

  /** Messages of the `posted` events received, in order. */
  posted(): string[] {
    return this.events.filter((e) => e.event === "posted").map((e) =>
      JSON.parse(e.data.post as string).message
    );
  }

  hellos(): SocketEvent[] {
    return this.events.filter((e) => e.event === "hello");
  }

  /** Alice posts in her DM with the bot. */
  post(message: string): void {
    this.emu.store.createPost(this.world.alice.user.id, { channel_id: this.world.dm.id, message });
  }

  waitFor<T>(probe: () => T | undefined | null | false, message: string): Promise<T> {
    return this.emu.waitFor(probe, { ...TIMEOUT, message });
  }
}

async function withSocket(
  fn: (h: Harness) => Promise<void>,
  options: Partial<SocketOptions> = {},
): Promise<void> {
  const emu = await startEmulator();
  const h = new Harness(emu, seedWorld(emu), options);
  try {
    h.socket.start();
    await h.waitFor(() => h.connects.length === 1, "first connection");
    await fn(h);
  } finally {
    h.socket.stop();
    await emu.stop();
  }
}

Deno.test("MattermostSocket: hello with connection_id, then connected", async () => {
  await withSocket(async (h) => {
    assert.equal(h.connects[0].resumed, false);
    assert.match(h.connects[0].connectionId, /^[a-z0-9]{26}$/);
    const hello = h.hellos();
    assert.equal(hello.length, 1);
    assert.equal(hello[0].seq, 0);
    assert.equal(hello[0].data.connection_id, h.connects[0].connectionId);
    assert.equal(h.socket.connected, true);
    assert.equal(h.socket.reconnects, 0);
    await h.waitFor(() => h.emu.store.connectedSockets(h.world.bot.user.id) === 1, "socket");
  });
});

Deno.test("MattermostSocket: events arrive once each, in order, with increasing seq", async () => {
  await withSocket(async (h) => {
    const sent = Array.from({ length: 20 }, (_, i) => `message ${i}`);
    for (const m of sent) h.post(m);
    await h.waitFor(() => h.posted().length >= sent.length, "20 posted events");
    assert.deepEqual(h.posted(), sent);
    const seqs = h.events.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.toSorted((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
    assert.equal(h.lost, 0);
  });
});

Deno.test("MattermostSocket: resumes after a drop without a new hello, losing nothing", async () => {
  await withSocket(async (h) => {
    h.post("before");
    await h.waitFor(() => h.posted().length === 1, "first event");
    h.emu.faults.dropSockets();
    h.post("while away 1");
    h.post("while away 2");
    await h.waitFor(() => h.connects.length === 2, "reconnect");
    h.post("after");
    await h.waitFor(() => h.posted().length >= 4, "every event");
    assert.deepEqual(h.posted(), ["before", "while away 1", "while away 2", "after"]);
    assert.equal(h.connects[1].resumed, true);
    assert.equal(h.connects[1].connectionId, h.connects[0].connectionId);
    assert.equal(h.hellos().length, 1);
    assert.equal(h.lost, 0);
    assert.equal(h.socket.reconnects, 1);
    assert.equal(h.disconnects.length, 1);
    const upgrades = h.emu.requests.filter((r) => r.path === "/api/v4/websocket");
    assert.equal(upgrades.length, 2);
  });
});

Deno.test("MattermostSocket: a restart that lost the events is reported through onEventsLost", async () => {
  await withSocket(async (h) => {
    const first = h.connects[0].connectionId;
    await h.emu.restart({ loseEvents: true });
    await h.waitFor(() => h.lost === 1, "onEventsLost");
    assert.equal(h.hellos().length, 2);
    const second = h.hellos()[1].data.connection_id;
    assert.notEqual(second, first);
    h.post("after restart");
    await h.waitFor(() => h.posted().length === 1, "event after restart");
    assert.deepEqual(h.posted(), ["after restart"]);
    assert.equal(h.lost, 1);
  });
});

Deno.test("MattermostSocket: a silent (half-open) socket is detected by ping and replaced", async () => {
  await withSocket(async (h) => {
    h.emu.faults.silentSockets = true;
    h.post("unheard");
    await h.waitFor(() => h.disconnects.some((r) => /no pong/.test(r)), "half-open detection");
    await h.waitFor(() => h.connects.length === 2, "reconnect");
    await h.waitFor(() => h.posted().length === 1, "the event sent while silent");
    h.post("after");
    await h.waitFor(() => h.posted().length === 2, "event after reconnect");
    assert.deepEqual(h.posted(), ["unheard", "after"]);
    assert.equal(h.lost, 0);
    h.emu.faults.silentSockets = false;
  }, { pingIntervalMs: 150 });
});

Deno.test("MattermostSocket: keeps retrying with backoff while the server is down", async () => {
  await withSocket(async (h) => {
    h.emu.faults.networkDown = true;
    h.emu.faults.dropSockets();
    const refused = () =>
      h.emu.requests.filter((r) => r.path === "/api/v4/websocket" && r.status === 503).length;
    await h.waitFor(() => refused() >= 3, "three refused reconnects");
    assert.equal(h.socket.connected, false);
    assert.equal(h.connects.length, 1);
    h.emu.faults.networkDown = false;
    await h.waitFor(() => h.connects.length === 2, "reconnect after the outage");
    assert.equal(h.socket.connected, true);
    h.post("back");
    await h.waitFor(() => h.posted().length === 1, "event after outage");
    assert.equal(h.socket.reconnects, 1);
    assert.ok(h.disconnects.length >= 3, h.disconnects.join("\n"));
  });
});

Deno.test("MattermostSocket: stop() closes for good", async () => {
  const backoff = { initialMs: 1, maxMs: 1 };
  await withSocket(async (h) => {
    h.socket.stop();
    await h.waitFor(() => h.emu.store.connectedSockets() === 0, "socket closed");
    // A second socket of the bot, with the same backoff, goes through a drop and a reconnect:
    // a stopped socket that still reconnected would have done so by then. It also shows when
    // the event has been delivered.
    const witness = new Harness(h.emu, h.world, { backoff });
    try {
      witness.socket.start();
      await witness.waitFor(() => witness.connects.length === 1, "witness connected");
      h.emu.faults.dropSockets();
      await witness.waitFor(() => witness.connects.length === 2, "witness reconnected");
      h.post("nobody listens");
      await witness.waitFor(() => witness.posted().length === 1, "event delivered to the witness");
      assert.deepEqual(witness.posted(), ["nobody listens"]);
      assert.deepEqual(h.posted(), []);
      assert.equal(h.socket.connected, false);
      assert.equal(h.connects.length, 1);
      assert.equal(h.emu.store.connectedSockets(h.world.bot.user.id), 1);
      const upgrades = h.emu.requests.filter((r) => r.path === "/api/v4/websocket");
      assert.equal(upgrades.length, 3, "the stopped socket tried to reconnect");
    } finally {
      witness.socket.stop();
    }
  }, { backoff });
});
