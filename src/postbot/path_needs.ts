/**
 * The file accesses postbot's configuration asks for, as the startup grant check
 * (framework/grants.ts) sees them. The declaration states every path variable's use; which of
 * them are in use depends on the store: with `DATABASE_URL` the SQLite file (`DB_PATH`) and the
 * scheduled files directory are not touched (the database holds both), and a CA file named by
 * `sslrootcert` must be readable. An operator running two instances on PostgreSQL then need not
 * grant, nor make writable, places the bot never opens, and learns at startup, naming the flag,
 * that the CA file is outside `--allow-read`.
 *
 * @module
 */

import { type PathNeed, pathNeeds } from "@postbot/framework";
import { POSTBOT_DECLARATION, type PostbotConfig } from "./config.ts";

/** Variables whose places the bot leaves alone when the store is PostgreSQL. */
const SQLITE_ONLY = new Set(["DB_PATH", "SCHEDULED_FILES_DIR"]);

/** Every file access the configured bot will make; see the module's doc. */
export function postbotPathNeeds(config: PostbotConfig): PathNeed[] {
  const needs = pathNeeds(POSTBOT_DECLARATION, config);
  if (config.database === undefined) return needs;
  const caFile = config.database.caFile;
  return [
    ...needs.filter((need) => !SQLITE_ONLY.has(need.variable)),
    ...(caFile === undefined
      ? []
      : [{ variable: "DATABASE_URL", path: caFile, access: "read" as const }]),
  ];
}
