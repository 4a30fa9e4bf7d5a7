/**
 * DM command round trip: 50 users talk to the bot at once, each sending `!id town-square`
 * and waiting for the answer before sending the next; the time from posting until the answer
 * reaches the user's WebSocket, p50 and p99.
 *
 * @module
 */

import type { Person } from "../tests/support/scenario.ts";
import { startScenario } from "../tests/support/scenario.ts";
import { postAs } from "../src/sandbox/user_client.ts";
import { type BenchRow, UserSocket } from "./support.ts";

const USERS = 50;
const ROUNDS = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
}

/** Runs the conversations; returns one row. */
export async function roundTripBenchmark(): Promise<BenchRow[]> {
  const people: Person[] = [];
  const s = await startScenario({
    seed: (emu, world) => {
      for (let i = 0; i < USERS; i++) {
        const { user, token } = emu.store.createUser({ username: `user-${i}` });
        emu.store.addTeamMember(world.team.id, user.id);
        people.push({ user, token });
      }
    },
  });
  const sockets: UserSocket[] = [];
  try {
    const botId = s.world.bot.user.id;
    const samples: number[] = [];
    const converse = async (person: Person) => {
      const channel = s.emu.store.directChannel(person.user.id, botId).id;
      const socket = await UserSocket.open(s.emu.url, person.token, botId);
      sockets.push(socket);
      for (let round = 0; round <= ROUNDS; round++) {
        const mark = socket.received;
        const started = performance.now();
        await postAs(s.emu.url, person.token, channel, "!id town-square");
        await socket.next(mark, /Id:/, 30_000);
        // Round 0 warms up (the first DM: the bot checks the sender's team membership).
        if (round > 0) samples.push(performance.now() - started);
      }
    };
    await Promise.all(people.map(converse));
    samples.sort((a, b) => a - b);
    return [{
      name: `DM round trip, ${USERS} users at once (${samples.length} commands)`,
      result: `p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${
        percentile(samples, 99).toFixed(1)
      } ms`,
      aim: "—",
    }];
  } finally {
    for (const socket of sockets) socket.close();
    await s.stop();
  }
}

if (import.meta.main) console.log(await roundTripBenchmark());
