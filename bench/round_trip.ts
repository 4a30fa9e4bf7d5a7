/**
 * DM command round trip: 50 users talk to the bot at once, each sending `!id town-square`
 * and waiting for the answer before sending the next; the time from posting until the answer
 * reaches the user's WebSocket, p50 and p99.
 *
 * @module
 */

import { type Person, startScenario } from "@postbot/harness";
import { lineReader, type UsersPlan } from "./dm_users.ts";
import { type BenchRow, processCpuMs } from "./support.ts";

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
  const botId = s.world.bot.user.id;
  const dm = (person: Person) => ({
    token: person.token,
    channel: s.emu.store.directChannel(person.user.id, botId).id,
  });
  const plan: UsersPlan = {
    url: s.emu.url,
    botId,
    rounds: ROUNDS,
    message: "!id town-square",
    answer: "Id:",
    alone: dm(s.world.carol),
    aloneRounds: 4 * ROUNDS,
    crowd: people.map(dm),
  };
  const users = new UsersProcess();
  try {
    users.send(JSON.stringify(plan));
    const alone = (JSON.parse(await users.line()) as { alone: number[] }).alone;
    const pids = { bot: s.bot.pid, emulator: Deno.pid, users: users.pid };
    const before = await cpuOf(pids);
    users.send("go");
    const { crowd, wallMs } = JSON.parse(await users.line()) as { crowd: number[]; wallMs: number };
    const after = await cpuOf(pids);
    const share = (k: keyof typeof pids) =>
      `${Math.round((after[k] - before[k]) / wallMs * 100)} %`;
    alone.sort((a, b) => a - b);
    crowd.sort((a, b) => a - b);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    return [{
      name: `DM round trip, ${USERS} users at once (${crowd.length} commands)`,
      result: `p50 ${ms(percentile(crowd, 50))}, p99 ${ms(percentile(crowd, 99))} ` +
        `(one user alone: p50 ${ms(percentile(alone, 50))}, p99 ${
          ms(percentile(alone, 99))
        }); while crowded the bot used ${share("bot")} of a core, the emulator ${
          share("emulator")
        }, the users' clients (a process of their own) ${share("users")}`,
      aim: `p50 ≤ ${P50_AIM} ms, p99 ≤ ${P99_AIM} ms`,
      met: percentile(crowd, 50) <= P50_AIM && percentile(crowd, 99) <= P99_AIM,
    }];
  } finally {
    await users.close();
    await s.stop();
  }
}

/** CPU used so far (ms) by each process. */
async function cpuOf<K extends string>(pids: Record<K, number>): Promise<Record<K, number>> {
  const entries = await Promise.all(
    Object.entries<number>(pids).map(async ([k, pid]) => [k, await processCpuMs(pid)] as const),
  );
  return Object.fromEntries(entries) as Record<K, number>;
}

/** The users' process (bench/dm_users.ts), spoken to line by line. */
class UsersProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  /** The next line the users' process prints. */
  readonly line: () => Promise<string>;

  constructor() {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-net=127.0.0.1", new URL("./dm_users.ts", import.meta.url).pathname],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.line = lineReader(this.#child.stdout);
  }

  get pid(): number {
    return this.#child.pid;
  }

  send(line: string): void {
    void this.#writer.write(new TextEncoder().encode(`${line}\n`));
  }

  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    try {
      this.#child.kill();
    } catch {
      // already gone
    }
    await this.#child.status;
  }
}

if (import.meta.main) console.log(await roundTripBenchmark());
