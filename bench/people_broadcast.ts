/**
 * Broadcasts to people (issue 21), with postbot as a process:
 *
 * 1. Emulator, the server's rate limit at 10/s burst 100: a list of 1,000 people in
 *    channels.toml gets a broadcast with one file, then a second one. Each time the requests
 *    (all clients share the limiter, as on a server where they come from one address) are
 *    counted by route from the emulator's request log, the least wall time the limiter allows
 *    for them is computed -- a fresh limiter lets `burst + 1` through at once, then one every
 *    1/rate s, so N requests need at least (N - burst - 1) / rate -- and set against the time
 *    from alice's `yes` to the report.
 * 2. Emulator, no rate limit: resident memory of the bot during a broadcast to `everyone`
 *    (10,000 people), sampled every 100 ms from idle before the draft to the report; then
 *    the time `!status` of it takes to answer, and the bot's memory meanwhile.
 * 3. Real server (Mattermost 11.4, `--real`): 200 people, the server's own limiter on as for
 *    bench/real_server.ts's rate-limit case; the bot talks to the server through a counting
 *    proxy (bench/counting_proxy.ts) so its requests can be counted there too; every person's
 *    DM is read back for exactly one post.
 *
 * @module
 */

import type { Emulator } from "@postbot/mattermost-emulator";
import { type Scenario, type ScenarioWorld, startScenario } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";
import { realPeopleBenchmark } from "./people_broadcast_real.ts";
import {
  type BenchRow,
  byRoute,
  describeRoutes,
  mb,
  pause,
  type PeopleRun,
  processMemory,
  randomFile,
  seconds,
  sendToPeople,
  UserSocket,
} from "./support.ts";

const QUOTA = { perSec: 10, maxBurst: 100 };
const AIM_RATIO = 1.05;
const LIST_PEOPLE = 1_000;
const MEMORY_PEOPLE = 10_000;
const MEMORY_AIM_BYTES = 20 * 1_048_576;
const STATUS_AIM_MS = 2_000;

/** `count` people `person0`... in the team, seeded into the emulator's store directly. */
function seedPeople(count: number) {
  return (emu: Emulator, world: ScenarioWorld) => {
    for (let i = 0; i < count; i++) {
      const { user } = emu.store.createUser({ username: `person${i}` });
      emu.store.addTeamMember(world.team.id, user.id);
    }
  };
}

/** channels.toml with one list, "Crew", of `person0`...`person<count-1>`. */
function crewToml(count: number): string {
  const names = Array.from({ length: count }, (_, i) => `"person${i}"`);
  return `[lists]\nCrew = [${names.join(", ")}]\n`;
}

/** "Delivered to N of M people" -> N, M. */
function peopleDelivered(report: string): [number, number] {
  const m = /(\d+) of (\d+) (?:people|person)\b/.exec(report);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}

/** A rate-limited run's figures: requests, minimum, ratio. */
interface LimitedFigures {
  readonly admitted: number;
  readonly limited: number;
  readonly minimumMs: number;
  readonly ratio: number;
  readonly botRoutes: Map<string, number>;
}

function limitedFigures(s: Scenario, run: PeopleRun): LimitedFigures {
  const window = s.emu.requests.slice(run.from, run.to);
  const admitted = window.filter((r) => r.status !== 429).length;
  const minimumMs = Math.max(0, admitted - QUOTA.maxBurst - 1) / QUOTA.perSec * 1000;
  return {
    admitted,
    limited: window.length - admitted,
    minimumMs,
    ratio: run.wallMs / minimumMs,
    botRoutes: byRoute(window.filter((r) => r.status !== 429), s.world.bot.user.id),
  };
}

function total(routes: Map<string, number>): number {
  return [...routes.values()].reduce((a, b) => a + b, 0);
}

/** Part 1: 1,000 people from a list under the rate limit, twice. */
export async function listUnderRateLimit(files = 1): Promise<BenchRow[]> {
  const s = await startScenario({
    seed: seedPeople(LIST_PEOPLE),
    channelsToml: crewToml(LIST_PEOPLE),
    emulator: { maxUsersPerTeam: LIST_PEOPLE + 100 },
  });
  const socket = await UserSocket.open(s.url, s.world.alice.token, s.world.bot.user.id);
  try {
    const attachments = Array.from(
      { length: files },
      (_, i) => randomFile(`notes${i}.bin`, 16_384),
    );
    const rows: BenchRow[] = [];
    const runs: number[] = [];
    for (const nth of ["first", "second"]) {
      const run = await sendToPeople(s, socket, {
        message: `People benchmark, ${nth} broadcast`,
        target: "Crew",
        files: attachments,
        // A fresh limiter: the bucket is full when the clock starts.
        beforeYes: () => s.emu.faults.rateLimit = QUOTA,
      });
      s.emu.faults.rateLimit = null;
      const f = limitedFigures(s, run);
      const [got, of] = peopleDelivered(run.report);
      const botTotal = total(f.botRoutes);
      runs.push(botTotal);
      const perPerson = (botTotal / LIST_PEOPLE).toFixed(2);
      rows.push({
        name: `${LIST_PEOPLE.toLocaleString("en")} people (a list), ${files} file, ` +
          `limit ${QUOTA.perSec}/s burst ${QUOTA.maxBurst}: ${nth} broadcast`,
        result: `delivered ${got} of ${of}; ${f.admitted} requests (+${f.limited} answered 429), ` +
          `minimum ${seconds(f.minimumMs)}, wall ${seconds(run.wallMs)}, ratio ${
            f.ratio.toFixed(3)
          }; the bot's: ${perPerson} per person, ${describeRoutes(f.botRoutes)}`,
        aim: nth === "first"
          ? `ratio ≤ ${AIM_RATIO}, all delivered`
          : `ratio ≤ ${AIM_RATIO}, fewer requests than the first`,
        met: f.ratio <= AIM_RATIO && got === LIST_PEOPLE &&
          (nth === "first" || botTotal < runs[0]),
      });
    }
    return rows;
  } finally {
    socket.close();
    await s.stop();
  }
}

/** Samples a process's resident memory every `intervalMs` until stopped. */
class RssSampler {
  readonly samples: { at: number; rss: number }[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(pid: number, intervalMs = 100) {
    this.#done = (async () => {
      while (this.#running) {
        const { rss } = await processMemory(pid);
        this.samples.push({ at: performance.now(), rss });
        await pause(intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }

  /** The largest sample taken in [from, to). */
  max(from = 0, to = Number.POSITIVE_INFINITY): number {
    return Math.max(...this.samples.filter((x) => x.at >= from && x.at < to).map((x) => x.rss));
  }
}

/**
 * `work` with the bot's memory sampled from idle (the mean of 2 s of samples, taken after 3 s
 * for earlier work to settle: the idle collection) to its end.
 */
async function sampledIdle<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ idle: number; peak: number; from: number; sampler: RssSampler; value: T }> {
  await pause(3_000);
  const sampler = new RssSampler(pid);
  await pause(2_000);
  const idle = sampler.samples.reduce((a, x) => a + x.rss, 0) / sampler.samples.length;
  const from = performance.now();
  const value = await work();
  await sampler.stop();
  return { idle, peak: sampler.max(from), from, sampler, value };
}

/** One broadcast to everyone with the bot's memory sampled from idle; its row. */
async function sampledBroadcast(
  s: Scenario,
  socket: UserSocket,
  nth: string,
): Promise<{ row: BenchRow; id: string }> {
  const { idle, peak, from, sampler, value: run } = await sampledIdle(
    s.bot.pid,
    () =>
      sendToPeople(s, socket, {
        message: `Memory benchmark, ${nth} broadcast: read the new safety rule`,
        target: "everyone",
      }),
  );
  const [got, of] = peopleDelivered(run.report);
  const row = {
    name: `Resident memory, ${nth} broadcast to ${
      MEMORY_PEOPLE.toLocaleString("en")
    } people (everyone), no rate limit`,
    result: `idle ${mb(idle)}, max ${mb(peak)} (+${mb(peak - idle)}; from the draft ` +
      `to the preview +${mb(sampler.max(from, run.previewAt) - idle)}, delivery +${
        mb(sampler.max(run.yesAt) - idle)
      }) over ${sampler.samples.length} samples; delivered ${got} of ${of} in ${
        seconds(run.wallMs)
      }`,
    aim: "≤ idle + 20 MB",
    met: peak - idle <= MEMORY_AIM_BYTES && got === MEMORY_PEOPLE,
  };
  return { row, id: run.id };
}

/**
 * Part 2: resident memory during the first broadcast to 10,000 people since the bot started
 * (cold: code compiled and pages touched for the first time count too), `!status` of it,
 * then a second broadcast to them (warm, their DM channels known).
 */
export async function memoryOfTenThousand(): Promise<BenchRow[]> {
  const s = await startScenario({
    // alice, bob and carol are people of the team too.
    seed: seedPeople(MEMORY_PEOPLE - 3),
    emulator: { maxUsersPerTeam: MEMORY_PEOPLE + 100 },
  });
  const socket = await UserSocket.open(s.url, s.world.alice.token, s.world.bot.user.id);
  try {
    const first = await sampledBroadcast(s, socket, "first");
    const status = await sampledIdle(s.bot.pid, async () => {
      const mark = socket.received;
      const started = performance.now();
      await postAs(
        s.url,
        s.world.alice.token,
        s.dmChannel(s.world.alice).id,
        `!status ${first.id}`,
      );
      const answer = await socket.next(mark, /\*\*Seen:\*\*/, 120_000);
      return { ms: performance.now() - started, message: answer.message };
    });
    const seen = /\*\*Seen:\*\*[^\n]*/.exec(status.value.message)?.[0] ?? "(no Seen line)";
    const second = await sampledBroadcast(s, socket, "second");
    return [
      first.row,
      {
        name: `!status of the first`,
        result: `${seconds(status.value.ms)}; ${seen}; resident memory idle ${
          mb(status.idle)
        }, max ${mb(status.peak)} (+${mb(status.peak - status.idle)})`,
        aim: `< ${seconds(STATUS_AIM_MS)}`,
        met: status.value.ms < STATUS_AIM_MS,
      },
      second.row,
    ];
  } finally {
    socket.close();
    await s.stop();
  }
}

/** The emulator parts. */
export async function peopleBroadcastBenchmark(): Promise<BenchRow[]> {
  return [...await listUnderRateLimit(), ...await memoryOfTenThousand()];
}

if (import.meta.main) {
  const parts = Deno.args.filter((a) => !a.startsWith("--"));
  const want = (part: string) => parts.length === 0 || parts.includes(part);
  const rows: BenchRow[] = [];
  if (Deno.args.includes("--real")) {
    rows.push(...await realPeopleBenchmark());
  } else {
    if (want("list")) rows.push(...await listUnderRateLimit());
    if (want("memory")) rows.push(...await memoryOfTenThousand());
  }
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.result} | ${r.aim} | ${r.met === undefined ? "—" : r.met} |`);
  }
}
