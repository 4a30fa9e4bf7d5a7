/**
 * No lost, no doubled DMs under network faults: an outage, a server restart that loses the
 * WebSocket events, a dropped connection, a silent half-open socket, and a restart of the bot
 * itself. Every DM sent meanwhile is answered exactly once.
 *
 * The bot runs in this process so that its ping interval can be short (production pings every
 * 30 s; a half-open socket is noticed within two intervals). Each probe is an unknown command
 * `!probe-…`, whose answer quotes it, so every reply can be matched to its message.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import type { PostbotOptions, RunningPostbot } from "../src/postbot/app.ts";
import { emulatorOnly, type Person, type Scenario, startScenario } from "@postbot/harness";
import {
  botPostsIn,
  broadcastIdIn,
  deliveredCount,
  deliveryRows,
  showingBotOutput,
} from "./support/broadcasts.ts";
import { startInProcess } from "./support/in_process.ts";

const FAST: PostbotOptions = {
  bot: { pingIntervalMs: 400, reconnectBackoff: { initialMs: 200, maxMs: 1_000 } },
};
const WAIT = { timeoutMs: 30_000 };

/** The user's DM channel with the bot. */
function dmChannel(s: Scenario, person: Person): string {
  return s.dmChannel(person).id;
}

/** Posts a DM the way the server stores it when the user's client can still reach it. */
function postServerSide(s: Scenario, person: Person, message: string): Promise<Post> {
  return s.server.createPost(person.user.id, { channel_id: dmChannel(s, person), message });
}

/** How many bot posts in the user's DM answer the probe `word`. */
async function answers(s: Scenario, person: Person, word: string): Promise<number> {
  return (await s.botPostsIn(dmChannel(s, person)))
    .filter((p) => p.message.includes(`\`${word}\``)).length;
}

/** The same, read synchronously from the emulator (emulator-only tests). */
function answersNow(s: Scenario, person: Person, word: string): number {
  return s.emu.store.postsIn(dmChannel(s, person))
    .filter((p) => p.user_id === s.world.bot.user.id && p.message.includes(`\`${word}\``))
    .length;
}

/** The probes without an answer yet. */
async function unansweredOf(s: Scenario, probes: [Person, string][]): Promise<string[]> {
  const missing: string[] = [];
  for (const [person, word] of probes) {
    if ((await answers(s, person, word)) === 0) missing.push(word);
  }
  return missing;
}

/** Waits until every probe has at least one answer. */
async function allAnswered(s: Scenario, probes: [Person, string][]): Promise<void> {
  let missing: string[] = [];
  await s.waitFor(async () => (missing = await unansweredOf(s, probes)).length === 0, {
    ...WAIT,
    message: `unanswered: ${missing.join(", ")}`,
  }).catch(() => {
    throw new Error(`unanswered: ${missing.join(", ")}`);
  });
}

/** Asserts every probe was answered exactly once. */
async function answeredOnce(s: Scenario, probes: [Person, string][]): Promise<void> {
  for (const [person, word] of probes) assert.equal(await answers(s, person, word), 1, word);
}

/**
 * Settles the bot: an explicit catch-up (which would re-handle anything not yet recorded),
 * then one more probe per user — handled after everything that user sent before.
 */
async function settle(s: Scenario, bot: RunningPostbot, people: Person[], tag: string) {
  await bot.bot.catchUp();
  const last: [Person, string][] = people.map((p) => [p, `!probe-${tag}-${p.user.username}`]);
  for (const [person, word] of last) await postServerSide(s, person, word);
  await allAnswered(s, last);
}

/** Sends one probe per person over REST and waits for the answers (the bot knows their DMs). */
async function warmUp(s: Scenario, people: Person[]): Promise<void> {
  const probes: [Person, string][] = people.map((p) => [p, `!probe-warm-${p.user.username}`]);
  for (const [person, word] of probes) await s.dm(person).send(word);
  await allAnswered(s, probes);
}

/** Requests for DM posts since a time: what a REST catch-up does. */
function catchUpReads(s: Scenario, from: number, people: Person[]): number {
  const paths = new Set(people.map((p) => `/api/v4/channels/${dmChannel(s, p)}/posts`));
  return s.emu.requests.slice(from).filter((r) => r.method === "GET" && paths.has(r.path)).length;
}

/** WebSocket upgrades since index `from` with the given status (101 accepted, 503 refused). */
function upgrades(s: Scenario, from: number, status: number): number {
  return s.emu.requests.slice(from)
    .filter((r) => r.path === "/api/v4/websocket" && r.status === status).length;
}

function botSockets(s: Scenario): number {
  // Only the emulator can count sockets.
  return s.emu.store.connectedSockets(s.world.bot.user.id);
}

/** Starts a scenario with an in-process bot, runs `body`, and always cleans up. */
async function withBot(
  body: (s: Scenario, bot: RunningPostbot) => Promise<void>,
): Promise<void> {
  const s = await startScenario({ startBot: false });
  let bot: RunningPostbot | undefined;
  try {
    bot = await startInProcess(s, {}, FAST);
    await body(s, bot);
  } finally {
    s.server.emulator?.faults.clear();
    await bot?.stop();
    await s.stop();
  }
}

Deno.test("DMs sent during a 5-second outage are all answered once, by resuming", {
  ignore: emulatorOnly("network-down, socket-drop and silent-socket fault switches"),
}, async () => {
  await withBot(async (s, bot) => {
    const people = [s.world.alice, s.world.bob];
    await warmUp(s, people);
    const mark = s.emu.requests.length;
    const downAt = Date.now();
    s.emu.faults.networkDown = true;
    s.emu.faults.dropSockets();
    // The bot has lost its socket and has tried (and failed) to reconnect.
    await s.emu.waitFor(() => botSockets(s) === 0 && upgrades(s, mark, 503) > 0, WAIT);
    const probes: [Person, string][] = [];
    for (let i = 0; i < 3; i++) {
      for (const person of people) {
        const word = `!probe-outage-${person.user.username}-${i}`;
        await postServerSide(s, person, word);
        probes.push([person, word]);
      }
    }
    // The outage itself lasts about five seconds; this wait is the fault, not a synchronisation.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5_000 - (Date.now() - downAt))));
    assert.equal(botSockets(s), 0, "the bot stayed disconnected during the outage");
    s.emu.faults.networkDown = false;

    await allAnswered(s, probes);
    assert.equal(catchUpReads(s, mark, people), 0, "the missed events were replayed on resume");
    assert.ok(upgrades(s, mark, 101) >= 1, "the bot reconnected");
    assert.ok(bot.bot.reconnects >= 1);
    await settle(s, bot, people, "outage-end");
    await answeredOnce(s, probes);
  });
});

Deno.test("DMs sent during a server restart that loses events are caught up, once", {
  ignore: emulatorOnly("network-down, socket-drop and silent-socket fault switches"),
}, async () => {
  await withBot(async (s, bot) => {
    const known = [s.world.alice, s.world.bob];
    await warmUp(s, known);
    const mark = s.emu.requests.length;
    s.emu.faults.networkDown = true;
    await s.emu.restart({ loseEvents: true });
    await s.emu.waitFor(() => botSockets(s) === 0 && upgrades(s, mark, 503) > 0, WAIT);
    // carol has never written to the bot: her DM channel is found through the bot's channels.
    const people = [...known, s.world.carol];
    const probes: [Person, string][] = [];
    for (let i = 0; i < 2; i++) {
      for (const person of people) {
        const word = `!probe-restart-${person.user.username}-${i}`;
        await postServerSide(s, person, word);
        probes.push([person, word]);
      }
    }
    s.emu.faults.networkDown = false;

    await allAnswered(s, probes);
    assert.ok(catchUpReads(s, mark, people) >= people.length, "caught up over REST");
    await settle(s, bot, people, "restart-end");
    await answeredOnce(s, probes);
    for (const person of known) {
      assert.equal(await answers(s, person, `!probe-warm-${person.user.username}`), 1);
    }
  });
});

Deno.test("DMs sent while the connection is dropped are replayed on resume, once", {
  ignore: emulatorOnly("network-down, socket-drop and silent-socket fault switches"),
}, async () => {
  await withBot(async (s, bot) => {
    const people = [s.world.alice, s.world.bob];
    await warmUp(s, people);
    const mark = s.emu.requests.length;
    s.emu.faults.dropSockets();
    await s.emu.waitFor(() => botSockets(s) === 0, WAIT);
    const probes: [Person, string][] = people.map((p) => [p, `!probe-drop-${p.user.username}`]);
    for (const [person, word] of probes) await postServerSide(s, person, word);

    await allAnswered(s, probes);
    assert.ok(upgrades(s, mark, 101) >= 1, "the bot reconnected");
    assert.equal(catchUpReads(s, mark, people), 0, "the events were replayed, not fetched");
    await settle(s, bot, people, "drop-end");
    await answeredOnce(s, probes);
  });
});

Deno.test("a silent half-open socket is replaced and the DMs it swallowed are answered once", {
  ignore: emulatorOnly("network-down, socket-drop and silent-socket fault switches"),
}, async () => {
  await withBot(async (s, bot) => {
    const people = [s.world.alice, s.world.bob];
    await warmUp(s, people);
    const mark = s.emu.requests.length;
    const reconnectsBefore = bot.bot.reconnects;
    s.emu.faults.silentSockets = true;
    const probes: [Person, string][] = people.map((p) => [p, `!probe-silent-${p.user.username}`]);
    for (const [person, word] of probes) await postServerSide(s, person, word);

    // No pong: the bot gives the socket up on its own and opens a new one. Read at the moment
    // the new socket is accepted, before it can deliver anything: the silent one delivered
    // nothing, so nothing has been answered yet.
    const unanswered = await s.emu.waitFor(
      () =>
        upgrades(s, mark, 101) >= 1 &&
        { count: probes.filter(([p, w]) => answersNow(s, p, w) >= 1).length },
      WAIT,
    );
    assert.equal(unanswered.count, 0, "an event came through the silent socket");
    await allAnswered(s, probes);
    assert.ok(bot.bot.reconnects > reconnectsBefore);
    s.emu.faults.silentSockets = false;
    await settle(s, bot, people, "silent-end");
    await answeredOnce(s, probes);
  });
});

Deno.test("DMs sent while the bot was stopped are answered once after it starts again", async () => {
  const s = await startScenario({ startBot: false });
  let bot: RunningPostbot | undefined;
  try {
    const people = [s.world.alice, s.world.bob];
    bot = await startInProcess(s, {}, FAST);
    await warmUp(s, people);
    const before: [Person, string][] = people.map((p) => [p, `!probe-before-${p.user.username}`]);
    for (const [person, word] of before) await s.dm(person).send(word);
    await allAnswered(s, before);
    await bot.stop();
    bot = undefined;

    const whileDown: [Person, string][] = people.map((p) => [p, `!probe-down-${p.user.username}`]);
    for (const [person, word] of whileDown) await s.dm(person).send(word);
    const mark = s.server.emulator?.requests.length ?? 0;
    bot = await startInProcess(s, {}, FAST);
    await allAnswered(s, whileDown);
    // The catch-up re-read the last handled DMs too, and recognised them (the emulator's
    // request log shows it).
    if (s.server.emulator !== undefined) assert.ok(catchUpReads(s, mark, people) >= people.length);
    await settle(s, bot, people, "restart-end");
    await answeredOnce(s, [...before, ...whileDown]);
  } finally {
    await bot?.stop();
    await s.stop();
  }
});

Deno.test("a server restart mid-conversation: the wizard goes on, DMs sent around it are answered once", async () => {
  await withBot(async (s, bot) => {
    const people = [s.world.alice, s.world.bob];
    await warmUp(s, people);
    const alice = s.dm(s.world.alice);
    assert.match(await alice.ask("Heating off this weekend"), /Where should I send this/);
    const reconnectsBefore = bot.bot.reconnects;
    // Every socket and request drops; a real server is down for a moment, then comes back.
    await s.server.restart();
    // Sent at once: whether the bot is still reconnecting or back, each is answered once.
    const probes: [Person, string][] = [[s.world.bob, "!probe-after-bob"]];
    await postServerSide(s, s.world.bob, "!probe-after-bob");
    const targets = alice.ask("all");
    await allAnswered(s, probes);
    assert.match(await targets, /Ready to send to 3 channels/);
    assert.ok(bot.bot.reconnects > reconnectsBefore, "the bot reconnected");
    assert.match(await alice.ask("yes"), /Sending broadcast/);
    assert.match(await alice.replyMatching(/Delivered to/), /Delivered to 3 of 3 channels/);
    await settle(s, bot, people, "restart-conversation-end");
    await answeredOnce(s, probes);
    for (const person of people) {
      assert.equal(await answers(s, person, `!probe-warm-${person.user.username}`), 1);
    }
  });
});

Deno.test("a server restart mid-broadcast: no channel gets it twice, and !retry completes it", async () => {
  const N = 100;
  const group = Array.from({ length: N }, (_, i) => `"{{bulk-${i}}}"`).join(", ");
  const s = await startScenario({
    bulkChannels: N,
    channelsToml: `[groups]\nBulk = [${group}]\n`,
    env: { BROADCAST_CONCURRENCY: "1" },
  });
  try {
    await showingBotOutput(s, async () => {
      const alice = s.dm(s.world.alice);
      const message = "Restart in the middle";
      assert.match(await alice.ask(message), /Where should I send this/);
      assert.match(await alice.ask("bulk"), new RegExp(`Ready to send to ${N} channels`));
      await alice.send("yes");
      const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
      // Restart as soon as the bot's log shows the first channel delivered.
      await s.waitFor(
        async () => [...(await deliveryRows(s, id)).values()].some((r) => r.status === "delivered"),
        { timeoutMs: 30_000 },
      );
      await s.server.restart();
      const report = await alice.replyMatching(new RegExp(`Delivered to .*\`${id}\``), 120_000);
      const [delivered, total] = deliveredCount(report);
      assert.equal(total, N);
      const holders = async () => {
        let n = 0;
        for (let i = 0; i < N; i++) {
          const copies = (await botPostsIn(s, s.world.channels[`bulk-${i}`].id, id)).length;
          assert.ok(copies <= 1, `~bulk-${i} has ${copies} copies`);
          n += copies;
        }
        return n;
      };
      assert.ok((await holders()) >= delivered, "every channel reported delivered has it");
      if (delivered < N) {
        assert.match(await alice.ask(`!retry ${id}`), /Retrying broadcast/);
        const retried = await alice.replyMatching(/Retry finished/, 120_000);
        assert.deepEqual(deliveredCount(retried), [N, N]);
      }
      assert.equal(await holders(), N, "every channel has it exactly once");
    });
  } finally {
    await s.stop();
  }
});
