/**
 * `deno task start --migrate`: the SQLite log of a bot that ran alone is copied into a new
 * PostgreSQL database, from which a pair of instances can go on; the password in DATABASE_URL
 * is never printed.
 */

import assert from "node:assert/strict";
import { BotProcess } from "@postbot/harness/bot";
import { startPostgres } from "@postbot/harness/postgres";
import { openSqliteDatabase } from "../src/postbot/database/sqlite_database.ts";
import { connectUrl } from "../src/postbot/database/testing.ts";
import { BroadcastLog } from "../src/postbot/broadcast/log.ts";
import { MIGRATIONS } from "../src/postbot/migrations.ts";

Deno.test("--migrate copies the SQLite log into PostgreSQL, once", async () => {
  await using pg = await startPostgres();
  const dir = await Deno.makeTempDir({ prefix: "postbot-migrate-" });
  try {
    const sqlite = openSqliteDatabase(`${dir}/broadcast_log.db`, MIGRATIONS);
    assert.ok(sqlite.ok);
    await new BroadcastLog(sqlite.value).create({
      id: "k3m9x2qa",
      senderId: "u1",
      senderUsername: "alice",
      targetAnswer: "all",
      message: "Moved along",
      files: [],
      sourcePostId: null,
      targets: [{ kind: "channel", channelId: "c1", name: "one", displayName: "One" }],
    });
    await sqlite.value.close();
    await pg.psql("ALTER USER postgres PASSWORD 'pa55-w0rd'");
    const url = (await pg.createDatabase()).replace("postgres@", "postgres:pa55-w0rd@");
    const env = { URL: "https://chat.example.com", TOKEN: "t".repeat(26), TEAM_NAME: "staff" };
    const migrate = () =>
      BotProcess.spawn({ cwd: dir, env: { ...env, DATABASE_URL: url }, args: ["--migrate"] });
    const first = migrate();
    assert.equal(await first.exited, 0, first.output);
    assert.match(first.output, /Copied broadcast_log\.db into postgres:\/\/postgres:\[redacted\]@/);
    assert.match(first.output, /deliveries: 1/);
    const again = migrate();
    assert.equal(await again.exited, 1);
    assert.match(again.output, /already holds data/);
    for (const run of [first, again]) assert.doesNotMatch(run.output, /pa55-w0rd/);
    const db = await connectUrl(url);
    try {
      assert.equal((await new BroadcastLog(db).get("k3m9x2qa"))?.message, "Moved along");
    } finally {
      await db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
