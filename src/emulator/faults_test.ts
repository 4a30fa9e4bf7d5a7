import assert from "node:assert/strict";
import { FaultState } from "./faults.ts";

function makeState() {
  const calls: string[] = [];
  const state = new FaultState({
    dropSockets: () => calls.push("drop"),
    setSilent: (s) => calls.push(`silent:${s}`),
    changed: () => calls.push("changed"),
  });
  return { state, calls };
}

Deno.test("rules match relative or full paths, by method, and count down", () => {
  const { state } = makeState();
  state.failRequests({ method: "post", path: "/posts", status: 500, times: 2 });
  assert.equal(state.takeRule("GET", "/api/v4/posts"), undefined);
  assert.equal(state.takeRule("POST", "/api/v4/posts")?.status, 500);
  assert.equal(state.takeRule("POST", "/api/v4/posts")?.status, 500);
  assert.equal(state.takeRule("POST", "/api/v4/posts"), undefined);
});

Deno.test("templates and regexps match, afterHandling is reported", () => {
  const { state } = makeState();
  state.failRequests({ path: "/channels/{channel_id}/posts", status: 502, afterHandling: true });
  state.failRequests({ path: /^\/api\/v4\/files/, status: 503 });
  assert.deepEqual(state.takeRule("GET", "/api/v4/channels/abc/posts"), {
    status: 502,
    body: undefined,
    afterHandling: true,
  });
  assert.equal(state.takeRule("POST", "/api/v4/files")?.status, 503);
});

Deno.test("rateLimit setter creates a limiter and clear() resets everything", () => {
  const { state, calls } = makeState();
  state.rateLimit = { perSec: 1, maxBurst: 0 };
  assert.ok(state.limiter);
  state.latencyMs = 50;
  state.networkDown = true;
  state.silentSockets = true;
  state.failRequests({ path: "/x", status: 500 });
  state.clear();
  assert.equal(state.limiter, null);
  assert.equal(state.rateLimit, null);
  assert.equal(state.latencyMs, 0);
  assert.equal(state.networkDown, false);
  assert.equal(state.silentSockets, false);
  assert.equal(state.takeRule("GET", "/api/v4/x"), undefined);
  assert.ok(calls.includes("silent:true") && calls.includes("silent:false"));
});

Deno.test("failRequests rejects non-positive counts", () => {
  const { state } = makeState();
  assert.throws(() => state.failRequests({ path: "/x", status: 500, times: 0 }));
});

Deno.test("holdNextRequest: takes the next match once; clear() lets every held request go", async () => {
  const { state } = makeState();
  const held = state.holdNextRequest({ method: "POST", path: "/posts" });
  const waiting = state.holdNextRequest({ path: "/users/me" });
  assert.equal(state.takeHold("GET", "/api/v4/posts"), undefined, "another method");
  const gate = state.takeHold("POST", "/api/v4/posts");
  assert.ok(gate, "the matching request is held");
  await held.arrived;
  assert.equal(state.takeHold("POST", "/api/v4/posts"), undefined, "only the next one");
  state.clear();
  await gate;
  assert.equal(state.takeHold("GET", "/api/v4/users/me"), undefined, "cleared before it came");
  waiting.release();
});
