import assert from "node:assert/strict";
import { type Claim, ClaimBatcher, MAX_BATCH } from "./claim_batch.ts";

const claim = (postId: string): Claim => ({ postId, channelId: "c", createAt: 1 });

/**
 * A writer that records each batch and holds it until released (`release(n)` lets batch n
 * through, before or after it arrives); writes every id not written before.
 */
function heldWriter() {
  const batches: string[][] = [];
  const seen = new Set<string>();
  const gates: PromiseWithResolvers<void>[] = [];
  const gate = (n: number) => gates[n] ??= Promise.withResolvers<void>();
  const write = async (claims: readonly Claim[]) => {
    const n = batches.push(claims.map((c) => c.postId)) - 1;
    await gate(n).promise;
    const written = claims.map((c) => c.postId).filter((id) => !seen.has(id));
    for (const id of written) seen.add(id);
    return new Set(written);
  };
  return { batches, write, release: (n: number) => gate(n).resolve() };
}

Deno.test("claim batch: the first claim goes at once, the next ones together", async () => {
  const writer = heldWriter();
  const batcher = new ClaimBatcher(writer.write);
  const first = batcher.claim(claim("p1"));
  assert.deepEqual(writer.batches, [["p1"]], "sent before anything else is awaited");
  const next = ["p2", "p3", "p2", "p1"].map((id) => batcher.claim(claim(id)));
  assert.equal(writer.batches.length, 1, "the others wait for the statement in flight");
  writer.release(0);
  assert.equal(await first, true);
  writer.release(1);
  assert.deepEqual(await Promise.all(next), [true, true, false, false]);
  assert.deepEqual(writer.batches, [["p1"], ["p2", "p3", "p1"]], "each post once per batch");
});

Deno.test("claim batch: a failed statement fails its claims only", async () => {
  let fail = true;
  const batcher = new ClaimBatcher((claims) => {
    if (fail) return Promise.reject(new Error("down"));
    return Promise.resolve(new Set(claims.map((c) => c.postId)));
  });
  const failed = [batcher.claim(claim("p1")), batcher.claim(claim("p2"))];
  for (const f of failed) await assert.rejects(f, /down/);
  fail = false;
  assert.equal(await batcher.claim(claim("p1")), true);
});

Deno.test("claim batch: no statement carries more than MAX_BATCH claims", async () => {
  const batches: number[] = [];
  const batcher = new ClaimBatcher((claims) => {
    batches.push(claims.length);
    return Promise.resolve(new Set(claims.map((c) => c.postId)));
  });
  const all = Array.from({ length: 2 * MAX_BATCH + 2 }, (_, i) => batcher.claim(claim(`p${i}`)));
  assert.ok((await Promise.all(all)).every((claimed) => claimed));
  assert.deepEqual(batches, [1, MAX_BATCH, MAX_BATCH, 1]);
});
