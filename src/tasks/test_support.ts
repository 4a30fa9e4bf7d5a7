/**
 * Test fixtures for the task modules: an emulated Mattermost server with a bot and a channel,
 * and a working directory with a tasks directory to write task files into.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { type Emulator, startEmulator } from "@postbot/mattermost-emulator";
import { MIGRATIONS } from "../postbot/migrations.ts";
import { Secret } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { SqliteDatabase } from "../postbot/database/sqlite_database.ts";

/** A server, a bot, a channel and a directory; `await using` closes it. */
export interface TaskWorld extends AsyncDisposable {
  readonly emu: Emulator;
  readonly token: Secret;
  readonly botUserId: string;
  readonly channelId: string;
  /** Working directory (holds `tasks/` and `.env`). */
  readonly dir: string;
  readonly tasksDir: string;
  readonly db: DatabaseSync;
  /** `db` behind postbot's database port (what the task system is given). */
  readonly database: SqliteDatabase;
  /** Writes `tasks/<file>` and returns its absolute path. */
  writeTask(file: string, source: string): Promise<string>;
  /** The messages posted in the channel, oldest first (the server's join posts left out). */
  messages(): string[];
  close(): Promise<void>;
}

/** An alert sink for the task modules that keeps what it is given. */
export function collectAlerts(): {
  readonly alerts: string[];
  readonly alert: (text: string) => Promise<void>;
} {
  const alerts: string[] = [];
  return {
    alerts,
    alert: (text) => {
      alerts.push(text);
      return Promise.resolve();
    },
  };
}

/** Starts a {@link TaskWorld}. */
export async function startTaskWorld(): Promise<TaskWorld> {
  const emu = await startEmulator();
  const team = emu.store.createTeam({ name: "staff" });
  const bot = emu.store.createUser({ username: "postbot", is_bot: true });
  emu.store.addTeamMember(team.id, bot.user.id);
  const channel = emu.store.createChannel({ team_id: team.id, name: "ops", type: "O" });
  emu.store.addChannelMember(channel.id, bot.user.id);
  const dir = await Deno.makeTempDir({ prefix: "postbot-tasks-" });
  const tasksDir = `${dir}/tasks`;
  await Deno.mkdir(tasksDir);
  await Deno.writeTextFile(`${dir}/.env`, `TOKEN=${bot.token}\n`);
  const opened = openDatabase(`${dir}/test.db`, MIGRATIONS);
  if (!opened.ok) throw new Error(opened.error.message);
  const db = opened.value;
  const close = async () => {
    db.close();
    await emu.stop();
    await Deno.remove(dir, { recursive: true });
  };
  return {
    emu,
    token: new Secret(bot.token),
    botUserId: bot.user.id,
    channelId: channel.id,
    dir,
    tasksDir,
    db,
    database: new SqliteDatabase(db),
    writeTask: async (file, source) => {
      const path = `${tasksDir}/${file}`;
      await Deno.writeTextFile(path, source);
      return path;
    },
    messages: () =>
      emu.store.postsIn(channel.id).filter((p) => !p.type.startsWith("system_")).map((p) =>
        p.message
      ),
    close,
    [Symbol.asyncDispose]: close,
  };
}
