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
import { type BenchRow, processCpuMs, UserSocket } from "./support.ts";

const USERS = 50;
const ROUNDS = 10;
/** Issue 13: p50 ≤ 15 ms, p99 ≤ 60 ms with 50 users at once. */
const P50_AIM = 15;
const P99_AIM = 60;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
}

/** Runs the conversations; returns one row. */
export async function roundTripBenchmark(): Promise<BenchRow[]> {
  const people: Person[] = [];
  const s = await startScenario({
    // 50 users and the test world's own: more than Mattermost's default team size (50), as an
    // administrator would raise TeamSettings.MaxUsersPerTeam.
    emulator: { maxUsersPerTeam: USERS + 10 },
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
    const converse = async (person: Person, rounds: number, samples: number[]) => {
      const channel = s.emu.store.directChannel(person.user.id, botId).id;
      const socket = await UserSocket.open(s.emu.url, person.token, botId);
      sockets.push(socket);
      for (let round = 0; round <= rounds; round++) {
        const mark = socket.received;
        const started = performance.now();
        await postAs(s.emu.url, person.token, channel, "!id town-square");
        await socket.next(mark, /Id:/, 30_000);
        // Round 0 warms up (the first DM: the bot checks the sender's team membership).
        if (round > 0) samples.push(performance.now() - started);
      }
    };
    const alone: number[] = [];
    await converse(s.world.carol, 4 * ROUNDS, alone);
    const crowd: number[] = [];
    const cpuBefore = { bot: await processCpuMs(s.bot.pid), here: await processCpuMs(Deno.pid) };
    const started = performance.now();
    await Promise.all(people.map((p) => converse(p, ROUNDS, crowd)));
    const wallMs = performance.now() - started;
    // This process is the emulator and the 50 users' clients together.
    const share = (pid: number, before: number) =>
      processCpuMs(pid).then((now) => `${Math.round((now - before) / wallMs * 100)} %`);
    const botShare = await share(s.bot.pid, cpuBefore.bot);
    const hereShare = await share(Deno.pid, cpuBefore.here);
    alone.sort((a, b) => a - b);
    crowd.sort((a, b) => a - b);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    return [{
      name: `DM round trip, ${USERS} users at once (${crowd.length} commands)`,
      result: `p50 ${ms(percentile(crowd, 50))}, p99 ${ms(percentile(crowd, 99))} ` +
        `(one user alone: p50 ${ms(percentile(alone, 50))}, p99 ${
          ms(percentile(alone, 99))
        }); while crowded the bot used ${botShare} of a core, the emulator with the users' ` +
        `clients ${hereShare}`,
      aim: `p50 ≤ ${P50_AIM} ms, p99 ≤ ${P99_AIM} ms`,
      met: percentile(crowd, 50) <= P50_AIM && percentile(crowd, 99) <= P99_AIM,
    }];
  } finally {
    for (const socket of sockets) socket.close();
    await s.stop();
  }
}

if (import.meta.main) console.log(await roundTripBenchmark());
