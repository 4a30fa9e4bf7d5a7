/**
 * `deno task sandbox`: postbot, unchanged, against a built-in Mattermost emulator seeded with
 * a demo team, and a terminal chat in which you are a demo user in a DM with the bot. Needs no
 * server and no configuration; writes only inside a temporary directory under `.sandbox/`,
 * removed on exit.
 *
 * @module
 */

import { BotProcess } from "@postbot/harness/bot";
import { runChat } from "./chat.ts";
import { seedDemo } from "./demo.ts";
import { startEmulator } from "@postbot/mattermost-emulator";

const encoder = new TextEncoder();
const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));

async function main(): Promise<number> {
  const emu = await startEmulator();
  const world = seedDemo(emu);
  await Deno.mkdir(".sandbox", { recursive: true });
  const dir = await Deno.makeTempDir({ dir: ".sandbox", prefix: "run-" });
  let bot: BotProcess | undefined;
  // Ctrl-C skips `finally` (the process is interrupted): clean up here too, then leave.
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    cleaning ??= (async () => {
      await bot?.stop();
      await emu.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      write("\nBye.\n");
      void cleanup().finally(() => Deno.exit(130));
    });
  }
  try {
    await Deno.writeTextFile(`${dir}/channels.toml`, world.channelsToml);
    write("Starting postbot against the built-in Mattermost emulator\u2026\n");
    bot = BotProcess.spawn({
      cwd: dir,
      deno: "deno",
      env: {
        URL: emu.url,
        TOKEN: world.bot.token,
        TEAM_NAME: world.teamName,
        ADMIN_USERS: "alice",
        CONSOLE_LOG_LEVEL: "INFO",
        LOG_LEVEL: "DEBUG",
        UNDO_WINDOW_SECONDS: "3600",
      },
    });
    try {
      await bot.waitForOutput(/postbot is ready/, 60_000);
    } catch (e) {
      write(`postbot did not start:\n${(e as Error).message}\n`);
      return 1;
    }
    await runChat({ emu, world, input: Deno.stdin.readable, write });
    write("Bye.\n");
    return 0;
  } finally {
    await cleanup();
  }
}

if (import.meta.main) Deno.exit(await main());
