/**
 * A broadcast's deliveries read the way every long read of the log reads them (a page of 500
 * at a time in `seq` order, `BroadcastLog.eachDelivery`), with the schema before migration 11
 * (indexed by `broadcast_id` alone) and with it (`(broadcast_id, seq)`): five broadcasts of
 * 10,000 people in an in-memory SQLite database, one of them read whole, the median of 7.
 *
 * @module
 */

import { openDatabase } from "@postbot/framework/sqlite";
import { BroadcastLog } from "../src/postbot/broadcast/log.ts";
import { SqliteDatabase } from "../src/postbot/database/sqlite_database.ts";
import { MIGRATIONS } from "../src/postbot/migrations.ts";
import type { BenchRow } from "./support.ts";

const BROADCASTS = 5;
const PEOPLE = 10_000;
const RUNS = 7;

/** Milliseconds to read one broadcast's deliveries with the schema up to `version`. */
async function readTime(version: number): Promise<number> {
  const opened = openDatabase(":memory:", MIGRATIONS.filter((m) => m.version <= version));
  if (!opened.ok) throw new Error(opened.error.message);
  const db = opened.value;
  try {
    const insert = db.prepare(
      `INSERT INTO deliveries (broadcast_id, kind, user_id, reach_json, name, display_name,
         status, post_id, updated_at, seq) VALUES (?, 'person', ?, '{}', ?, ?, 'delivered', ?, 0, ?)`,
    );
    db.exec("BEGIN");
    for (let b = 0; b < BROADCASTS; b++) {
      db.prepare(
        `INSERT INTO broadcasts (id, sender_id, sender_username, created_at, target_answer,
           message, status) VALUES (?, ?, 'alice', 0, 'everyone', 'Hello', 'done')`,
      ).run(`b${b}`, "u".repeat(26));
      for (let i = 1; i <= PEOPLE; i++) {
        insert.run(`b${b}`, `u${i}`.padEnd(26, "x"), `person${i}`, `Person ${i}`, `p${b}-${i}`, i);
      }
    }
    db.exec("COMMIT");
    const log = new BroadcastLog(new SqliteDatabase(db));
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      let read = 0;
      for await (const _ of log.eachDelivery("b3")) read++;
      times.push(performance.now() - started);
      if (read !== PEOPLE) throw new Error(`read ${read} of ${PEOPLE}`);
    }
    return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
  } finally {
    db.close();
  }
}

/** Both schemas' times. */
export async function pagedReadsBenchmark(): Promise<BenchRow[]> {
  const before = await readTime(10);
  const after = await readTime(11);
  return [{
    name: `One broadcast's ${PEOPLE.toLocaleString("en")} deliveries read in pages of 500 ` +
      `(of ${BROADCASTS} such broadcasts, SQLite in memory)`,
    result: `indexed by broadcast_id: ${before.toFixed(1)} ms; by (broadcast_id, seq), ` +
      `migration 11: ${after.toFixed(1)} ms (${(before / after).toFixed(1)}x)`,
    aim: "—",
  }];
}

if (import.meta.main) {
  for (const r of await pagedReadsBenchmark()) console.log(`| ${r.name} | ${r.result} |`);
}
