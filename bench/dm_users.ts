/**
 * The users of the round-trip benchmark, in a process of their own as real users are on
 * machines of their own: their clients' work (posting, reading every event on their sockets)
 * must not queue in the emulator's event loop and count as the bot's latency.
 *
 * Protocol on stdin/stdout, one JSON line each: the parent sends a {@link UsersPlan}; this
 * process answers `{"alone": [...ms]}` after one user's conversation alone, waits for the line
 * `go`, then answers `{"crowd": [...ms], "wallMs": n}` after every user's conversation at once.
 *
 * @module
 */

import { postAs } from "@postbot/harness/bot";
import { UserSocket } from "./user_socket.ts";

/** One user: their token and their DM channel with the bot. */
export interface DmUser {
  readonly token: string;
  readonly channel: string;
}

/** What the parent asks for. */
export interface UsersPlan {
  readonly url: string;
  readonly botId: string;
  /** Commands per user (after one warm-up command each). */
  readonly rounds: number;
  readonly message: string;
  /** The answer's pattern (a RegExp source). */
  readonly answer: string;
  readonly alone: DmUser;
  readonly aloneRounds: number;
  readonly crowd: readonly DmUser[];
}

/** One user's conversation: each command waits for the answer; the times, warm-up excluded. */
async function converse(plan: UsersPlan, user: DmUser, rounds: number): Promise<number[]> {
  const socket = await UserSocket.open(plan.url, user.token, plan.botId);
  const answer = new RegExp(plan.answer);
  const samples: number[] = [];
  try {
    for (let round = 0; round <= rounds; round++) {
      const mark = socket.received;
      const started = performance.now();
      await postAs(plan.url, user.token, user.channel, plan.message);
      await socket.next(mark, answer, 30_000);
      // Round 0 warms up (the first DM: the bot checks the sender's team membership).
      if (round > 0) samples.push(performance.now() - started);
    }
    return samples;
  } finally {
    socket.close();
  }
}

/** Reads a byte stream line by line: each call resolves with the next line (no newline). */
export function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  const chunks = stream.pipeThrough(new TextDecoderStream()).values();
  let buffered = "";
  return async () => {
    while (!buffered.includes("\n")) {
      const { done, value } = await chunks.next();
      if (done) throw new Error("the stream ended before a whole line");
      buffered += value;
    }
    const at = buffered.indexOf("\n");
    const line = buffered.slice(0, at);
    buffered = buffered.slice(at + 1);
    return line;
  };
}

async function main(): Promise<void> {
  const nextLine = lineReader(Deno.stdin.readable);
  const say = (value: unknown) => console.log(JSON.stringify(value));
  const plan = JSON.parse(await nextLine()) as UsersPlan;
  say({ alone: await converse(plan, plan.alone, plan.aloneRounds) });
  if (await nextLine() !== "go") throw new Error("expected go");
  const started = performance.now();
  const all = await Promise.all(plan.crowd.map((u) => converse(plan, u, plan.rounds)));
  say({ crowd: all.flat(), wallMs: performance.now() - started });
}

if (import.meta.main) await main();
