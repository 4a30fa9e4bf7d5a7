/**
 * Storage the operator got wrong or that broke, end to end through the `start` entry point: a
 * read-only data directory (permissions, or a read-only mount), a file where a directory
 * should be, a database that is a directory, and a damaged database (garbage, truncated, a
 * page flipped, pages zeroed) all stop the start with exit 2 and a list naming the setting and
 * what to do, never a stack trace. A store failing while the bot runs turns `/healthz` 503
 * naming it, and 200 again once it works.
 *
 * The bot runs as root on CI, where permission bits do not bind: the read-only cases run it
 * without the capabilities that override them (setpriv), so they hold as they would for any
 * other user; the read-only mount runs it in a mount namespace of its own (unshare).
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { type Scenario, sqliteOnly, startScenario } from "@postbot/harness";
import { BotProcess } from "@postbot/harness/bot";

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const ROOT = Deno.uid() === 0;
/** Runs the bot so that permission bits bind it, as root too. */
const UNPRIVILEGED: readonly string[] = ROOT
  ? [
    "/usr/bin/setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
    "--",
  ]
  : [];
const CAN_DROP = !ROOT || exists("/usr/bin/setpriv");
const CAN_MOUNT = ROOT && exists("/usr/bin/unshare");

/** Runs the bot with `dir` mounted read-only in a mount namespace of its own. */
function readOnlyMount(dir: string): string[] {
  return [
    "/usr/bin/unshare",
    "-m",
    "sh",
    "-c",
    'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"',
    dir,
  ];
}

/** Runs the bot until it exits. */
async function runToExit(
  s: Scenario,
  options: { env?: Record<string, string>; wrapper?: readonly string[] } = {},
): Promise<{ code: number; output: string }> {
  const bot = BotProcess.spawn({
    cwd: s.dir,
    env: { ...s.env, ...options.env },
    wrapper: options.wrapper,
  });
  return { code: await bot.exited, output: bot.output };
}

/** Exit 2, the startup list naming every `variables`, no stack trace, the token nowhere. */
function assertListed(
  s: Scenario,
  { code, output }: { code: number; output: string },
  ...expected: RegExp[]
): void {
  assert.equal(code, 2, output);
  assert.match(output, /postbot cannot start: the configuration has \d+ problems?:/, output);
  for (const pattern of expected) assert.match(output, pattern, output);
  assert.match(output, /Fix the places named above/, output);
  assert.doesNotMatch(output, STACK_FRAME, output);
  assert.doesNotMatch(output, /Uncaught|^error: /m, output);
  assert.equal(output.includes(s.world.bot.token), false, "the token is never printed");
}

/** Removes what a bot run leaves in the working directory, so the next run starts afresh. */
async function clean(s: Scenario): Promise<void> {
  await Deno.chmod(s.dir, 0o755);
  for (const name of ["logs", "scheduled_files"]) {
    await Deno.chmod(`${s.dir}/${name}`, 0o755).catch(() => {});
  }
  for (
    const name of [
      "logs",
      "scheduled_files",
      "broadcast_log.db",
      "broadcast_log.db-wal",
      "broadcast_log.db-shm",
      "channels.toml.tmp",
    ]
  ) {
    await Deno.remove(`${s.dir}/${name}`, { recursive: true }).catch(() => {});
  }
}

/** Starts the bot, waits until it is ready, stops it: the files a real run leaves. */
async function runOnce(s: Scenario): Promise<void> {
  const bot = await s.startBot();
  assert.equal(await bot.stop(), 0, bot.output);
}

Deno.test("unusable storage: exit 2 listing each place and what to do", {
  ignore: sqliteOnly("the preflight of DB_PATH and the SQLite files beside it"),
}, async (t) => {
  const s = await startScenario({ startBot: false });
  try {
    await t.step({
      name: "a read-only working directory, nothing created yet",
      ignore: !CAN_DROP,
      fn: async () => {
        await clean(s);
        await Deno.chmod(s.dir, 0o555);
        try {
          const run = await runToExit(s, { wrapper: UNPRIVILEGED });
          assertListed(
            s,
            run,
            /- LOG_FILE points at logs\/bot\.log, which may not be written by the user/,
            /- DB_PATH points at broadcast_log\.db, which may not be written/,
            /- SCHEDULED_FILES_DIR points at scheduled_files, which may not be written/,
            /Give that user write access/,
          );
        } finally {
          await clean(s);
        }
      },
    });

    await t.step({
      name: "read-only files and directories left by an earlier run",
      ignore: !CAN_DROP,
      fn: async () => {
        await runOnce(s);
        for (const path of ["logs/bot.log", "broadcast_log.db"]) {
          await Deno.chmod(`${s.dir}/${path}`, 0o444);
        }
        for (const path of ["logs", "scheduled_files", "."]) {
          await Deno.chmod(`${s.dir}/${path}`, 0o555);
        }
        try {
          const run = await runToExit(s, { wrapper: UNPRIVILEGED });
          assertListed(s, run, /- LOG_FILE /, /- DB_PATH /, /- SCHEDULED_FILES_DIR /);
        } finally {
          await clean(s);
        }
      },
    });

    await t.step({
      name: "only the directory is read-only: SQLite cannot create its files beside the database",
      ignore: !CAN_DROP,
      fn: async () => {
        await runOnce(s);
        assert.equal(exists(`${s.dir}/broadcast_log.db-wal`), false, "a clean stop removed it");
        await Deno.chmod(s.dir, 0o555);
        try {
          const run = await runToExit(s, { wrapper: UNPRIVILEGED });
          assertListed(
            s,
            run,
            /- DB_PATH points at broadcast_log\.db, which (postbot cannot write|SQLite cannot open)/,
            /broadcast_log\.db-wal and broadcast_log\.db-shm beside it/,
          );
          // Found before the database: saving channels.toml would fail too.
          assert.match(run.output, /\[WRN\].*channels\.toml\.tmp.*!add_group/, run.output);
        } finally {
          await clean(s);
        }
      },
    });

    await t.step({
      name: "a read-only mount (EROFS)",
      ignore: !CAN_MOUNT,
      fn: async () => {
        await runOnce(s);
        const run = await runToExit(s, { wrapper: readOnlyMount(s.dir) });
        assertListed(
          s,
          run,
          /- LOG_FILE points at logs\/bot\.log, which is on a read-only file system/,
          /- DB_PATH points at broadcast_log\.db, which is on a read-only file system/,
          /- SCHEDULED_FILES_DIR points at scheduled_files, which is on a read-only file/,
          /mount the bot's data directory writable/i,
        );
        await clean(s);
      },
    });

    await t.step("a file where a directory should be", async () => {
      await clean(s);
      await Deno.writeTextFile(`${s.dir}/logs`, "not a directory\n");
      await Deno.writeTextFile(`${s.dir}/scheduled_files`, "not a directory\n");
      try {
        assertListed(
          s,
          await runToExit(s),
          /- LOG_FILE points at logs\/bot\.log, which has a file where a directory should be/,
          /- SCHEDULED_FILES_DIR points at scheduled_files, which has a file where a dir/,
          /remove or rename the file in its way/i,
        );
      } finally {
        await clean(s);
      }
    });

    await t.step("a database or channels.toml that is a directory", async () => {
      await clean(s);
      await Deno.mkdir(`${s.dir}/broadcast_log.db`);
      const saved = s.channelsToml();
      await Deno.remove(`${s.dir}/channels.toml`);
      await Deno.mkdir(`${s.dir}/channels.toml`);
      try {
        assertListed(
          s,
          await runToExit(s),
          /- DB_PATH points at broadcast_log\.db, which is a directory/,
          /- CHANNELS_TOML_PATH points at channels\.toml, which is a directory/,
          /must name a file/,
        );
      } finally {
        await Deno.remove(`${s.dir}/channels.toml`);
        await Deno.writeTextFile(`${s.dir}/channels.toml`, saved);
        await clean(s);
      }
    });
  } finally {
    await clean(s);
    await s.stop();
  }
});

/** A database file the bot wrote, with enough rows that its middle pages hold a table. */
async function realDatabase(s: Scenario, rows = 4000): Promise<Uint8Array> {
  await runOnce(s);
  const db = new DatabaseSync(`${s.dir}/broadcast_log.db`);
  const insert = db.prepare(
    "INSERT INTO processed_posts (post_id, channel_id, create_at) VALUES (?, ?, ?)",
  );
  db.exec("BEGIN");
  const now = Date.now();
  for (let i = 0; i < rows; i++) {
    insert.run(`p${String(i).padStart(25, "0")}`, s.world.channels.random.id, now + i);
  }
  db.exec("COMMIT");
  db.close();
  return await Deno.readFile(`${s.dir}/broadcast_log.db`);
}

/** Ways a database file gets damaged, each applied to the bytes of a good one. */
const DAMAGES: Record<string, (good: Uint8Array) => Uint8Array> = {
  "garbage": (good) => good.map((_, i) => (i * 7919 + 13) & 0xff),
  "truncated": (good) => good.slice(0, Math.floor(good.length / 3)),
  "a page flipped": (good) => {
    const damaged = good.slice();
    const at = Math.floor(good.length / 4096 / 2) * 4096 + 8;
    for (let i = at; i < at + 64; i++) damaged[i] ^= 0xff;
    return damaged;
  },
  "pages zeroed": (good) => {
    const damaged = good.slice();
    damaged.fill(0, 4096 * 3, 4096 * 6);
    return damaged;
  },
};

Deno.test("a damaged database: exit 2 with how to restore it; following the advice works", {
  ignore: sqliteOnly("damages the SQLite file; PostgreSQL keeps its own pages"),
}, async () => {
  const s = await startScenario({ startBot: false });
  const db = `${s.dir}/broadcast_log.db`;
  try {
    const good = await realDatabase(s);
    for (const [name, damage] of Object.entries(DAMAGES)) {
      await Deno.writeFile(db, damage(good));
      const run = await runToExit(s);
      assertListed(
        s,
        run,
        /- DB_PATH points at broadcast_log\.db, which is (damaged|not a SQLite database)/,
        /move broadcast_log\.db \(and broadcast_log\.db-wal and broadcast_log\.db-shm, if/,
        /creates a new, empty database/,
        /backup of broadcast_log\.db/,
      );
      // A flipped page reads fine until a query meets it: only the check at start finds it.
      if (name === "a page flipped") assert.match(run.output, /quick_check: /, run.output);
    }
    // Restoring a backup: the bot starts on it.
    await Deno.writeFile(db, good);
    await runOnce(s);
    // Moving the damaged file aside: the bot starts on a new, empty database.
    await Deno.writeFile(db, DAMAGES["a page flipped"](good));
    await Deno.rename(db, `${s.dir}/broadcast_log.db.damaged`);
    await runOnce(s);
    assert.ok(exists(db));
  } finally {
    await clean(s);
    await s.stop();
  }
});

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("a store failing at run time: /healthz names it until it works again", {
  ignore: sqliteOnly("damages the SQLite file under the running bot"),
}, async () => {
  const port = freePort();
  const s = await startScenario({ startBot: false, env: { HEALTH_PORT: String(port) } });
  const path = `${s.dir}/broadcast_log.db`;
  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: response.status, body: await response.json() };
  };
  try {
    // Far more pages than the bot's 256 KiB page cache holds.
    const good = await realDatabase(s, 40_000);
    await s.startBot();
    assert.equal((await health()).status, 200);
    const alice = s.dm(s.world.alice);
    assert.match(await alice.ask("!help"), /!get_groups/);

    // Damaged behind the running bot's back: every page but the header.
    const file = await Deno.open(path, { write: true });
    await file.seek(4096, Deno.SeekMode.Start);
    await file.write(DAMAGES["garbage"](good).subarray(4096));
    file.close();
    // Pages the bot holds in memory still read fine; a DM soon needs one that does not.
    const sick = await s.waitFor(async () => {
      const reply = await alice.ask("!help");
      const now = await health();
      return now.status === 503 ? { reply, now } : undefined;
    }, { timeoutMs: 30_000 });
    assert.match(sick.reply, /Something went wrong on my side/);
    assert.equal(sick.now.body.status, "unhealthy");
    assert.deepEqual(sick.now.body.stores_failing, ["processed posts"]);
    assert.match(
      sick.now.body.problems.join("\n"),
      /the processed posts store in the database broadcast_log\.db is failing \(/,
    );
    assert.match(s.bot.output, /The processed posts store in the database is failing/);
    // The app's error handler: one line per failed DM, naming the sender, under its category.
    assert.match(s.bot.output, /app: Handling a message from alice failed/);
    assert.doesNotMatch(s.bot.output, /bot: Handling a message/);

    // The pages put back (as a disk that recovers would): the next DM works, health is ok.
    const repair = await Deno.open(path, { write: true });
    await repair.seek(4096, Deno.SeekMode.Start);
    await repair.write(good.subarray(4096));
    repair.close();
    const healed = await s.waitFor(async () => {
      const reply = await alice.ask("!help");
      const now = await health();
      return now.status === 200 ? { reply, now } : undefined;
    }, { timeoutMs: 30_000 });
    assert.match(healed.reply, /!get_groups/);
    assert.deepEqual(healed.now.body.stores_failing, []);
    await s.bot.waitForOutput(/The processed posts store works again/);
  } finally {
    await s.stop();
  }
});
