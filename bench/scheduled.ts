/**
 * 100 broadcasts scheduled for the same minute, 20 channels each, under Mattermost's default
 * rate limit (10 requests/s, burst 100): every one must start within that minute, none may be
 * sent twice, and the whole batch, from the minute to the last report, should take at most
 * 1.15 × the least time the limit allows, (requests − burst) / rate, counting every request
 * the bot makes meanwhile (the posts, the "going out now" messages, the reports, the channel
 * reload).
 *
 * The broadcasts are scheduled through the wizard as a user would (`at HH:MM`, the user's zone
 * UTC), each to one of ten groups of 20 channels.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { type Scenario, startScenario } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";
import { type BenchRow, seconds, UserSocket } from "./support.ts";

const BROADCASTS = 100;
const PER_BROADCAST = 20;
const GROUPS = 10;
const QUOTA = { perSec: 10, maxBurst: 100 };
const AIM = 1.15;
const PROP = "postbot_broadcast_id";

/** Runs the measurement; prints nothing, returns the rows. */
export async function scheduledBenchmark(): Promise<BenchRow[]> {
  const s = await startGroupedScenario();
  const alice = s.world.alice;
  const dm = s.emu.store.directChannel(alice.user.id, s.world.bot.user.id).id;
  const socket = await UserSocket.open(s.emu.url, alice.token, s.world.bot.user.id);
  try {
    // The minute: far enough ahead for the scheduling to finish first.
    const due = Math.ceil((Date.now() + 75_000) / 60_000) * 60_000;
    const say = async (text: string, pattern: RegExp) => {
      const mark = socket.received;
      await postAs(s.emu.url, alice.token, dm, text);
      return (await socket.next(mark, pattern, 60_000)).message;
    };
    const ids = await scheduleAll(say, due);
    if (Date.now() >= due) throw new Error("scheduling took longer than the lead time");
    s.emu.faults.rateLimit = QUOTA;
    const mark = socket.received;
    await waitForReports(socket, mark);
    const finishedAt = Date.now();
    // From the minute on: what the bot sent before it (the read mark of the last scheduling
    // answer, a second later) belongs to the scheduling, and the bucket is full again by then.
    const window = s.emu.requests.filter((r) => r.at >= due);
    return [measured(s, ids, due, window, finishedAt)];
  } finally {
    socket.close();
    await s.stop();
  }
}

/** The world: ten groups of 20 bulk channels, alice's zone UTC, a quiet log. */
function startGroupedScenario(): Promise<Scenario> {
  const groups = Array.from(
    { length: GROUPS },
    (_, g) =>
      `G${g} = [${
        Array.from({ length: PER_BROADCAST }, (_, i) => `"{{bulk-${g * PER_BROADCAST + i}}}"`)
          .join(", ")
      }]`,
  );
  return startScenario({
    bulkChannels: PER_BROADCAST * GROUPS,
    channelsToml: `[groups]\n${groups.join("\n")}\n`,
    seed: (emu, world) => emu.store.setUserTimezone(world.alice.user.id, { manual: "UTC" }),
    env: { LOG_LEVEL: "WARNING" },
  });
}

/** Schedules every broadcast for `due` through the wizard; their ids. */
async function scheduleAll(
  say: (text: string, pattern: RegExp) => Promise<string>,
  due: number,
): Promise<string[]> {
  const hhmm = new Date(due).toISOString().slice(11, 16);
  const day = new Date(due).toISOString().slice(0, 10);
  const ids: string[] = [];
  for (let i = 0; i < BROADCASTS; i++) {
    await say(`Scheduled benchmark ${i}`, /Where should I send this/);
    await say(`G${i % GROUPS}`, /Ready to send/);
    const answer = await say(`at ${day} ${hhmm}`, /Scheduled broadcast|past|can't/);
    const id = /broadcast `([a-z0-9]+)`/.exec(answer)?.[1];
    if (id === undefined) throw new Error(`not scheduled: ${answer}`);
    ids.push(id);
  }
  return ids;
}

/** Waits for every broadcast's report (the bot posts them to alice's DM). */
async function waitForReports(socket: UserSocket, mark: number): Promise<void> {
  const reported = new Set<string>();
  while (reported.size < BROADCASTS) {
    const post = await socket.next(
      mark,
      new RegExp(
        `Delivered to \\d+ of \\d+ channels?\\*\\* \\(broadcast \`(?!${
          [...reported].join("|") || "-"
        })[a-z0-9]+\``,
      ),
      600_000,
    );
    reported.add(/broadcast `([a-z0-9]+)`/.exec(post.message)![1]);
  }
}

/** The row: start times from the database, requests from the emulator, copies per broadcast. */
function measured(
  s: Scenario,
  ids: string[],
  due: number,
  window: Scenario["emu"]["requests"],
  finishedAt: number,
): BenchRow {
  const admitted = window.filter((r) => r.status !== 429);
  const limited = window.length - admitted.length;
  const minimumMs = (admitted.length - QUOTA.maxBurst) / QUOTA.perSec * 1000;
  const batchMs = finishedAt - due;
  const ratio = batchMs / minimumMs;
  const starts = startTimes(`${s.dir}/broadcast_log.db`, ids);
  const latestStart = Math.max(...starts) - due;
  const allStarted = starts.every((t) => t >= due && t < due + 60_000);
  const copies = copiesPerBroadcast(s);
  const twice = ids.filter((id) => (copies.get(id) ?? 0) > PER_BROADCAST).length;
  const short = ids.filter((id) => (copies.get(id) ?? 0) < PER_BROADCAST).length;
  return {
    name: `${BROADCASTS} broadcasts scheduled for one minute × ${PER_BROADCAST} channels, ` +
      `rate limit ${QUOTA.perSec}/s burst ${QUOTA.maxBurst}`,
    result:
      `all started ${allStarted ? "within the minute" : "**late**"} (last ${
        seconds(latestStart)
      } after it); ${admitted.length} requests (+${limited} answered 429), minimum ${
        seconds(minimumMs)
      }, batch ${seconds(batchMs)}, ratio ${ratio.toFixed(3)}; ${twice} sent twice, ` +
      `${short} incomplete`,
    aim: `all start within the minute, none twice, ratio ≤ ${AIM}`,
    met: allStarted && twice === 0 && short === 0 && ratio <= AIM,
  };
}

/** When each broadcast started, from the bot's database (NaN when it never did). */
function startTimes(dbPath: string, ids: string[]): number[] {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return ids.map((id) =>
      Number(
        (db.prepare("SELECT created_at FROM broadcasts WHERE id = ?").get(id) as {
          created_at: number;
        } | undefined)?.created_at ?? NaN,
      )
    );
  } finally {
    db.close();
  }
}

/** How many live posts carry each broadcast id. */
function copiesPerBroadcast(s: Scenario): Map<string, number> {
  const copies = new Map<string, number>();
  for (const p of s.emu.store.allPosts()) {
    const id = p.props?.[PROP];
    if (typeof id === "string" && p.delete_at === 0) {
      copies.set(id, (copies.get(id) ?? 0) + 1);
    }
  }
  return copies;
}

if (import.meta.main) console.log(await scheduledBenchmark());
