/**
 * `!status` of a broadcast to many people, with "seen": 1,000 and 10,000 people (everyone of
 * a team seeded into the emulator) get a broadcast from alice; then `!status` is asked
 * three times -- before anyone looked, after a tenth of them viewed their DM, and once more --
 * and each time the answer's wall time (from alice's post to the last post of the answer on
 * her socket)
 * and the bot's requests are counted, by route, from the emulator's request log. Emulator
 * only: a real Team Edition server holds at most 250 active people.
 *
 * @module
 */

import type { Emulator } from "@postbot/mattermost-emulator";
import { type Scenario, type ScenarioWorld, startScenario } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";
import { type BenchRow, byRoute, describeRoutes, seconds, UserSocket } from "./support.ts";

/** Two seconds for `!status` of 10,000 people, the aim of issue 21. */
const AIM_MS = 2_000;

/** `count` people in the team (besides the world's own). */
function seedPeople(count: number) {
  return (emu: Emulator, world: ScenarioWorld) => {
    for (let i = 0; i < count; i++) {
      const { user } = emu.store.createUser({ username: `person${i}` });
      emu.store.addTeamMember(world.team.id, user.id);
    }
  };
}

interface Ask {
  readonly ms: number;
  readonly requests: string;
  readonly answer: string;
}

/** Runs one `!status` as alice; its wall time, the bot's requests, the Seen line. */
async function ask(s: Scenario, socket: UserSocket, text: string): Promise<Ask> {
  const from = s.emu.requests.length;
  const mark = socket.received;
  const started = performance.now();
  await postAs(s.url, s.world.alice.token, s.dmChannel(s.world.alice).id, text);
  // A long answer comes in several posts; the Seen line is in the last.
  const post = await socket.next(mark, /\*\*Seen:\*\*/, 120_000);
  const ms = performance.now() - started;
  const requests = describeRoutes(byRoute(s.emu.requests.slice(from), s.world.bot.user.id));
  const answer = /\*\*Seen:\*\*[^\n]*/.exec(post.message)?.[0] ?? "(no Seen line)";
  return { ms, requests, answer };
}

/** Sends alice's broadcast to everyone and answers the big-send question; its id. */
async function sendToEveryone(s: Scenario, socket: UserSocket): Promise<string> {
  const dm = s.dmChannel(s.world.alice).id;
  const say = async (text: string, pattern: RegExp, timeoutMs = 60_000) => {
    const mark = socket.received;
    await postAs(s.url, s.world.alice.token, dm, text);
    return (await socket.next(mark, pattern, timeoutMs)).message;
  };
  await say("Read the new safety rule", /Where should I send this/);
  const preview = await say("everyone", /Ready to send/);
  const n = /yes (\d+)/.exec(preview)?.[1];
  if (n === undefined) throw new Error(`no count to type back in: ${preview}`);
  const report = await say(`yes ${n}`, /Delivered to \d+ of/, 900_000);
  const id = /broadcast `([a-z0-9]+)`/.exec(report)?.[1];
  if (id === undefined) throw new Error(`no id in: ${report}`);
  return id;
}

/** One size: three `!status` answers, timed and counted. */
async function measure(people: number): Promise<BenchRow[]> {
  const s = await startScenario({
    // alice, bob and carol are people of the team too.
    seed: seedPeople(people - 3),
    emulator: { maxUsersPerTeam: people + 100 },
  });
  const socket = await UserSocket.open(s.url, s.world.alice.token, s.world.bot.user.id);
  try {
    const id = await sendToEveryone(s, socket);
    const first = await ask(s, socket, `!status ${id}`);
    const bot = s.world.bot.user.id;
    let viewed = 0;
    for (let i = 0; i < people - 3; i += 10) {
      const user = s.emu.store.userByName(`person${i}`);
      if (user === undefined) continue;
      s.emu.store.viewChannels(user.id, [s.emu.store.directChannel(user.id, bot).id]);
      viewed++;
    }
    const second = await ask(s, socket, `!status ${id}`);
    const third = await ask(s, socket, `!status ${id}`);
    const row = (name: string, a: Ask): BenchRow => ({
      name: `!status of ${people.toLocaleString("en")} people, ${name}`,
      result: `${seconds(a.ms)}; ${a.requests}; ${a.answer}`,
      aim: people >= 10_000 ? `< ${seconds(AIM_MS)}` : "—",
      met: people >= 10_000 ? a.ms < AIM_MS : undefined,
    });
    return [
      row("first (nobody has looked)", first),
      row(`second (${viewed} viewed their DM since)`, second),
      row("third", third),
    ];
  } finally {
    socket.close();
    await s.stop();
  }
}

/** Both sizes. */
export async function statusSeenBenchmark(): Promise<BenchRow[]> {
  return [...await measure(1_000), ...await measure(10_000)];
}

if (import.meta.main) {
  const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [1_000, 10_000];
  for (const n of sizes) {
    for (const r of await measure(n)) console.log(`| ${r.name} | ${r.result} | ${r.aim} |`);
  }
}
