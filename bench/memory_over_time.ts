/**
 * Memory over time: 2,000 broadcasts to 20 channels each, sent through the wizard by 10 users
 * at once (each one after the other), then idle. The bot's resident memory once idle must come
 * back within 10 % of what it was idle before the first broadcast: nothing may grow with the
 * number of broadcasts, sessions or processed posts.
 *
 * @module
 */

import type { Person } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";
import { type BenchRow, bulkScenario, mb, pause, processMemory, UserSocket } from "./support.ts";

const BROADCASTS = 2_000;
const CHANNELS = 20;
const USERS = 10;
/** Time a bot is left alone before its memory counts as idle (as in startup.ts). */
const SETTLE_MS = 3_000;
const AIM = 1.1;

/** Runs the broadcasts; returns one row. */
export async function memoryOverTimeBenchmark(
  broadcasts = BROADCASTS,
): Promise<BenchRow[]> {
  const people: Person[] = [];
  const s = await bulkScenario(CHANNELS, {
    seed: (emu, world) => {
      for (let i = 0; i < USERS; i++) {
        const { user, token } = emu.store.createUser({ username: `sender-${i}` });
        emu.store.addTeamMember(world.team.id, user.id);
        people.push({ user, token });
      }
    },
  });
  const sockets: UserSocket[] = [];
  try {
    const botId = s.world.bot.user.id;
    await pause(SETTLE_MS);
    const idle = (await processMemory(s.bot.pid)).rss;
    const samples: number[] = [];
    let sent = 0;
    const opened = new Map<Person, UserSocket>();
    const sender = async (person: Person, first: number, count: number) => {
      const dm = s.emu.store.directChannel(person.user.id, botId).id;
      let socket = opened.get(person);
      if (socket === undefined) {
        socket = await UserSocket.open(s.emu.url, person.token, botId);
        sockets.push(socket);
        opened.set(person, socket);
      }
      const ws = socket;
      const say = async (text: string, pattern: RegExp) => {
        const mark = ws.received;
        await postAs(s.emu.url, person.token, dm, text);
        await ws.next(mark, pattern, 60_000);
      };
      for (let i = first; i < first + count; i++) {
        await say(`Announcement ${i} from ${person.user.username}`, /Where should I send this/);
        await say("Bulk", /Ready to send/);
        await say("yes", new RegExp(`Delivered to ${CHANNELS} of ${CHANNELS}`));
        sent++;
        if (sent % (broadcasts / 4) === 0) samples.push((await processMemory(s.bot.pid)).rss);
      }
    };
    const started = performance.now();
    // One broadcast from each sender first: what the first broadcasts cost once (code run for
    // the first time, V8's optimising compilers, caches filled) is read apart from growth.
    await Promise.all(people.map((p) => sender(p, 0, 1)));
    await pause(SETTLE_MS);
    const warm = (await processMemory(s.bot.pid)).rss;
    await Promise.all(
      people.map((p, i) =>
        sender(p, 1, Math.floor(broadcasts / USERS) + (i < broadcasts % USERS ? 1 : 0) - 1)
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    for (const socket of sockets) socket.close();
    await pause(SETTLE_MS);
    const after = (await processMemory(s.bot.pid)).rss;
    const bulk = channelSet(s);
    const posts = s.emu.store.allPosts().filter((p) => p.channel_id in bulk).length;
    return [{
      name: `Memory over time: ${broadcasts.toLocaleString("en-US")} broadcasts to ${CHANNELS} ` +
        `channels (${USERS} senders at once), then idle`,
      result:
        `idle before ${mb(idle)}, after ${mb(after)} (${
          ((after / idle - 1) * 100).toFixed(1)
        } %); idle after the first ${USERS} broadcasts ${mb(warm)}, so the other ${
          (broadcasts - USERS).toLocaleString("en-US")
        } added ${((after / warm - 1) * 100).toFixed(1)} %; during: ${
          samples.map(mb).join(", ")
        }; ${posts.toLocaleString("en-US")} posts ` +
        `delivered in ${seconds.toFixed(0)} s`,
      aim: `≤ idle + 10 % (${mb(idle * AIM)})`,
      met: after <= idle * AIM && posts >= broadcasts * CHANNELS,
    }];
  } finally {
    for (const socket of sockets) socket.close();
    await s.stop();
  }
}

/** The bulk channels' ids, as an object for `in`. */
function channelSet(s: { world: { channels: Record<string, { id: string }> } }) {
  const set: Record<string, true> = {};
  for (const [name, c] of Object.entries(s.world.channels)) {
    if (name.startsWith("bulk-")) set[c.id] = true;
  }
  return set;
}

if (import.meta.main) {
  console.log(await memoryOverTimeBenchmark(Number(Deno.args[0] ?? BROADCASTS)));
}
