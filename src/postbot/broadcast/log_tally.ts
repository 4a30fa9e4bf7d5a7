/**
 * The counts of a broadcast's deliveries as the end-of-run report needs them, asked of the
 * broadcast log's tables: the database counts, and only the records a report may name are
 * read (see report.ts's `tallyFromLog`). Part of the log (`BroadcastLog.tally`), a class of its
 * own because it only reads.
 *
 * @module
 */

import type { Database } from "../database/port.ts";
import type { Row } from "../storage/rows.ts";
import type { DeliveryRecord, DeliveryStatus } from "./model.ts";
import type { TallySource } from "./report.ts";

/** {@link TallySource} over the `deliveries` table. */
export class LogTally implements TallySource {
  readonly #db: Database;
  readonly #record: (row: Row) => DeliveryRecord;

  /** `record` turns a row of `deliveries` into its record (the log's own reading). */
  constructor(db: Database, record: (row: Row) => DeliveryRecord) {
    this.#db = db;
    this.#record = record;
  }

  /** How many recipients of each kind are in each state (a report's counts). */
  async statusCounts(
    id: string,
  ): Promise<{ kind: DeliveryRecord["kind"]; status: DeliveryStatus; n: number }[]> {
    const rows = await this.#db.query(
      `SELECT kind, status, COUNT(*) AS n FROM deliveries WHERE broadcast_id = ?
       GROUP BY kind, status`,
      [id],
    );
    return rows.map((r) => ({
      kind: r.kind === "person" ? "person" : "channel",
      status: r.status as DeliveryStatus,
      n: Number(r.n),
    }));
  }

  /**
   * The deliveries a report may name or hide, and a few more (report.ts decides): channels,
   * failures, people reached through a channel's members -- not the 10,000 people of a big run
   * that all got it.
   */
  async *eachNotableDelivery(id: string): AsyncGenerator<DeliveryRecord, void, undefined> {
    const rows = this.#db.queryEach({
      sql: `SELECT * FROM deliveries WHERE broadcast_id = ?
        AND (kind = 'channel' OR status = 'failed' OR reach_json LIKE '%members%')
        AND seq > ? ORDER BY seq LIMIT ?`,
      params: [id],
      key: "seq",
      start: 0,
    });
    for await (const row of rows) yield this.#record(row);
  }
}
