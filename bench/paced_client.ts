/**
 * How many 429s a paced client meets under a server's rate limiter (10/s, burst 100): the
 * bot's own transport (`RestTransport`, which paces by the rate-limit headers) sends 300
 * `GET /users/me` with 8 in flight. Without `--url` an emulator is started with its limiter on
 * and the client runs as a separate process (as the bot does); with `--url URL --token TOKEN`
 * (a real server started with `deno task mattermost restart --rate-limit`, its bucket full) the
 * client runs against that server.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RestTransport, Secret } from "@postbot/framework";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld } from "@postbot/mattermost-emulator/testing";

const REQUESTS = 300;
const IN_FLIGHT = 8;

/** Sends the workload; returns requests sent (429s included), 429s, and milliseconds. */
async function run(url: string, token: string) {
  let sent = 0;
  let limited = 0;
  const transport = new RestTransport({
    serverUrl: url,
    token: new Secret(token),
    onResponse: ({ status }) => {
      sent++;
      if (status === 429) limited++;
    },
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < REQUESTS) {
      next++;
      const response = await transport.send(transport.api("/users/me"), {});
      await response.body?.cancel();
    }
  }));
  return { requests: REQUESTS, sent, limited, ms: Math.round(performance.now() - started) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { url: { type: "string" }, token: { type: "string" } },
  });
  if (values.url !== undefined && values.token !== undefined) {
    console.log(JSON.stringify(await run(values.url, values.token)));
  } else {
    const emu = await startEmulator();
    const { alice } = seedWorld(emu);
    emu.faults.rateLimit = { perSec: 10, maxBurst: 100 };
    const client = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        import.meta.filename!,
        "--url",
        emu.url,
        "--token",
        alice.token,
      ],
    }).spawn();
    await client.status;
    await emu.stop();
  }
}
