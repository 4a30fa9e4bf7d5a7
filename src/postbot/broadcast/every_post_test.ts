import assert from "node:assert/strict";
import { type ChannelDelivery, targetKey } from "./model.ts";
import { MattermostError, type RestTransport } from "@postbot/framework";
import { delivery } from "./fixtures_test.ts";
import { applyToEveryPost, POSTS_AT_ONCE, unchangedLines } from "./every_post.ts";

/** A transport answering each path after `delayMs`, failing with `status` when one is given. */
function transport(
  answer: (path: string) => { delayMs: number; status?: number },
): { transport: RestTransport; peak: () => number; paths: string[] } {
  let inFlight = 0;
  let peak = 0;
  const paths: string[] = [];
  const fake = {
    api: (path: string) => path,
    send: async (path: string) => {
      paths.push(path);
      inFlight++;
      peak = Math.max(peak, inFlight);
      const { delayMs, status } = answer(path);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      inFlight--;
      if (status !== undefined) {
        throw new MattermostError({
          kind: "http",
          status,
          message: `HTTP ${status}`,
          attempts: 1,
          route: path,
        });
      }
      return new Response("{}");
    },
  };
  return { transport: fake as unknown as RestTransport, peak: () => peak, paths };
}

const posts = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].map((n) =>
  delivery(`chan-${n}`, "delivered")
);

Deno.test("every post is worked on, at most POSTS_AT_ONCE at a time", async () => {
  const t = transport(() => ({ delayMs: 2 }));
  const done: string[] = [];
  const outcome = await applyToEveryPost(t.transport, posts, {
    request: (d) => ({
      path: `/posts/${(d as ChannelDelivery).channelId}`,
      init: { method: "DELETE" },
    }),
    onDone: (d) => done.push((d as ChannelDelivery).name),
    why: () => "never",
  });
  assert.equal(outcome.changed, posts.length);
  assert.deepEqual(outcome.failed, []);
  assert.deepEqual(done.toSorted(), posts.map((p) => (p as ChannelDelivery).name));
  assert.equal(t.peak(), POSTS_AT_ONCE);
});

Deno.test("failures come in the posts' order; an already-done answer counts as changed", async () => {
  // The first post fails last: the report still names it first.
  const t = transport((path) =>
    path.includes("chan-a")
      ? { delayMs: 30, status: 403 }
      : path.includes("chan-c")
      ? { delayMs: 1, status: 500 }
      : path.includes("chan-d")
      ? { delayMs: 1, status: 404 }
      : { delayMs: 1 }
  );
  const done: string[] = [];
  const outcome = await applyToEveryPost(t.transport, posts.slice(0, 5), {
    request: (d) => ({
      path: `/posts/${(d as ChannelDelivery).channelId}`,
      init: { method: "DELETE" },
    }),
    alreadyDone: (e) => e instanceof MattermostError && e.status === 404,
    onDone: (d) => done.push((d as ChannelDelivery).name),
    why: (e) => `HTTP ${(e as MattermostError).status}`,
  });
  assert.equal(outcome.changed, 3);
  assert.deepEqual(done.toSorted(), ["chan-b", "chan-d", "chan-e"]);
  assert.deepEqual(
    outcome.failed.map((f) => [(f.delivery as ChannelDelivery).name, f.why]),
    [["chan-a", "HTTP 403"], ["chan-c", "HTTP 500"]],
  );
});

Deno.test("unchangedLines names a post with why, and counts the hidden ones", () => {
  const failed = [
    { delivery: delivery("office-paris", "delivered"), why: "the post is no longer there" },
    { delivery: delivery("secret-one", "delivered"), why: "HTTP 403" },
    { delivery: delivery("secret-two", "delivered"), why: "HTTP 403" },
  ];
  const hidden = new Set([targetKey(failed[1].delivery), targetKey(failed[2].delivery)]);
  assert.deepEqual(unchangedLines(failed, hidden), [
    "- ~office-paris (office paris): the post is no longer there",
    "- 2 private channels you are not a member of",
  ]);
  assert.deepEqual(unchangedLines([], new Set()), []);
});
