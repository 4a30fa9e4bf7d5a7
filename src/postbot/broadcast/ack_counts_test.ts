import assert from "node:assert/strict";
import type { RestTransport } from "@postbot/framework";
import { AckCounts } from "./ack_counts.ts";
import type { AckRequest } from "./ack_post.ts";
import type { DeliveryRecord } from "./model.ts";

const delivery: DeliveryRecord = {
  kind: "channel",
  channelId: "c".repeat(26),
  name: "town-square",
  displayName: "Town Square",
  status: "delivered",
  postId: "p".repeat(26),
  error: null,
  attempts: 1,
  updatedAt: 0,
};

/** A transport whose patches wait for `release` and are recorded with their count. */
function patchingTransport() {
  const patches: number[] = [];
  let release = Promise.withResolvers<void>();
  const transport = {
    api: (path: string) => path,
    send: async (_url: string, init: { body: string }) => {
      await release.promise;
      const { props } = JSON.parse(init.body);
      // A patch replaces every prop: from_bot must be written again.
      assert.equal(props.from_bot, "true");
      patches.push(props.n);
      return new Response("{}");
    },
  } as unknown as RestTransport;
  return {
    transport,
    patches,
    open() {
      release.resolve();
    },
    close() {
      release = Promise.withResolvers<void>();
    },
  };
}

const ack: AckRequest = {
  buttons: true,
  props: (_id, _target, count) => Promise.resolve({ n: count.acknowledged }),
};

Deno.test("AckCounts: a burst of changes makes one patch in flight and one more, with the last count", async () => {
  const t = patchingTransport();
  let count = 0;
  const counts = new AckCounts({
    transport: t.transport,
    ack,
    count: () => Promise.resolve(count),
  });
  for (let i = 0; i < 50; i++) {
    count++;
    counts.changed("b1", delivery);
  }
  t.open();
  await counts.idle();
  assert.deepEqual(t.patches, [1, 50], "the first as it started, then the latest once");
});

Deno.test("AckCounts: a change after the post is current patches it again", async () => {
  const t = patchingTransport();
  t.open();
  let count = 1;
  const counts = new AckCounts({
    transport: t.transport,
    ack,
    count: () => Promise.resolve(count),
  });
  counts.changed("b1", delivery);
  await counts.idle();
  count = 2;
  counts.changed("b1", delivery);
  await counts.idle();
  assert.deepEqual(t.patches, [1, 2]);
});
