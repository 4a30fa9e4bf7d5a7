import assert from "node:assert/strict";
import {
  ackActionHandler,
  approveActionHandler,
  MAX_BODY_BYTES,
  readApproveClick,
  readClick,
} from "./actions_server.ts";

const USER = "u".repeat(26);
const POST = "p".repeat(26);
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

Deno.test("readClick takes an ack click's clicker, post and context", () => {
  const context = { broadcast: "b1", recipient: "r1", token: "t1" };
  assert.deepEqual(readClick(bytes({ user_id: USER, post_id: POST, context })), {
    userId: USER,
    postId: POST,
    context,
  });
  for (
    const bad of [
      { user_id: USER, context },
      { user_id: "short", post_id: POST, context },
      { user_id: USER, post_id: POST, context: { ...context, token: 7 } },
      { user_id: USER, post_id: POST, context: { ...context, token: "x".repeat(101) } },
      { user_id: USER, post_id: POST, context: [context] },
      [{ user_id: USER, post_id: POST, context }],
    ]
  ) assert.equal(readClick(bytes(bad)), undefined, JSON.stringify(bad).slice(0, 80));
  assert.equal(readClick(new Uint8Array([0xff, 0xfe])), undefined, "not UTF-8");
  assert.equal(readClick(new TextEncoder().encode("{")), undefined, "not JSON");
});

Deno.test("readApproveClick takes the clicker and the button's round and token", () => {
  const context = { broadcast: "b1", round: 2, token: "t1" };
  assert.deepEqual(readApproveClick(bytes({ user_id: USER, context })), {
    userId: USER,
    context,
  });
  for (
    const round of [-1, 1.5, "2"]
  ) {
    assert.equal(
      readApproveClick(bytes({ user_id: USER, context: { ...context, round } })),
      undefined,
    );
  }
  assert.equal(
    readApproveClick(bytes({ user_id: USER, context: { round: 0, token: "t" } })),
    undefined,
  );
  assert.equal(readApproveClick(bytes({ context })), undefined, "no clicker");
});

Deno.test("both handlers refuse what is not a POSTed click before deciding anything", async () => {
  const handlers = [
    ackActionHandler({ click: () => Promise.reject(new Error("not to be called")) }),
    approveActionHandler({ click: () => Promise.reject(new Error("not to be called")) }),
  ];
  const url = "http://127.0.0.1/actions";
  for (const handle of handlers) {
    assert.equal((await handle(new Request(url))).status, 405);
    const big = new Uint8Array(MAX_BODY_BYTES + 1);
    assert.equal((await handle(new Request(url, { method: "POST", body: big }))).status, 413);
    assert.equal((await handle(new Request(url, { method: "POST", body: "{}" }))).status, 400);
  }
});
