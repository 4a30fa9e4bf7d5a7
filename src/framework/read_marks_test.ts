import assert from "node:assert/strict";
import { MemoryProcessedPosts } from "./processed_posts.ts";
import { ReadMarks } from "./read_marks.ts";
import type { RestTransport } from "./rest.ts";

/** ReadMarks over a server whose channels were last posted in at `lastPostAt`. */
function marksOver(lastPostAt: Map<string, number>) {
  const viewed: string[] = [];
  const transport = {
    api: (path: string) => path,
    send: (_url: string, init: { body: string }) => {
      const channel = (JSON.parse(init.body) as { channel_id: string }).channel_id;
      viewed.push(channel);
      const times = { [channel]: lastPostAt.get(channel) ?? 0 };
      return Promise.resolve(Response.json({ status: "OK", last_viewed_at_times: times }));
    },
  } as unknown as RestTransport;
  const processed = new MemoryProcessedPosts();
  const marks = new ReadMarks({ transport, processed, quietMs: 0, accepting: () => true });
  return { marks, processed, viewed };
}

Deno.test("the bot's own posts are remembered only for a mark to come; a mark forgets", async () => {
  const last = new Map([["broadcast", 5], ["talk", 30]]);
  const { marks, processed, viewed } = marksOver(last);
  // A broadcast post in a DM nobody is talking in: nothing to mark, nothing kept.
  marks.sawOwn("broadcast", 5);
  assert.equal(marks.remembered, 0);
  // A conversation: the user's post, the bot's answer (its event), then the mark.
  marks.saw("talk", 10);
  marks.began("talk");
  marks.sawOwn("talk", 30);
  marks.settled("talk");
  await marks.flush();
  assert.deepEqual(viewed, ["talk"]);
  assert.deepEqual(await processed.unsettled(), [], "the bot's answer is the newest post: settled");
  assert.equal(marks.remembered, 0, "forgotten once marked");
});

Deno.test("a post newer than any the bot knows still leaves the channel unsettled", async () => {
  const { marks, processed } = marksOver(new Map([["talk", 50]]));
  marks.saw("talk", 10);
  marks.began("talk");
  marks.settled("talk");
  await marks.flush();
  assert.deepEqual(await processed.unsettled(), [{ channelId: "talk", after: 10 }]);
});
