/**
 * The wizard's first step with inputs the server never lets through (more than 10 files,
 * more than 16,383 characters): the end-to-end tests cannot produce them, so the wizard is
 * driven here directly with a recording context.
 */

import assert from "node:assert/strict";
import type { FileInfo } from "@mattermost/types/files";
import type { Post } from "@mattermost/types/posts";
import { ok, type RestTransport } from "@postbot/framework";
import { recordingContext } from "@postbot/framework/testing";
import { MAX_POST_RUNES } from "@postbot/framework/text";
import { EMPTY_CHANNELS_CONFIG } from "../channels/parse.ts";
import type { Attribution } from "../config.ts";
import { MAX_FILES } from "../broadcast/rules.ts";
import { Wizard } from "./wizard.ts";

const ALICE = "a".repeat(26);
const DM = "d".repeat(26);

/** A wizard whose collaborators are stand-ins: the first step needs none of them. */
function wizard(attribution: Attribution = "none") {
  const dms: string[] = [];
  const unused = (what: string) => () => {
    throw new Error(`the first step does not ${what}`);
  };
  const w = new Wizard({
    config: {
      broadcastAttribution: attribution,
      sessionTtlSeconds: 600,
      broadcastChannelMentions: "admins",
      broadcastConfirmThreshold: 25,
      botLogChannelId: "",
    },
    channels: { config: EMPTY_CHANNELS_CONFIG },
    cache: {
      all: () => [],
      find: () => [],
      lookup: () => Promise.resolve(undefined),
      lookupByName: () => Promise.resolve(undefined),
    },
    privacy: {
      viewer: (userId, admin) => ({ userId, admin, canSee: () => Promise.resolve(true) }),
    },
    transport: {} as RestTransport,
    broadcasts: { send: unused("send"), undo: unused("undo"), undoWindowSeconds: 3600 },
    notifier: {
      rememberDm: () => {},
      dm: (_user: string, text: string) => {
        dms.push(text);
        return Promise.resolve(ok(undefined));
      },
    },
  }, {
    ttlMs: 600_000,
    cleanupIntervalMs: 60_000,
  });
  return { w, dms };
}

/** A DM from alice, and the replies the wizard makes to it. */
function message(text: string, fileCount = 0) {
  const files: FileInfo[] = Array.from({ length: fileCount }, (_, i) =>
    ({
      id: String(i).padStart(26, "f"),
      name: `f${i}.txt`,
      size: i + 1,
      mime_type: "text/plain",
    }) as FileInfo);
  return recordingContext({
    post: {
      id: "p".repeat(26),
      user_id: ALICE,
      channel_id: DM,
      message: text,
      file_ids: files.map((f) => f.id),
      metadata: { files } as Post["metadata"],
    },
    channelId: DM,
    bot: { userId: "b".repeat(26), username: "postbot", teamId: "t".repeat(26), teamName: "t" },
  });
}

Deno.test("more than 10 files are refused at the start, with the reason", async () => {
  const { w } = wizard();
  const { ctx, replies } = message("too many", MAX_FILES + 1);
  await w.handle(ctx);
  assert.equal(replies.length, 1);
  assert.match(replies[0], /That message has 11 files; a post can carry at most 10\./);
  assert.equal(w.sessions.get(ALICE), undefined, "no broadcast was started");
});

Deno.test("10 files start a broadcast with their names and sizes", async () => {
  const { w } = wizard();
  const { ctx, replies } = message("ten", MAX_FILES);
  await w.handle(ctx);
  assert.match(replies[0], /Where should I send this \(with 10 files\)\?/);
  const state = w.sessions.get(ALICE);
  assert.equal(state?.kind, "choosing_targets");
  assert.deepEqual(
    state?.kind === "choosing_targets" ? state.draft.files.map((f) => [f.name, f.size]) : [],
    Array.from({ length: 10 }, (_, i) => [`f${i}.txt`, i + 1]),
  );
});

Deno.test("a message over 16,383 characters is refused at the start", async () => {
  const { w } = wizard();
  const { ctx, replies } = message("é".repeat(MAX_POST_RUNES + 1));
  await w.handle(ctx);
  assert.match(replies[0], /That message is 16,384 characters long; Mattermost allows 16,383\./);
  assert.equal(w.sessions.get(ALICE), undefined);
});

Deno.test("characters are counted as Mattermost does (runes, not UTF-16 units)", async () => {
  const { w } = wizard();
  const { ctx, replies } = message("🎉".repeat(MAX_POST_RUNES));
  await w.handle(ctx);
  assert.match(replies[0], /Where should I send this/);
});

Deno.test("the sender line counts towards the limit when attribution is on", async () => {
  const { w } = wizard("footer");
  const { ctx, replies } = message("x".repeat(MAX_POST_RUNES - 10));
  await w.handle(ctx);
  assert.match(replies[0], /characters long with the sender line; Mattermost allows 16,383/);
});

Deno.test("a blank message without files is answered, and opens no session", async () => {
  for (const text of ["   ", "\n\t", "\u200b\u2060", "\u3000\u00a0", "\u2800"]) {
    const { w } = wizard();
    const { ctx, replies } = message(text);
    await w.handle(ctx);
    assert.equal(replies.length, 1, JSON.stringify(text));
    assert.match(replies[0], /no text I can see.*nothing to broadcast/);
    assert.equal(w.sessions.get(ALICE), undefined);
  }
});

Deno.test("an expired session tells the user, in words that fit the TTL", async () => {
  const { w, dms } = wizard();
  await w.expire(ALICE, {
    kind: "choosing_targets",
    draft: { sourcePostId: "p", message: "m", files: [] },
  });
  assert.match(dms[0], /No answer within 10 minutes, so your broadcast was \*\*not sent\*\*/);
  await w.expire(ALICE, { kind: "confirming_undo", broadcastId: "k3m9x2qa", resume: null });
  assert.match(dms[1], /broadcast `k3m9x2qa` was \*\*not\*\* deleted/);
});

Deno.test("answerHasSideEffects: yes (or a send time) to a preview or a question acts; other answers do not", () => {
  const { w } = wizard();
  const draft = { sourcePostId: "p", message: "m", files: [] };
  assert.equal(w.answerHasSideEffects(ALICE, "yes"), false, "no session: a new message");
  w.sessions.set(ALICE, { kind: "choosing_targets", draft });
  assert.equal(w.answerHasSideEffects(ALICE, "yes"), false, "naming targets sends nothing");
  w.sessions.set(ALICE, { kind: "confirming", draft, answer: "all", targets: [] });
  for (const text of ["yes", "Y", "yes 42", "at 14:00", "in 2 hours"]) {
    assert.equal(w.answerHasSideEffects(ALICE, text), true, text);
  }
  for (const text of ["no", "cancel", "what?"]) {
    assert.equal(w.answerHasSideEffects(ALICE, text), false, text);
  }
  w.sessions.set(ALICE, { kind: "confirming_undo", broadcastId: "k3m9x2qa", resume: null });
  assert.equal(w.answerHasSideEffects(ALICE, "yes"), true);
  assert.equal(w.answerHasSideEffects(ALICE, "no"), false);
  w.sessions.set(ALICE, { kind: "editing", broadcastId: "k3m9x2qa", resume: null });
  assert.equal(w.answerHasSideEffects(ALICE, "yes"), false, "the new text is only previewed");
  w.sessions.set(ALICE, {
    kind: "confirming_edit",
    broadcastId: "k3m9x2qa",
    text: "t",
    resume: null,
  });
  assert.equal(w.answerHasSideEffects(ALICE, "yes"), true);
  w.close();
});
