import assert from "node:assert/strict";
import type { DatabaseSync } from "node:sqlite";
import { SessionStore } from "@postbot/framework";
import { openDatabase } from "@postbot/framework/sqlite";
import { MIGRATIONS } from "../migrations.ts";
import type { Conversation, Draft } from "../wizard/conversation.ts";
import { decodeConversation } from "../wizard/decode.ts";
import { SqliteSessionBackend } from "./sessions.ts";
import type { ResolvedTarget } from "../targets/resolution.ts";

const draft: Draft = {
  sourcePostId: "p".repeat(26),
  message: "Hello\n@channel ü 🎉 'quoted' \"twice\" \\ back",
  files: [{ id: "f".repeat(26), name: "a b.pdf", size: 12, mimeType: "application/pdf" }],
};
const targets: ResolvedTarget[] = [{
  kind: "channel" as const,
  channelId: "c".repeat(26),
  name: "town-square",
  displayName: "Town Square",
  type: "O",
  botIsMember: true,
  via: ["all"],
}];
const confirming: Conversation = {
  kind: "confirming",
  draft,
  answer: "all",
  targets,
  members: 120,
  later: { at: 1_800_000_000_000, zone: "Europe/Berlin" },
  options: { ack: true, priority: "urgent", remindAfterMs: 86_400_000 },
};

/** One state of every kind (a new kind does not compile until it is added here). */
const STATES: { [K in Conversation["kind"]]: Extract<Conversation, { kind: K }> } = {
  choosing_targets: { kind: "choosing_targets", draft },
  confirming,
  confirming_undo: { kind: "confirming_undo", broadcastId: "k3m9x2qa", resume: null },
  confirming_cancel: { kind: "confirming_cancel", broadcastId: "k3m9x2qb", resume: confirming },
  confirming_remind: { kind: "confirming_remind", broadcastId: "k3m9x2qe", resume: confirming },
  editing: {
    kind: "editing",
    broadcastId: "k3m9x2qc",
    resume: { kind: "choosing_targets", draft },
  },
  confirming_edit: {
    kind: "confirming_edit",
    broadcastId: "k3m9x2qd",
    text: "new text\n**bold**",
    resume: confirming,
  },
  unreadable: { kind: "unreadable", stored: "confirming_send" },
};

/** A session store as the app builds it, on `db`. */
function store(db: DatabaseSync, now: () => number) {
  return new SessionStore<Conversation>({
    ttlMs: 60_000,
    cleanupIntervalMs: 1_000,
    onExpire: () => {},
    backend: new SqliteSessionBackend<Conversation>(db, decodeConversation),
    now,
  });
}

Deno.test("SqliteSessionBackend: every conversation state is the same after a restart", () => {
  const opened = openDatabase(":memory:", MIGRATIONS);
  assert.ok(opened.ok);
  try {
    let now = 1_000_000;
    const before = store(opened.value, () => now);
    for (const [kind, state] of Object.entries(STATES)) before.set(`user-${kind}`, state);
    before.delete("user-editing");
    // A new store on the same database is what the bot builds after a restart.
    now += 30_000;
    const after = store(opened.value, () => now);
    assert.equal(after.size, Object.keys(STATES).length - 1);
    for (const [kind, state] of Object.entries(STATES)) {
      assert.deepEqual(after.get(`user-${kind}`), kind === "editing" ? undefined : state, kind);
    }
    // The time-to-live is kept too: the sessions lapse 60 s after they were set, not after
    // the restart.
    now += 30_000;
    assert.equal(after.get("user-confirming"), undefined);
  } finally {
    opened.value.close();
  }
});

Deno.test("SqliteSessionBackend: a row that is not JSON, or an old or unknown shape, loads as unreadable", () => {
  const opened = openDatabase(":memory:", MIGRATIONS);
  assert.ok(opened.ok);
  try {
    const db = opened.value;
    const rows: [string, string][] = [
      ["broken", "{not json"],
      ["old", JSON.stringify({ kind: "confirming_send", draft, targets })],
      ["no-targets", JSON.stringify({ kind: "confirming", draft, answer: "all" })],
      ["bad-file", JSON.stringify({ kind: "choosing_targets", draft: { ...draft, files: [1] } })],
      ["bad-resume", JSON.stringify({ kind: "confirming_undo", broadcastId: "x", resume: {} })],
      ["null", "null"],
    ];
    for (const [user, json] of rows) {
      db.prepare("INSERT INTO sessions (user_id, state_json, expires_at) VALUES (?, ?, ?)")
        .run(user, json, Date.now() + 60_000);
    }
    const backend = new SqliteSessionBackend<Conversation>(db, decodeConversation);
    backend.save("fine", { state: STATES.choosing_targets, expiresAt: Date.now() + 60_000 });
    const loaded = new Map([...backend.loadAll()].map(([user, entry]) => [user, entry.state]));
    assert.deepEqual(loaded.get("fine"), STATES.choosing_targets);
    assert.deepEqual(loaded.get("broken"), { kind: "unreadable", stored: "no step" });
    assert.deepEqual(loaded.get("old"), { kind: "unreadable", stored: "confirming_send" });
    assert.deepEqual(loaded.get("no-targets"), { kind: "unreadable", stored: "confirming" });
    assert.deepEqual(loaded.get("bad-file"), { kind: "unreadable", stored: "choosing_targets" });
    assert.deepEqual(loaded.get("bad-resume"), { kind: "unreadable", stored: "confirming_undo" });
    assert.deepEqual(loaded.get("null"), { kind: "unreadable", stored: "no step" });
  } finally {
    opened.value.close();
  }
});
