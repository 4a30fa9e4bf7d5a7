import assert from "node:assert/strict";
import { connectPostgres } from "./postgres_database.ts";
import { parsePostgresUrl, redactUrl } from "./postgres_url.ts";
import { startPostgres } from "@postbot/harness/postgres";
import { connectUrl, freshPostgresUrl } from "./testing.ts";

/** The start task's --allow-env list: the permissions the bot really runs with. */
function startTaskEnvGrant(): string {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../../../deno.json", import.meta.url)));
  const grant = (config.tasks.start as string).match(/--allow-env=\S+/);
  assert.ok(grant, "the start task grants a list of variables");
  return grant[0];
}

Deno.test("pg connects with the start task's --allow-env list: no PG* variable is read", async () => {
  const url = await freshPostgresUrl();
  const module = new URL("./postgres_database.ts", import.meta.url).href;
  const parser = new URL("./postgres_url.ts", import.meta.url).href;
  const program = `
    import { connectPostgres } from "${module}";
    import { parsePostgresUrl } from "${parser}";
    const target = parsePostgresUrl(${JSON.stringify(url)});
    if (!target.ok) throw new Error(target.error.message);
    const db = await connectPostgres(target.value);
    if (!db.ok) throw new Error(db.error.message);
    const [row] = await db.value.query("SELECT 6 * 7 AS answer");
    console.log(JSON.stringify(row));
    await db.value.close();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-net=127.0.0.1", startTaskEnvGrant(), "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { PGBINARY: "true", PGSSLMODE: "require", PGUSER: "nobody" },
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(program));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), { answer: 42 });
});

Deno.test("DATABASE_URL: the password is kept as a secret and never shown", () => {
  const url = "postgres://bot:s3cr%40t@db.example:6543/postbot?sslmode=verify-full" +
    "&sslrootcert=/etc/postbot/ca.pem";
  const parsed = parsePostgresUrl(url);
  assert.ok(parsed.ok);
  const target = parsed.value;
  assert.equal(target.password.reveal(), "s3cr@t");
  assert.equal(target.host, "db.example");
  assert.equal(target.port, 6543);
  assert.equal(target.database, "postbot");
  assert.equal(target.caFile, "/etc/postbot/ca.pem");
  assert.ok(!JSON.stringify(target).includes("s3cr"));
  assert.ok(!Deno.inspect(target).includes("s3cr"));
  assert.equal(
    redactUrl("postgresql://bot:p%3Aw@h/db"),
    "postgresql://bot:[redacted]@h/db",
  );
  assert.equal(redactUrl("postgres://bot@h/db"), "postgres://bot@h/db");
});

Deno.test("DATABASE_URL: mistakes are refused by name, without the password", () => {
  const cases: [string, RegExp][] = [
    ["mysql://u:pw@h/db", /is not a postgres:\/\/ URL/],
    ["postgres://u:pw@h/", /lacks a host, a user or a database name/],
    ["postgres://u:pw@h/db?ssl_mode=require", /parameters postbot does not use: ssl_mode/],
    ["postgres://u:pw@h/db?sslmode=prefer", /sslmode=prefer/],
    ["postgres://u:pw@h/db?sslmode=verify-full", /no sslrootcert/],
    ["postgres://u:pw@h/db?connect_timeout=0", /bad connect_timeout/],
  ];
  for (const [url, expected] of cases) {
    const parsed = parsePostgresUrl(url);
    assert.ok(!parsed.ok, url);
    assert.match(parsed.error.message, expected);
    assert.ok(!parsed.error.message.includes("pw"), parsed.error.message);
  }
});

Deno.test("a server that cannot be reached is a problem naming it without the password", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const parsed = parsePostgresUrl(`postgres://bot:hunter2@127.0.0.1:${port}/db?connect_timeout=2`);
  assert.ok(parsed.ok);
  const db = await connectPostgres(parsed.value);
  assert.ok(!db.ok);
  assert.match(db.error.message, /postgres:\/\/bot:\[redacted\]@127\.0\.0\.1:\d+\/db/);
  assert.match(db.error.message, /cannot be reached/);
  assert.ok(!db.error.message.includes("hunter2"));
});

/** Whether the connection behind `db` is encrypted, as the server sees it. */
async function encrypted(url: string): Promise<boolean> {
  const db = await connectUrl(url);
  try {
    const [row] = await db.query<{ ssl: number }>(
      "SELECT CASE WHEN ssl THEN 1 ELSE 0 END AS ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    );
    return row.ssl === 1;
  } finally {
    await db.close();
  }
}

Deno.test("TLS: verify-full with the CA file connects encrypted; another CA is refused", async () => {
  await using pg = await startPostgres({ tls: true });
  const base = `postgres://postgres@localhost:${pg.port}/postgres`;
  assert.equal(await encrypted(`${base}?sslmode=verify-full&sslrootcert=${pg.caFile}`), true);
  const byAddress = `${pg.url()}?sslmode=verify-ca&sslrootcert=${pg.caFile}`;
  assert.equal(await encrypted(byAddress), true);
  assert.equal(await encrypted(`${base}?sslmode=require`), true);
  assert.equal(await encrypted(`${base}?sslmode=disable`), false);
  const other = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("openssl", {
      args: [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${other}/k`,
        "-out",
        `${other}/ca.pem`,
        "-days",
        "1",
        "-subj",
        "/CN=another CA",
      ],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.ok(made.success);
    const target = parsePostgresUrl(`${base}?sslmode=verify-full&sslrootcert=${other}/ca.pem`);
    assert.ok(target.ok);
    const refused = await connectPostgres(target.value);
    assert.ok(!refused.ok);
    assert.match(refused.error.message, /cannot be reached: .*(certificate|self.signed)/i);
  } finally {
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("the throwaway cluster takes settings after its own (fsync=on undoes fsync=off)", async () => {
  await using pg = await startPostgres({ settings: ["fsync=on", "synchronous_commit=off"] });
  const shown = await pg.psql(
    "SELECT current_setting('fsync') || ' ' || current_setting('synchronous_commit')",
  );
  assert.equal(shown.trim(), "on off");
});
