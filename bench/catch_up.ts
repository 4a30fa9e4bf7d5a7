/**
 * Restart cost with many DM partners (issue 14): a bot that answered 1,000 people in the last
 * hour (and marked their DMs read, as postbot does) is restarted with a fresh database while
 * 5 of them have written since. Measured: REST requests until "postbot is ready" and until the
 * 5 are answered, against a fresh start on the same server without DM partners; the time to
 * ready; and the first broadcast after the restart (200 channels × 2 files) against a fresh
 * bot's. Emulator only: the partners are seeded straight into its store.
 *
 * @module
 */

import type { Emulator } from "@postbot/mattermost-emulator";
import { REPLY_TO_PROP } from "@postbot/framework";
import { type Person, type Scenario, type ScenarioWorld, startScenario } from "@postbot/harness";
import { type BenchRow, randomFile, seconds, timedBroadcast } from "./support.ts";

const PARTNERS = 1_000;
const MISSED = 5;
const CHANNELS = 200;
const RUNS = 3;
const EXTRA_REQUESTS_AIM = 20;
const READY_AIM_MS = 1_000;
const BROADCAST_RATIO_AIM = 1.1;

/** 1,000 people who each wrote within the hour and got an answer the bot marked read. */
function seedPartners(count: number, into: Person[]) {
  return (emu: Emulator, world: ScenarioWorld) => {
    const store = emu.store;
    const bot = world.bot.user.id;
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const { user, token } = store.createUser({ username: `partner${i}` });
      if (i < MISSED) store.addTeamMember(world.team.id, user.id);
      const dm = store.directChannel(user.id, bot).id;
      const at = now - 3_000_000 + i * 2_000;
      const question = store.createPost(user.id, {
        channel_id: dm,
        message: "!help",
        create_at: at,
      });
      store.createPost(bot, {
        channel_id: dm,
        message: "Commands: …",
        props: { [REPLY_TO_PROP]: question.id },
        create_at: at + 1,
      });
      store.viewChannels(bot, [dm]);
      into.push({ user, token });
    }
  };
}

interface Run {
  readyMs: number;
  readyRequests: number;
  answeredRequests: number;
  broadcastMs: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Starts the bot, lets `missed` partners' DMs be answered, then times a broadcast. */
async function run(s: Scenario, partners: Person[], missed: number): Promise<Run> {
  const bot = s.world.bot.user.id;
  const waiting = partners.slice(0, missed).map((p) => {
    const dm = s.emu.store.directChannel(p.user.id, bot).id;
    return s.emu.store.createPost(p.user.id, { channel_id: dm, message: "!help" });
  });
  const from = s.emu.requests.length;
  const started = performance.now();
  await s.startBot();
  const readyMs = performance.now() - started;
  const readyRequests = s.emu.requests.length - from;
  await s.emu.waitFor(
    () =>
      waiting.every((q) =>
        s.emu.store.postsIn(q.channel_id).some((p) => p.props?.[REPLY_TO_PROP] === q.id)
      ) || undefined,
    { timeoutMs: 60_000, message: "the missed DMs were not answered" },
  );
  const answeredRequests = s.emu.requests.length - from;
  const files = [randomFile("a.bin", 131_072), randomFile("b.bin", 131_072)];
  const { wallMs } = await timedBroadcast(s, `After a restart ${Date.now()}`, files);
  await s.bot.stop();
  return { readyMs, readyRequests, answeredRequests, broadcastMs: wallMs };
}

async function measure(partnerCount: number, missed: number): Promise<Run[]> {
  const partners: Person[] = [];
  const ids = Array.from({ length: CHANNELS }, (_, i) => `"{{bulk-${i}}}"`);
  const s = await startScenario({
    startBot: false,
    bulkChannels: CHANNELS,
    channelsToml: `[groups]\nBulk = [${ids.join(", ")}]\n`,
    seed: seedPartners(partnerCount, partners),
  });
  try {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(s, partners, missed));
    return runs;
  } finally {
    await s.stop();
  }
}

/** Fresh bot vs restarted bot with 1,000 partners; returns three rows. */
export async function catchUpBenchmark(): Promise<BenchRow[]> {
  const fresh = await measure(0, 0);
  const restart = await measure(PARTNERS, MISSED);
  const m = (runs: Run[], key: keyof Run) => median(runs.map((r) => r[key]));
  const extraReady = m(restart, "readyRequests") - m(fresh, "readyRequests");
  const extraAnswered = m(restart, "answeredRequests") - m(fresh, "answeredRequests");
  const ratio = m(restart, "broadcastMs") / m(fresh, "broadcastMs");
  return [
    {
      name: `Restart with ${PARTNERS.toLocaleString("en-US")} DM partners (last hour), ${MISSED} ` +
        "missed DMs: REST requests",
      result:
        `until ready: ${m(restart, "readyRequests")} vs ${
          m(fresh, "readyRequests")
        } for a fresh start (**+${extraReady}**); until the ${MISSED} are answered: +${extraAnswered} ` +
        `(median of ${RUNS})`,
      aim: `≤ ${EXTRA_REQUESTS_AIM} beyond a fresh start`,
      met: extraReady <= EXTRA_REQUESTS_AIM,
    },
    {
      name: "… time to ready",
      result: `${seconds(m(restart, "readyMs"))} after the process started (fresh start: ${
        seconds(m(fresh, "readyMs"))
      })`,
      aim: `< ${seconds(READY_AIM_MS)}`,
      met: m(restart, "readyMs") < READY_AIM_MS,
    },
    {
      name: `… first broadcast after it (${CHANNELS} channels × 2 files of 128 KiB)`,
      result: `${seconds(m(restart, "broadcastMs"))} vs ${
        seconds(m(fresh, "broadcastMs"))
      } for a fresh bot → **${ratio.toFixed(2)}×** (medians of ${RUNS})`,
      aim: `≤ ${BROADCAST_RATIO_AIM}×`,
      met: ratio <= BROADCAST_RATIO_AIM,
    },
  ];
}

if (import.meta.main) {
  for (const row of await catchUpBenchmark()) console.log(`${row.name}: ${row.result}`);
}
