/**
 * The run history of task plugins, in the `task_runs` table: one row per trigger, written
 * when a run starts (`running`) and completed when it ends, so a crash leaves evidence that
 * the next start turns into `interrupted`.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

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
  readonly #db: DatabaseSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  /** Records the start of a run; returns its id. */
  start(task: string, trigger: TriggerKind, triggeredBy: string | null, startedAt: number): number {
    const result = this.#db.prepare(
      `INSERT INTO task_runs (task, trigger, triggered_by, started_at, outcome)
       VALUES (?, ?, ?, ?, 'running')`,
    ).run(task, trigger, triggeredBy, startedAt);
    return Number(result.lastInsertRowid);
  }

  /** Records how a run ended. */
  finish(id: number, outcome: Exclude<RunOutcome, "running">, durationMs: number, error?: string) {
    this.#db.prepare(
      "UPDATE task_runs SET outcome = ?, duration_ms = ?, error = ? WHERE id = ?",
    ).run(outcome, Math.round(durationMs), error ?? null, id);
  }

  /** Records a trigger that was skipped because the task was still running. */
  skipped(
    task: string,
    trigger: TriggerKind,
    triggeredBy: string | null,
    at: number,
    reason: string,
  ): void {
    this.#db.prepare(
      `INSERT INTO task_runs (task, trigger, triggered_by, started_at, duration_ms, outcome, error)
       VALUES (?, ?, ?, ?, 0, 'skipped', ?)`,
    ).run(task, trigger, triggeredBy, at, reason);
  }

  /** The latest run of a task that actually ran (skipped triggers aside). */
  lastRun(task: string): TaskRunRecord | undefined {
    const row = this.#db.prepare(
      `SELECT * FROM task_runs WHERE task = ? AND outcome != 'skipped'
       ORDER BY started_at DESC, id DESC LIMIT 1`,
    ).get(task) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** A task's most recent rows, newest first. */
  recent(task: string, limit: number): TaskRunRecord[] {
    const rows = this.#db.prepare(
      "SELECT * FROM task_runs WHERE task = ? ORDER BY started_at DESC, id DESC LIMIT ?",
    ).all(task, limit) as unknown as Row[];
    return rows.map(fromRow);
  }

  /** Rows still `running` from a previous process become `interrupted`; returns how many. */
  markInterrupted(reason: string): number {
    const result = this.#db.prepare(
      "UPDATE task_runs SET outcome = 'interrupted', error = ? WHERE outcome = 'running'",
    ).run(reason);
    return Number(result.changes);
  }

  /** Forgets rows older than `before` (epoch ms); returns how many. */
  prune(before: number): number {
    const result = this.#db.prepare("DELETE FROM task_runs WHERE started_at < ?").run(before);
    return Number(result.changes);
  }
}
