/**
 * Names for PostgreSQL's prepared statements. A statement sent with a name is parsed and
 * planned once per connection and only bound and executed afterwards; the fenced writes carry
 * a subquery on the lease, whose parsing and planning cost more than running them (issue 23,
 * bench/pg_claim.ts). Each distinct SQL text gets a name of its own, so the number of prepared
 * statements is the number of distinct statements postbot sends (a bounded set: the fence's
 * epoch changes only at a takeover).
 *
 * A prepared statement whose result columns changed under it (another instance migrated the
 * shared database, `SELECT *` now has a column more) fails with PostgreSQL's "cached plan must
 * not change result type"; {@link PreparedNames.renew} then moves every statement to new
 * names, prepared afresh on their next use.
 *
 * @module
 */

/** The statement names of one pool. */
export class PreparedNames {
  readonly #numbers = new Map<string, number>();
  #generation = 0;

  /** The name of `sql` (in PostgreSQL's form) in the current generation. */
  of(sql: string): string {
    let n = this.#numbers.get(sql);
    if (n === undefined) {
      n = this.#numbers.size + 1;
      this.#numbers.set(sql, n);
    }
    return `postbot_${this.#generation}_${n}`;
  }

  /** Moves every statement to a new name: each is prepared again on its next use. */
  renew(): void {
    this.#generation++;
  }
}

/** Whether `e` is PostgreSQL refusing a prepared statement whose result columns changed. */
export function stalePlan(e: unknown): boolean {
  return e instanceof Error && (e as { code?: unknown }).code === "0A000" &&
    /cached plan must not change result type/i.test(e.message);
}
