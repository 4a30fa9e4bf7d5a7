/**
 * The mention guard against the server's own decision. Every text of
 * `tests/fixtures/mention_corpus.json` (code points next to `@all`, `@channel`, `@here`:
 * letters newer than the server's Unicode tables, marks, format characters, punctuation,
 * character references) is posted by a user in a channel whose other member is online; the
 * member's `mention_count` says whether the server notified them. The guard must refuse every
 * text that notified, and the server must decide as recorded in the corpus (on the emulator this
 * pins the emulator to the real server; on the real server it says when a new server decides
 * otherwise). `POSTBOT_RECORD_MENTION_CORPUS=1 deno task e2e tests/mention_corpus_test.ts`
 * records the real server's decisions into the corpus.
 */

import assert from "node:assert/strict";
import type { ChannelMembership } from "@mattermost/types/channels";
import { channelWideMentions } from "@postbot/framework/mentions";
import { BACKEND, type Person, startScenario } from "@postbot/harness";
import { corpusJson } from "../scripts/unicode/mention_corpus.ts";

const CORPUS = new URL("./fixtures/mention_corpus.json", import.meta.url);
const RECORD = Deno.env.get("POSTBOT_RECORD_MENTION_CORPUS") === "1";

interface Case {
  text: string;
  what: string;
  notifies: boolean | null;
}

interface Corpus {
  about: string;
  recorded_on: string;
  cases: Case[];
}

/** A REST call as a person; the JSON answer, or a thrown error naming the status. */
async function call<T>(url: string, who: Person, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}/api/v4${path}`, {
    method,
    headers: { Authorization: `Bearer ${who.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** `text` with what cannot be seen written as \u escapes, for failure messages. */
function shown(text: string): string {
  return JSON.stringify(text).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

Deno.test("mention corpus: the guard refuses every text the server notifies of", async () => {
  const corpus = JSON.parse(await Deno.readTextFile(CORPUS)) as Corpus;
  let poster: Person | undefined;
  let reader: Person | undefined;
  let channelId = "";
  const s = await startScenario({
    startBot: false,
    prepare: async (server, world) => {
      poster = await server.createUser({ username: "corpus-poster" });
      reader = await server.createUser({ username: "corpus-reader" });
      await server.addTeamMember(world.team.id, poster.user.id);
      await server.addTeamMember(world.team.id, reader.user.id);
      const channel = await server.createChannel(
        { team_id: world.team.id, name: "mention-corpus", type: "O" },
        [poster.user.id, reader.user.id],
      );
      world.channels["mention-corpus"] = channel;
      channelId = channel.id;
    },
  });
  try {
    const who = reader!;
    // @here notifies only those online: the reader is, by hand, for the whole run.
    await call(s.url, who, "PUT", `/users/${who.user.id}/status`, {
      user_id: who.user.id,
      status: "online",
    });
    const mentions = async () =>
      (await call<ChannelMembership>(
        s.url,
        who,
        "GET",
        `/channels/${channelId}/members/${who.user.id}`,
      )).mention_count;
    let count = await mentions();
    const observed: boolean[] = [];
    for (const c of corpus.cases) {
      await call(s.url, poster!, "POST", "/posts", { channel_id: channelId, message: c.text });
      const now = await mentions();
      observed.push(now > count);
      count = now;
    }

    const missed = corpus.cases
      .filter((c, i) => observed[i] && channelWideMentions(c.text).length === 0)
      .map((c) => `${shown(c.text)} (${c.what})`);
    assert.deepEqual(missed, [], "texts the server notified of but the guard let through");
    assert.ok(observed.some((o) => o), "no text notified: the observation itself is broken");
    assert.ok(observed.some((o) => !o), "every text notified: the observation itself is broken");

    if (RECORD && BACKEND === "real") {
      const ping = await fetch(`${s.url}/api/v4/system/ping`);
      await ping.body?.cancel();
      const version = (ping.headers.get("X-Version-Id") ?? "unknown").split(".").slice(0, 3);
      corpus.recorded_on = `Mattermost ${version.join(".")}`;
      corpus.cases.forEach((c, i) => c.notifies = observed[i]);
      await Deno.writeTextFile(CORPUS, corpusJson(corpus));
      return;
    }
    const differs = corpus.cases
      .filter((c, i) => c.notifies !== observed[i])
      .map((c) =>
        `${shown(c.text)}: recorded ${c.notifies}, now ${observed[corpus.cases.indexOf(c)]}`
      );
    assert.deepEqual(differs, [], `the ${BACKEND} server decides otherwise than recorded`);
  } finally {
    await s.stop();
  }
});
