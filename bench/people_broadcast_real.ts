/**
 * The broadcast to people of bench/people_broadcast.ts on a real Mattermost server
 * (`deno task mattermost`, started here when needed): 200 people of a `[lists]` list (Team
 * Edition allows 250 active users), with one file, under the server's own rate limiter (10/s,
 * burst 100), twice, each started with the server's bucket full. The bot reaches the server
 * through a {@link CountingProxy}, which counts its requests by route; afterwards every
 * person's DM with the bot is read back: exactly one post of each broadcast.
 *
 * @module
 */

import { start } from "@postbot/harness/mattermost";
import { type Person, RealBackend, seedScenarioWorld, startScenario } from "@postbot/harness";
import { CountingProxy } from "./counting_proxy.ts";
import {
  type BenchRow,
  byRoute,
  describeRoutes,
  pause,
  type PeopleRun,
  randomFile,
  seconds,
  sendToPeople,
  UserSocket,
} from "./support.ts";

const PEOPLE = 200;
const QUOTA = { perSec: 10, maxBurst: 100 };
const AIM_RATIO = 1.15;

/** `reach000`...: the list's people. */
const NAMES = Array.from({ length: PEOPLE }, (_, i) => `reach${String(i).padStart(3, "0")}`);

/** Runs both broadcasts and the read-back; one explanatory row when no server can start. */
export async function realPeopleBenchmark(): Promise<BenchRow[]> {
  const started = await start();
  if (!started.ok) {
    return [{ name: "Real server, people", result: `not run: ${started.error}`, aim: "—" }];
  }
  await seedScenarioWorld(await RealBackend.open());
  const people: Person[] = [];
  const s = await startScenario({
    backend: "real",
    startBot: false,
    channelsToml: `[lists]\nCrew = [${NAMES.map((n) => `"${n}"`).join(", ")}]\n`,
    prepare: async (server, world) => {
      for (const username of NAMES) {
        const p = await server.createUser({ username });
        await server.addTeamMember(world.team.id, p.user.id);
        people.push(p);
      }
    },
  });
  const bot = s.world.bot;
  await using proxy = CountingProxy.start(s.url, { [bot.token]: bot.user.id });
  let socket: UserSocket | undefined;
  try {
    await s.server.setRateLimit(QUOTA);
    await s.startBot({ URL: proxy.url });
    socket = await UserSocket.open(s.url, s.world.alice.token, bot.user.id);
    const files = [randomFile("notes.bin", 16_384)];
    const runs: { run: PeopleRun; from: number; to: number }[] = [];
    for (const nth of ["first", "second"]) {
      let from = 0;
      const run = await sendToPeople(s, socket, {
        message: `Real people benchmark, ${nth} broadcast`,
        target: "Crew",
        files,
        beforeYes: async () => {
          // The server's bucket is full when the clock starts (it refills in 100 / 10 s):
          // the run before, the bot's start and alice's draft used it.
          await pause(QUOTA.maxBurst / QUOTA.perSec * 1000 + 1_000);
          from = proxy.requests.length;
        },
      });
      runs.push({ run, from, to: proxy.requests.length });
    }
    await s.server.setRateLimit(null);
    const copies = await readBack(s.server, bot.user.id, people, runs.map((r) => r.run.id));
    return runs.map(({ run, from, to }, i) => {
      const window = proxy.requests.slice(from, to);
      // alice's `yes` went to the server directly: one more request for the limiter.
      const admitted = window.filter((r) => r.status !== 429).length + 1;
      const limited = window.length + 1 - admitted;
      const minimumMs = Math.max(0, admitted - QUOTA.maxBurst - 1) / QUOTA.perSec * 1000;
      const ratio = run.wallMs / minimumMs;
      const routes = byRoute(window.filter((r) => r.status !== 429), bot.user.id);
      const botTotal = [...routes.values()].reduce((a, b) => a + b, 0);
      const exact = copies[i];
      return {
        name: `Real server: ${PEOPLE} people (a list), 1 file, the server's limiter ` +
          `${QUOTA.perSec}/s burst ${QUOTA.maxBurst}: ${i === 0 ? "first" : "second"} broadcast`,
        result: `${run.report.split("\n")[0].slice(0, 80)}; ${admitted} requests (+${limited} ` +
          `answered 429), minimum ${seconds(minimumMs)}, wall ${seconds(run.wallMs)}, ratio ${
            ratio.toFixed(3)
          }; the bot's: ${(botTotal / PEOPLE).toFixed(2)} per person, ${
            describeRoutes(routes)
          }; read back: ${exact} of ${PEOPLE} with exactly one post`,
        aim: `ratio ≤ ${AIM_RATIO}, every person exactly one post`,
        met: ratio <= AIM_RATIO && exact === PEOPLE,
      };
    });
  } finally {
    socket?.close();
    await s.stop();
  }
}

/** For each broadcast id: how many people's DMs hold exactly one post of it. */
async function readBack(
  server: {
    directChannel(a: string, b: string): Promise<{ id: string }>;
    postsIn(id: string): Promise<{ user_id: string; props?: Record<string, unknown> }[]>;
  },
  botId: string,
  people: readonly Person[],
  ids: readonly string[],
): Promise<number[]> {
  const exact = ids.map(() => 0);
  for (const person of people) {
    const dm = await server.directChannel(botId, person.user.id);
    const posts = (await server.postsIn(dm.id)).filter((p) => p.user_id === botId);
    ids.forEach((id, i) => {
      if (posts.filter((p) => p.props?.postbot_broadcast_id === id).length === 1) exact[i]++;
    });
  }
  return exact;
}

if (import.meta.main) {
  for (const r of await realPeopleBenchmark()) {
    console.log(`| ${r.name} | ${r.result} | ${r.aim} | ${r.met === undefined ? "—" : r.met} |`);
  }
}
