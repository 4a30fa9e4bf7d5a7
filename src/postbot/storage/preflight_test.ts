import assert from "node:assert/strict";
import { checkStorage } from "./preflight.ts";
import { parsePostgresUrl } from "../database/postgres_url.ts";

async function inDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postbot-preflight-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function places(dir: string) {
  return {
    logFile: `${dir}/logs/bot.log`,
    dbPath: `${dir}/broadcast_log.db`,
    scheduledFilesDir: `${dir}/scheduled_files`,
    channelsTomlPath: `${dir}/channels.toml`,
    database: undefined,
  };
}

/** A PostgreSQL store whose CA file is `caFile`. */
function postgres(caFile: string) {
  const target = parsePostgresUrl(
    `postgres://u:p@db.example/postbot?sslmode=verify-full&sslrootcert=${caFile}`,
  );
  assert.ok(target.ok);
  return target.value;
}

Deno.test("checkStorage: with PostgreSQL, SQLite's places are left alone and the CA file is read", async () => {
  await inDir(async (dir) => {
    const elsewhere = { dbPath: `${dir}/none/bot.db`, scheduledFilesDir: `${dir}/none/files` };
    const missing = await checkStorage({
      ...places(dir),
      ...elsewhere,
      database: postgres(`${dir}/ca.pem`),
    });
    assert.deepEqual(missing.problems.map((p) => p.variable), ["DATABASE_URL"]);
    assert.match(
      missing.problems[0].message,
      /CA file .*ca\.pem \(sslrootcert\), which does not exist/,
    );
    await Deno.writeTextFile(`${dir}/ca.pem`, "-----BEGIN CERTIFICATE-----\n");
    const found = await checkStorage({
      ...places(dir),
      ...elsewhere,
      database: postgres(`${dir}/ca.pem`),
    });
    assert.deepEqual(found.problems, []);
    assert.equal([...Deno.readDirSync(dir)].some((e) => e.name === "none"), false, "nothing made");
  });
});

Deno.test("checkStorage: usable places pass, and only what the bot makes anyway is left", async () => {
  await inDir(async (dir) => {
    const check = await checkStorage(places(dir));
    assert.deepEqual(check, { problems: [], warnings: [] });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["broadcast_log.db", "logs", "scheduled_files"]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/scheduled_files`)], [], "no probe left");
    // An empty LOG_FILE is no file: nothing to check.
    assert.deepEqual((await checkStorage({ ...places(dir), logFile: "" })).problems, []);
  });
});

Deno.test("checkStorage: every place in the way is one problem naming its setting", async () => {
  await inDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/logs`, "a file");
    await Deno.writeTextFile(`${dir}/scheduled_files`, "a file");
    await Deno.mkdir(`${dir}/broadcast_log.db`);
    await Deno.mkdir(`${dir}/channels.toml`);
    await Deno.mkdir(`${dir}/channels.toml.tmp`);
    const { problems, warnings } = await checkStorage(places(dir));
    const byVariable = Object.fromEntries(problems.map((p) => [p.variable, p]));
    assert.deepEqual(Object.keys(byVariable).sort(), [
      "CHANNELS_TOML_PATH",
      "DB_PATH",
      "LOG_FILE",
      "SCHEDULED_FILES_DIR",
    ]);
    assert.match(byVariable.LOG_FILE.message, /has a file where a directory should be/);
    assert.match(byVariable.SCHEDULED_FILES_DIR.message, /has a file where a directory/);
    assert.match(byVariable.DB_PATH.message, /broadcast_log\.db, which is a directory/);
    assert.match(byVariable.CHANNELS_TOML_PATH.message, /channels\.toml, which is a directory/);
    for (const p of problems) {
      assert.match(p.hint ?? "", new RegExp(`set ${p.variable} to another`));
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /channels\.toml\.tmp, which is a directory.*!add_group/);
  });
});

Deno.test("checkStorage: a database in a missing directory names the directory", async () => {
  await inDir(async (dir) => {
    const { problems } = await checkStorage({ ...places(dir), dbPath: `${dir}/data/bot.db` });
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /bot\.db, which is in a directory that does not exist/);
    assert.match(problems[0].hint ?? "", /Create the directory/);
  });
});
