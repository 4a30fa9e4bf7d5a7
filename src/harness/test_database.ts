/**
 * The switch that runs the integration tests on PostgreSQL: with
 * `POSTBOT_TEST_DATABASE=postgres` (the `test:postgres` task) every scenario's bot gets a
 * `DATABASE_URL` of its own, a fresh database in one throwaway cluster per test process;
 * otherwise the bot keeps its SQLite file. `POSTBOT_TEST_POSTGRES_SETTINGS` adds server settings
 * to the cluster (`name=value`, separated by spaces), e.g. `fsync=on synchronous_commit=off` for
 * a benchmark comparing durability with SQLite's.
 *
 * @module
 */

import { startPostgres, type ThrowawayPostgres } from "./throwaway_postgres.ts";

let cluster: Promise<ThrowawayPostgres> | undefined;

/** Whether the tests run the bot on PostgreSQL (POSTBOT_TEST_DATABASE=postgres). */
export function testsOnPostgres(): boolean {
  return Deno.env.get("POSTBOT_TEST_DATABASE") === "postgres";
}

/** `{ DATABASE_URL }` of a fresh database when the tests run on PostgreSQL, else nothing. */
export async function testDatabaseEnv(): Promise<Record<string, string>> {
  if (!testsOnPostgres()) return {};
  if (cluster === undefined) {
    cluster = startPostgres({ settings: extraSettings() });
    cluster.then((pg) => globalThis.addEventListener("unload", () => pg.stopNow()), () => {});
  }
  return { DATABASE_URL: await (await cluster).createDatabase() };
}

/**
 * For `Deno.test`/`t.step` `ignore`: true when the tests run the bot on PostgreSQL. For the
 * tests about the SQLite file itself (its lock, a damaged file, `quick_check`, `DB_PATH`'s
 * preflight), which have no PostgreSQL counterpart; the reason is documentation for the
 * reader, and such tests count as ignored under `deno task test:postgres`.
 */
export function sqliteOnly(_reason: string): boolean {
  return testsOnPostgres();
}

/** The server settings of POSTBOT_TEST_POSTGRES_SETTINGS (see the module's doc). */
function extraSettings(): string[] {
  return (Deno.env.get("POSTBOT_TEST_POSTGRES_SETTINGS") ?? "").split(/\s+/).filter((s) =>
    s !== ""
  );
}
