/**
 * Helpers for end-to-end tests of broadcasts: walking a user through the wizard, finding the
 * bot's copies of a broadcast on the server, checking that files were relayed the right way,
 * and reading the bot's log (its store, SQLite or PostgreSQL).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import type { DmUser, Scenario } from "@postbot/harness";
import { type Database, withStore } from "./store.ts";

/** The props key the bot tags broadcast posts with. */
export const BROADCAST_PROP = "postbot_broadcast_id";

/** A file as the test user attaches it. */
export interface TestFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly mime?: string;
}

/** `n` files of random bytes (the first a binary "pdf", the rest small text files). */
export function testFiles(n: number, prefix = "file"): TestFile[] {
  return Array.from({ length: n }, (_, i) =>
    i === 0
      ? {
        name: `${prefix}-${i}.pdf`,
        bytes: crypto.getRandomValues(new Uint8Array(40_000)),
        mime: "application/pdf",
      }
      : {
        name: `${prefix}-${i}.txt`,
        bytes: new TextEncoder().encode(`${prefix} ${i} ${crypto.randomUUID()}\n`),
        mime: "text/plain",
      });
}

/** The broadcast id quoted in a bot reply ("broadcast `k3m9x2qa`"). */
export function broadcastIdIn(text: string): string {
  const m = /broadcast `([a-z0-9]+)`/i.exec(text);
  if (m === null) assert.fail(`no broadcast id in: ${text}`);
  return m[1];
}

/** "Delivered to N of M channels" → [N, M]. */
export function deliveredCount(text: string): [number, number] {
  const m = /Delivered to (\d+) of (\d+) channels?/.exec(text);
  if (m === null) assert.fail(`no delivery count in: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

/** The bot's live posts in a channel (system posts skipped), optionally of one broadcast. */
export async function botPostsIn(
  s: Scenario,
  channelId: string,
  broadcastId?: string,
): Promise<Post[]> {
  return (await s.botPostsIn(channelId)).filter((p) =>
    broadcastId === undefined || p.props?.[BROADCAST_PROP] === broadcastId
  );
}

/**
 * Runs the wizard to the end: message (with files), target answer, preview, `yes`; returns the
 * preview, the broadcast id and the final report.
 */
export async function broadcast(
  dm: DmUser,
  message: string,
  answer: string,
  files: TestFile[] = [],
): Promise<{ preview: string; id: string; report: string }> {
  await dm.send(message, files);
  await dm.replyMatching(/Where should I send this/);
  await dm.send(answer);
  const preview = await dm.replyMatching(/Ready to send|Please answer again/);
  assert.match(preview, /Ready to send/, `targets "${answer}" refused:\n${preview}`);
  await dm.send("yes");
  const id = broadcastIdIn(await dm.replyMatching(/Sending broadcast/));
  const report = await dm.replyMatching(new RegExp(`Delivered to .*broadcast \`${id}\``), 30_000);
  return { preview, id, report };
}

/**
 * Asserts that a channel holds exactly one copy of the broadcast, with `message` verbatim and
 * each file as a fresh upload by the bot to THAT channel whose bytes equal the original. A
 * relay that reused the DM's file ids fails here (those files belong to the sender and the DM).
 */
export async function assertRelayed(
  s: Scenario,
  channelId: string,
  broadcastId: string,
  message: string,
  files: TestFile[],
): Promise<Post> {
  const copies = await botPostsIn(s, channelId, broadcastId);
  const name = (await s.server.channel(channelId))?.name;
  assert.equal(copies.length, 1, `~${name} has ${copies.length} copies of ${broadcastId}`);
  const post = copies[0];
  assert.equal(post.message, message, `message in ~${name}`);
  const ids = post.file_ids ?? [];
  assert.equal(ids.length, files.length, `files in ~${name}`);
  // Mattermost sorts a post's file_ids by id: match the files by name, not by position.
  const names: string[] = [];
  for (const id of ids) {
    const info = await s.server.getFile(id);
    assert.ok(info, `file ${id} exists`);
    const expected = files.find((f) => f.name === info.name);
    assert.ok(expected, `unexpected file ${info.name} in ~${name}`);
    assert.equal(info.user_id, s.world.bot.user.id, `${info.name} in ~${name} uploaded by the bot`);
    assert.equal(info.channel_id, channelId, `${info.name} in ~${name} uploaded to that channel`);
    assert.equal(info.post_id, post.id);
    assert.deepEqual(await s.server.fileBytes(id), expected.bytes, `bytes of ${info.name}`);
    names.push(info.name);
  }
  assert.deepEqual(names.sort(), files.map((f) => f.name).sort(), `file names in ~${name}`);
  return post;
}

/** Runs `fn` on the bot's store (SQLite file or PostgreSQL, see store.ts) and closes it. */
export function withLog<T>(s: Scenario, fn: (db: Database) => Promise<T>): Promise<T> {
  return withStore(s, fn);
}

/** Row counts of the log's tables, to show a rejected input changed nothing. */
export function rowCounts(s: Scenario): Promise<Record<string, number>> {
  return withLog(s, async (db) => {
    const counts: Record<string, number> = {};
    for (const table of ["broadcasts", "deliveries", "broadcast_events"]) {
      const [row] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
      counts[table] = Number(row.n);
    }
    return counts;
  });
}

/**
 * `PRAGMA integrity_check` of the SQLite log; on PostgreSQL, whose pages are the server's
 * business, "ok" once every table of the log can be read whole.
 */
export function integrity(s: Scenario): Promise<string> {
  return withLog(s, async (db) => {
    if (db.dialect === "sqlite") {
      const [row] = await db.query("PRAGMA integrity_check");
      return String(Object.values(row)[0]);
    }
    for (const table of ["broadcasts", "deliveries", "broadcast_events"]) {
      await db.query(`SELECT * FROM ${table}`);
    }
    return "ok";
  });
}

/** One delivery row per channel of a broadcast, by channel id. */
export function deliveryRows(
  s: Scenario,
  broadcastId: string,
): Promise<Map<string, { status: string; post_id: string | null; error: string | null }>> {
  return withLog(s, async (db) => {
    const rows = await db.query<{
      channel_id: string;
      status: string;
      post_id: string | null;
      error: string | null;
    }>("SELECT channel_id, status, post_id, error FROM deliveries WHERE broadcast_id = ?", [
      broadcastId,
    ]);
    return new Map(rows.map((r) => [r.channel_id, { ...r }]));
  });
}

/**
 * Runs a test body; when it fails, prints the end of the bot's output first, so a failure
 * seen only under load can be diagnosed from the test report.
 */
export async function showingBotOutput(s: Scenario, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (e) {
    let output = "(bot not started)";
    try {
      output = s.bot.output.split("\n").slice(-120).join("\n");
    } catch {
      // No bot process.
    }
    console.error(`--- last lines of the bot's output ---\n${output}`);
    throw e;
  }
}
