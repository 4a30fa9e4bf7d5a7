import assert from "node:assert/strict";
import { SessionStore } from "@postbot/framework";
import type { Database } from "../database/port.ts";
import { testOnBothEngines } from "../database/testing.ts";
import { NEVER } from "../database/fencing.ts";
import type { Conversation, Draft } from "../wizard/conversation.ts";
import { decodeConversation } from "../wizard/decode.ts";
import { StoredSessionBackend } from "./sessions.ts";
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
function store(db: Database, now: () => number, fence?: () => string) {
  return new SessionStore<Conversation>({
    ttlMs: 60_000,
    cleanupIntervalMs: 1_000,
    onExpire: () => {},
    backend: new StoredSessionBackend<Conversation>(db, decodeConversation, fence),
    now,
  });
}

testOnBothEngines(
  "StoredSessionBackend: every conversation state is the same after a restart",
  async (db) => {
    let now = 1_000_000;
    const before = store(db, () => now);
    for (const [kind, state] of Object.entries(STATES)) before.set(`user-${kind}`, state);
    before.delete("user-editing");
    await before.flush();
    // A new store on the same database is what the bot builds after a restart (or another
    // instance taking over).
    now += 30_000;
    const after = store(db, () => now);
    await after.load();
    assert.equal(after.size, Object.keys(STATES).length - 1);
    for (const [kind, state] of Object.entries(STATES)) {
      assert.deepEqual(after.get(`user-${kind}`), kind === "editing" ? undefined : state, kind);
    }
    // The time-to-live is kept too: the sessions lapse 60 s after they were set, not after
    // the restart.
    now += 30_000;
    assert.equal(after.get("user-confirming"), undefined);
  },
);

testOnBothEngines(
  "StoredSessionBackend: an instance that lost the lease writes nothing",
  async (db) => {
    const active = store(db, Date.now);
    active.set("alice", STATES.choosing_targets);
    await active.flush();
    const stale = store(db, Date.now, () => NEVER);
    stale.set("alice", STATES.confirming);
    stale.set("bob", STATES.confirming);
    stale.delete("alice");
    await stale.flush();
    const reader = store(db, Date.now);
    await reader.load();
    assert.deepEqual(reader.get("alice"), STATES.choosing_targets);
    assert.equal(reader.get("bob"), undefined);
  },
);

testOnBothEngines(
  "StoredSessionBackend: a row that is not JSON, or an old or unknown shape, loads as unreadable",
  async (db) => {
    {
      const rows: [string, string][] = [
        ["broken", "{not json"],
        ["old", JSON.stringify({ kind: "confirming_send", draft, targets })],
        ["no-targets", JSON.stringify({ kind: "confirming", draft, answer: "all" })],
        ["bad-file", JSON.stringify({ kind: "choosing_targets", draft: { ...draft, files: [1] } })],
        ["bad-resume", JSON.stringify({ kind: "confirming_undo", broadcastId: "x", resume: {} })],
        ["null", "null"],
      ];
      for (const [user, json] of rows) {
        await db.run(
          "INSERT INTO sessions (user_id, state_json, expires_at) VALUES (?, ?, ?)",
          [user, json, Date.now() + 60_000],
        );
      }
      const backend = new StoredSessionBackend<Conversation>(db, decodeConversation);
      await backend.save("fine", {
        state: STATES.choosing_targets,
        expiresAt: Date.now() + 60_000,
      });
      const loaded = new Map(
        (await backend.loadAll()).map(([user, entry]) => [user, entry.state]),
      );
      assert.deepEqual(loaded.get("fine"), STATES.choosing_targets);
      assert.deepEqual(loaded.get("broken"), { kind: "unreadable", stored: "no step" });
      assert.deepEqual(loaded.get("old"), { kind: "unreadable", stored: "confirming_send" });
      assert.deepEqual(loaded.get("no-targets"), { kind: "unreadable", stored: "confirming" });
      assert.deepEqual(loaded.get("bad-file"), { kind: "unreadable", stored: "choosing_targets" });
      assert.deepEqual(loaded.get("bad-resume"), { kind: "unreadable", stored: "confirming_undo" });
      assert.deepEqual(loaded.get("null"), { kind: "unreadable", stored: "no step" });
    }
  },
);
