/**
 * The schema of postbot's database, as numbered migrations. Append new steps; never edit a
 * released one.
 *
 * @module
 */

import type { Migration } from "@postbot/framework/sqlite";

/**
 * The columns scheduled_broadcasts was created with (version 2) up to its status, whose CHECK
 * version 6 widened: both steps spell them from here.
 */
const SCHEDULED_COLUMNS = `        id              TEXT PRIMARY KEY,
        sender_id       TEXT NOT NULL,
        sender_username TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        due_at          INTEGER NOT NULL,
        zone            TEXT NOT NULL,
        target_answer   TEXT NOT NULL,
        channels        INTEGER NOT NULL,
        message         TEXT NOT NULL,
        files_json      TEXT NOT NULL DEFAULT '[]',
        source_post_id  TEXT,
        status          TEXT NOT NULL
`;

/** An approver's decision in a round: approval_decisions (version 6) and edit_decisions (7). */
const DECISION_COLUMNS = `        round             INTEGER NOT NULL,
        approver_id       TEXT NOT NULL,
        approver_username TEXT NOT NULL,
        decision          TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
        reason            TEXT NOT NULL DEFAULT '',
        at                INTEGER NOT NULL,
        PRIMARY KEY (broadcast_id, round, approver_id)`;

/** What a table rebuild takes: SQLite changes a column's CHECK only by copying the table. */
interface Rebuild {
  readonly table: string;
  /** The new table's name until it replaces `table`. */
  readonly temporary: string;
  /** The new table's column definitions, as they stand between its parentheses. */
  readonly columns: string;
  /** The new table's columns that are filled, and what fills them from `table`'s rows. */
  readonly into: string;
  readonly select: string;
}

/**
 * A table rebuilt: created anew under a temporary name, the rows copied in the order they
 * were written (`rowid`; migrations_postgres.ts drops the order there), the old table
 * dropped and the new one renamed. Indexes are the caller's to create again.
 */
function rebuildTable({ table, temporary, columns, into, select }: Rebuild): string {
  return `CREATE TABLE ${temporary} (${columns}      );
      INSERT INTO ${temporary} (${into})
        SELECT ${select}
        FROM ${table} ORDER BY rowid;
      DROP TABLE ${table};
      ALTER TABLE ${temporary} RENAME TO ${table};`;
}

/** Every schema step, oldest first. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "broadcast log, deliveries, audit events, processed posts, sessions, task runs",
    sql: `
      CREATE TABLE broadcasts (
        id              TEXT PRIMARY KEY,
        sender_id       TEXT NOT NULL,
        sender_username TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        finished_at     INTEGER,
        target_answer   TEXT NOT NULL,
        message         TEXT NOT NULL,
        files_json      TEXT NOT NULL DEFAULT '[]',
        source_post_id  TEXT,
        status          TEXT NOT NULL
          CHECK (status IN ('pending', 'done', 'interrupted', 'aborted')),
        error           TEXT
      );
      CREATE INDEX broadcasts_by_sender ON broadcasts (sender_id, created_at);
      CREATE TABLE deliveries (
        broadcast_id         TEXT NOT NULL REFERENCES broadcasts (id),
        channel_id           TEXT NOT NULL,
        channel_name         TEXT NOT NULL,
        channel_display_name TEXT NOT NULL,
        status               TEXT NOT NULL
          CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'deleted')),
        post_id              TEXT,
        error                TEXT,
        attempts             INTEGER NOT NULL DEFAULT 0,
        updated_at           INTEGER NOT NULL,
        PRIMARY KEY (broadcast_id, channel_id)
      );
      CREATE TABLE broadcast_events (
        id             INTEGER PRIMARY KEY,
        broadcast_id   TEXT NOT NULL REFERENCES broadcasts (id),
        at             INTEGER NOT NULL,
        actor_id       TEXT NOT NULL,
        actor_username TEXT NOT NULL,
        action         TEXT NOT NULL,
        detail         TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE processed_posts (
        post_id    TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        create_at  INTEGER NOT NULL
      );
      CREATE INDEX processed_posts_by_time ON processed_posts (create_at);
      CREATE TABLE sessions (
        user_id    TEXT PRIMARY KEY,
        state_json TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE TABLE task_runs (
        id           INTEGER PRIMARY KEY,
        task         TEXT NOT NULL,
        trigger      TEXT NOT NULL CHECK (trigger IN ('schedule', 'command')),
        triggered_by TEXT,
        started_at   INTEGER NOT NULL,
        duration_ms  INTEGER,
        outcome      TEXT NOT NULL
          CHECK (outcome IN ('running', 'ok', 'failed', 'timeout', 'skipped', 'interrupted')),
        error        TEXT
      );
      CREATE INDEX task_runs_by_task ON task_runs (task, started_at);
    `,
  },
  {
    version: 2,
    description: "scheduled broadcasts (send later)",
    sql: `
      CREATE TABLE scheduled_broadcasts (
${SCHEDULED_COLUMNS}          CHECK (status IN ('scheduled', 'sent', 'cancelled', 'failed')),
        started_at      INTEGER,
        error           TEXT
      );
      CREATE INDEX scheduled_by_due ON scheduled_broadcasts (status, due_at);
      CREATE INDEX scheduled_by_sender ON scheduled_broadcasts (sender_id, due_at);
    `,
  },
  {
    version: 3,
    description: "DM channels marked read while a post in them was not handled yet",
    sql: `
      CREATE TABLE unsettled_channels (
        channel_id TEXT PRIMARY KEY,
        after      INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    description: "people as recipients: deliveries to a channel or a person, DM channels kept",
    // The deliveries table is rebuilt: a row is a channel's (channel_id) or a person's
    // (user_id, and how they were reached), never both; the rows so far are channels'.
    sql: `
      ${
      rebuildTable({
        table: "deliveries",
        temporary: "deliveries_v4",
        columns: `
        broadcast_id  TEXT NOT NULL REFERENCES broadcasts (id),
        kind          TEXT NOT NULL CHECK (kind IN ('channel', 'person')),
        channel_id    TEXT,
        user_id       TEXT,
        reach_json    TEXT,
        name          TEXT NOT NULL,
        display_name  TEXT NOT NULL,
        status        TEXT NOT NULL
          CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'deleted')),
        post_id       TEXT,
        error         TEXT,
        attempts      INTEGER NOT NULL DEFAULT 0,
        updated_at    INTEGER NOT NULL,
        CHECK (
          (kind = 'channel' AND channel_id IS NOT NULL AND user_id IS NULL
            AND reach_json IS NULL) OR
          (kind = 'person' AND user_id IS NOT NULL AND channel_id IS NULL
            AND reach_json IS NOT NULL)
        )
`,
        into: `broadcast_id, kind, channel_id, name, display_name, status,
          post_id, error, attempts, updated_at`,
        select: `broadcast_id, 'channel', channel_id, channel_name, channel_display_name, status,
          post_id, error, attempts, updated_at`,
      })
    }
      CREATE INDEX deliveries_by_broadcast ON deliveries (broadcast_id);
      CREATE UNIQUE INDEX deliveries_channel ON deliveries (broadcast_id, channel_id)
        WHERE kind = 'channel';
      CREATE UNIQUE INDEX deliveries_person ON deliveries (broadcast_id, user_id)
        WHERE kind = 'person';
      CREATE TABLE direct_channels (
        user_id    TEXT PRIMARY KEY,
        channel_id TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    description: "what people did with a broadcast: seen, acknowledged, reminded; its options",
    // Options the sender chose at the preview travel with the broadcast (and a scheduled one):
    // asking for acknowledgement, Mattermost's priority label, an automatic reminder. A
    // delivery keeps the count of messages in its channel right after the broadcast's post:
    // a member whose msg_count reached it has seen the post (the server shows nobody another
    // member's last_viewed_at). People who saw, acknowledged or were reminded are rows of
    // their own, written once.
    sql: `
      ALTER TABLE broadcasts ADD COLUMN ack_requested INTEGER NOT NULL DEFAULT 0
        CHECK (ack_requested IN (0, 1));
      ALTER TABLE broadcasts ADD COLUMN priority TEXT NOT NULL DEFAULT ''
        CHECK (priority IN ('', 'important', 'urgent'));
      ALTER TABLE broadcasts ADD COLUMN remind_after_ms INTEGER CHECK (remind_after_ms > 0);
      ALTER TABLE scheduled_broadcasts ADD COLUMN ack_requested INTEGER NOT NULL DEFAULT 0
        CHECK (ack_requested IN (0, 1));
      ALTER TABLE scheduled_broadcasts ADD COLUMN priority TEXT NOT NULL DEFAULT ''
        CHECK (priority IN ('', 'important', 'urgent'));
      ALTER TABLE scheduled_broadcasts ADD COLUMN remind_after_ms INTEGER
        CHECK (remind_after_ms > 0);
      ALTER TABLE deliveries ADD COLUMN seen_threshold INTEGER;
      CREATE TABLE seen (
        broadcast_id TEXT NOT NULL REFERENCES broadcasts (id),
        user_id      TEXT NOT NULL,
        seen_at      INTEGER NOT NULL,
        PRIMARY KEY (broadcast_id, user_id)
      );
      CREATE TABLE acknowledgements (
        broadcast_id TEXT NOT NULL REFERENCES broadcasts (id),
        user_id      TEXT NOT NULL,
        at           INTEGER NOT NULL,
        via          TEXT NOT NULL CHECK (via IN ('button', 'reaction')),
        post_id      TEXT NOT NULL,
        PRIMARY KEY (broadcast_id, user_id)
      );
      CREATE TABLE reminders (
        broadcast_id TEXT NOT NULL REFERENCES broadcasts (id),
        user_id      TEXT NOT NULL,
        at           INTEGER NOT NULL,
        post_id      TEXT,
        error        TEXT,
        PRIMARY KEY (broadcast_id, user_id, at)
      );
      CREATE TABLE reminders_due (
        broadcast_id TEXT PRIMARY KEY REFERENCES broadcasts (id),
        due_at       INTEGER NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('waiting', 'sent', 'cancelled'))
      );
      CREATE INDEX reminders_due_by_time ON reminders_due (status, due_at);
      CREATE TABLE settings (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    description: "broadcasts awaiting approval, and the approvers' decisions",
    // A broadcast that needs approval is kept like a scheduled one (its files included) in
    // the state 'awaiting_approval' until enough approvers said yes ('scheduled': the due
    // loop sends it), one said no ('rejected') or its time ran out ('expired'). The table
    // is rebuilt for the wider CHECK. `approval_json` holds who may approve (resolved at the
    // sender's yes) and how many must; an edit starts a new `approval_round`, so decisions of
    // an earlier text no longer count. `immediate`: sent once approved, not at a set time.
    sql: `
      ${
      rebuildTable({
        table: "scheduled_broadcasts",
        temporary: "scheduled_v6",
        columns: `
${SCHEDULED_COLUMNS}          CHECK (status IN ('awaiting_approval', 'scheduled', 'sent', 'cancelled', 'failed',
            'rejected', 'expired')),
        started_at      INTEGER,
        error           TEXT,
        ack_requested   INTEGER NOT NULL DEFAULT 0 CHECK (ack_requested IN (0, 1)),
        priority        TEXT NOT NULL DEFAULT ''
          CHECK (priority IN ('', 'important', 'urgent')),
        remind_after_ms INTEGER CHECK (remind_after_ms > 0),
        immediate       INTEGER NOT NULL DEFAULT 0 CHECK (immediate IN (0, 1)),
        approval_json   TEXT,
        approval_round  INTEGER NOT NULL DEFAULT 0,
        expires_at      INTEGER,
        CHECK (status <> 'awaiting_approval' OR
          (approval_json IS NOT NULL AND expires_at IS NOT NULL))
`,
        into: `id, sender_id, sender_username, created_at, due_at, zone,
          target_answer, channels, message, files_json, source_post_id, status, started_at,
          error, ack_requested, priority, remind_after_ms`,
        select: `id, sender_id, sender_username, created_at, due_at, zone, target_answer,
          channels, message, files_json, source_post_id, status, started_at, error,
          ack_requested, priority, remind_after_ms`,
      })
    }
      CREATE INDEX scheduled_by_due ON scheduled_broadcasts (status, due_at);
      CREATE INDEX scheduled_by_sender ON scheduled_broadcasts (sender_id, due_at);
      CREATE INDEX scheduled_by_expiry ON scheduled_broadcasts (status, expires_at);
      CREATE TABLE approval_decisions (
        broadcast_id      TEXT NOT NULL REFERENCES scheduled_broadcasts (id),
${DECISION_COLUMNS}
      );
    `,
  },
  {
    version: 7,
    description: "edits of sent broadcasts awaiting approval",
    // `!edit` of a sent broadcast to an audience with approvers asks them first: the new text
    // waits here ('awaiting_approval') until enough approvals ('approved': the posts are
    // being changed; 'applied' once they are), one rejection ('rejected'), its time running
    // out ('expired') or a newer edit or `!cancel` ('withdrawn'). At most one awaits per
    // broadcast. Rounds continue the broadcast's approval rounds, so an Approve button of an
    // earlier request never counts for this one. Decisions have a table of their own: the
    // broadcast may have been sent without approval (no scheduled row to refer to).
    sql: `
      CREATE TABLE edit_approvals (
        broadcast_id      TEXT NOT NULL REFERENCES broadcasts (id),
        round             INTEGER NOT NULL,
        editor_id         TEXT NOT NULL,
        editor_username   TEXT NOT NULL,
        old_message       TEXT NOT NULL,
        message           TEXT NOT NULL,
        requirements_json TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('awaiting_approval', 'approved',
          'applied', 'rejected', 'expired', 'withdrawn')),
        created_at        INTEGER NOT NULL,
        expires_at        INTEGER NOT NULL,
        PRIMARY KEY (broadcast_id, round)
      );
      CREATE UNIQUE INDEX edit_approvals_one_open ON edit_approvals (broadcast_id)
        WHERE status = 'awaiting_approval';
      CREATE INDEX edit_approvals_by_expiry ON edit_approvals (status, expires_at);
      CREATE TABLE edit_decisions (
        broadcast_id      TEXT NOT NULL,
${DECISION_COLUMNS},
        FOREIGN KEY (broadcast_id, round) REFERENCES edit_approvals (broadcast_id, round)
      );
    `,
  },
  {
    version: 8,
    description: "an explicit order of rows, for PostgreSQL (which has no rowid)",
    // Broadcasts, deliveries, scheduled broadcasts and approval decisions were listed in
    // rowid order (the order they were written). A shared PostgreSQL store has no rowid: the
    // order is a column of its own now, numbered as rowid numbered it so far. A delivery's
    // seq is its place among its broadcast's targets.
    sql: `
      ALTER TABLE broadcasts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      UPDATE broadcasts SET seq = rowid;
      ALTER TABLE deliveries ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      UPDATE deliveries SET seq = rowid;
      ALTER TABLE scheduled_broadcasts ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      UPDATE scheduled_broadcasts SET seq = rowid;
      ALTER TABLE approval_decisions ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
      UPDATE approval_decisions SET seq = rowid;
    `,
  },
  {
    version: 9,
    description: "files of scheduled broadcasts in the shared database (PostgreSQL)",
    // With DATABASE_URL whichever instance is active when a broadcast is due sends it, so
    // its files wait in the database, not on one instance's disk (scheduled_files.ts).
    // SQLite keeps them in SCHEDULED_FILES_DIR; the table stays empty there.
    sql: `
      CREATE TABLE scheduled_files (
        broadcast_id TEXT NOT NULL,
        idx          INTEGER NOT NULL,
        content      BLOB NOT NULL,
        PRIMARY KEY (broadcast_id, idx)
      );
    `,
  },
  {
    version: 10,
    description: "files every instance shares through the database (channels.toml)",
    // With DATABASE_URL the instances may run on hosts without a shared directory: the
    // active keeps the text of channels.toml here at every write, and an instance that
    // becomes active takes it when it is newer than its own file (storage/shared_files.ts).
    // SQLite: one instance, one file; the table stays empty there.
    sql: `
      CREATE TABLE shared_files (
        name       TEXT PRIMARY KEY,
        content    TEXT NOT NULL,
        written_at INTEGER NOT NULL,
        written_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 11,
    description: "a broadcast's deliveries indexed in their order",
    // Every long read of a broadcast's deliveries goes a page at a time in seq order (pages.ts).
    // Indexed by broadcast_id alone, each page sorted all of the broadcast's rows again: 20
    // pages of a 10,000-person broadcast sorted 10,000 rows each. The new index serves every
    // lookup the old one did.
    sql: `
      CREATE INDEX deliveries_in_order ON deliveries (broadcast_id, seq);
      DROP INDEX deliveries_by_broadcast;
    `,
  },
];
