/**
 * The switch that runs the integration tests on PostgreSQL: with
 * `POSTBOT_TEST_DATABASE=postgres` (the `test:postgres` task) every scenario's bot gets a
 * `DATABASE_URL` of its own, a fresh database in one throwaway cluster per test process;
 * otherwise the bot keeps its SQLite file.
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
    cluster = startPostgres();
    cluster.then((pg) => globalThis.addEventListener("unload", () => pg.stopNow()), () => {});
  }
  return { DATABASE_URL: await (await cluster).createDatabase() };
}
