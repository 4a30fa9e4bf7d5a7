/**
 * The run history of task plugins, in the `task_runs` table: one row per trigger, written
 * when a run starts (`running`) and completed when it ends, so a crash leaves evidence that
 * the next start turns into `interrupted`. Starting a run is fenced (postbot's lease): an
 * instance that is not the active one starts none.
 *
 * @module
 */

/**
 * What the history needs of a database: postbot's database port (`src/postbot/database`)
 * fits it, on SQLite or PostgreSQL.
 */
export interface TaskRunsDatabase {
  query(
    sql: string,
    params?: readonly (string | number | null)[],
  ): Promise<Record<string, unknown>[]>;
  run(sql: string, params?: readonly (string | number | null)[]): Promise<number>;
}

/** How a run ended (`running` while it has not). */
export type RunOutcome = "running" | "ok" | "failed" | "timeout" | "skipped" | "interrupted";

/** What started a run. */
export type TriggerKind = "schedule" | "command";

/** One row of `task_runs`. */
export interface TaskRunRecord {
  readonly id: number;
  readonly task: string;
  readonly trigger: TriggerKind;
  /** Username for `!run`; null for the schedule. */
  readonly triggeredBy: string | null;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number | null;
  readonly outcome: RunOutcome;
  readonly error: string | null;
}

interface Row {
  id: number;
  task: string;
  trigger: TriggerKind;
  triggered_by: string | null;
  started_at: number;
  duration_ms: number | null;
  outcome: RunOutcome;
  error: string | null;
}

const fromRow = (row: Row): TaskRunRecord => ({
  id: row.id,
  task: row.task,
  trigger: row.trigger,
  triggeredBy: row.triggered_by,
  startedAt: row.started_at,
  durationMs: row.duration_ms,
  outcome: row.outcome,
  error: row.error,
});

/** Reads and writes `task_runs`. */
export class TaskHistory {
  readonly #db: TaskRunsDatabase;
  readonly #fence: () => string;

  /** `fence`: the SQL condition under which this instance may start a run (always, alone). */
  constructor(db: TaskRunsDatabase, fence: () => string = () => "1 = 1") {
    this.#db = db;
    this.#fence = fence;
  }

  /** Records the start of a run; its id, or null when this instance may not start runs. */
  async start(
    task: string,
    trigger: TriggerKind,
    triggeredBy: string | null,
    startedAt: number,
  ): Promise<number | null> {
    const [row] = await this.#db.query(
      `INSERT INTO task_runs (task, trigger, triggered_by, started_at, outcome)
       SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS INTEGER), 'running'
       WHERE ${this.#fence()} RETURNING id`,
      [task, trigger, triggeredBy, startedAt],
    );
    return row === undefined ? null : Number(row.id);
  }

  /** Records how a run ended. */
  async finish(
    id: number,
    outcome: Exclude<RunOutcome, "running">,
    durationMs: number,
    error?: string,
  ): Promise<void> {
    await this.#db.run(
      "UPDATE task_runs SET outcome = ?, duration_ms = ?, error = ? WHERE id = ?",
      [outcome, Math.round(durationMs), error ?? null, id],
    );
  }

  /** Records a trigger that was skipped because the task was still running. */
  async skipped(
    task: string,
    trigger: TriggerKind,
    triggeredBy: string | null,
    at: number,
    reason: string,
  ): Promise<void> {
    await this.#db.run(
      `INSERT INTO task_runs (task, trigger, triggered_by, started_at, duration_ms, outcome, error)
       VALUES (?, ?, ?, ?, 0, 'skipped', ?)`,
      [task, trigger, triggeredBy, at, reason],
    );
  }

  /** The latest run of a task that actually ran (skipped triggers aside). */
  async lastRun(task: string): Promise<TaskRunRecord | undefined> {
    const [row] = await this.#db.query(
      `SELECT * FROM task_runs WHERE task = ? AND outcome != 'skipped'
       ORDER BY started_at DESC, id DESC LIMIT 1`,
      [task],
    );
    return row === undefined ? undefined : fromRow(row as unknown as Row);
  }

  /** A task's most recent rows, newest first. */
  async recent(task: string, limit: number): Promise<TaskRunRecord[]> {
    const rows = await this.#db.query(
      "SELECT * FROM task_runs WHERE task = ? ORDER BY started_at DESC, id DESC LIMIT ?",
      [task, limit],
    );
    return rows.map((r) => fromRow(r as unknown as Row));
  }

  /** Rows still `running` from a previous process become `interrupted`; returns how many. */
  markInterrupted(reason: string): Promise<number> {
    return this.#db.run(
      "UPDATE task_runs SET outcome = 'interrupted', error = ? WHERE outcome = 'running'",
      [reason],
    );
  }

  /** Forgets rows older than `before` (epoch ms); returns how many. */
  prune(before: number): Promise<number> {
    return this.#db.run("DELETE FROM task_runs WHERE started_at < ?", [before]);
  }
}
