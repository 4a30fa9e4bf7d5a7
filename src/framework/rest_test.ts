import assert from "node:assert/strict";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld } from "@postbot/mattermost-emulator/testing";
import { bodyLength, RequestWithheld, RestTransport, retryAfterMs } from "./rest.ts";
import { Secret } from "./secret.ts";
import { failure, FAST_BACKOFF, withTransport } from "./test_support.ts";

const FAST = FAST_BACKOFF;

Deno.test("RestTransport: authenticated GET returns JSON", async () => {
  await withTransport(async (t, w, statuses) => {
    const me = await t.getJson<{ id: string; username: string }>("/users/me");
    assert.equal(me.id, w.bot.user.id);
    assert.deepEqual(statuses, ["200 GET /api/v4/users/me"]);
    assert.equal(t.api("/users/me"), `${w.emu.url}/api/v4/users/me`);
  });
});

Deno.test("RestTransport: a 429 with Retry-After is waited out and retried", async () => {
  await withTransport(async (t, w, statuses) => {
    w.emu.faults.rateLimit = { perSec: 1, maxBurst: 0 };
    await t.getJson("/users/me");
    const me = await t.getJson<{ id: string }>("/users/me");
    assert.equal(me.id, w.bot.user.id);
    assert.deepEqual(statuses.map((s) => s.slice(0, 3)), ["200", "429", "200"]);
    const limited = w.emu.requests.filter((r) => r.status === 429);
    assert.equal(limited.length, 1);
  });
});

Deno.test("RestTransport: mayProceed is asked before each try; no means nothing is sent", async () => {
  await withTransport(async (t, w, statuses) => {
    w.emu.faults.failRequests({ path: "/posts", status: 429, times: 1, body: "limit exceeded" });
    let asked = 0;
    // Yes to the first try (answered 429), no to the retry after the wait.
    const mayProceed = () => ++asked === 1;
    const body = JSON.stringify({ channel_id: w.town.id, message: "hi" });
    await assert.rejects(
      t.send(t.api("/posts"), { method: "POST", body, mayProceed }),
      (e) => e instanceof RequestWithheld && /POST \/api\/v4\/posts was withheld/.test(e.message),
    );
    assert.equal(asked, 2);
    assert.deepEqual(statuses, ["429 POST /api/v4/posts"], "the retry never went out");
    await assert.rejects(
      t.send(t.api("/users/me"), { mayProceed: () => false }),
      RequestWithheld,
    );
    assert.equal(statuses.length, 1, "a request withheld at once sends nothing");
  });
});

Deno.test("RestTransport: still limited after the allowed attempts is a rate_limited error", async () => {
  await withTransport(async (t, w) => {
    w.emu.faults.failRequests({ path: "/users/me", status: 429, times: 5, body: "limit exceeded" });
    const e = await failure(t.getJson("/users/me"));
    assert.equal(e.kind, "rate_limited");
    assert.equal(e.status, 429);
    assert.equal(e.attempts, 2);
    assert.equal(e.transient, true);
  }, { rateLimitAttempts: 2 });
});

Deno.test("RestTransport: GET is retried on 500 and succeeds", async () => {
  await withTransport(async (t, w, statuses) => {
    w.emu.faults.failRequests({ method: "GET", path: "/users/me", status: 500, times: 2 });
    const me = await t.getJson<{ id: string }>("/users/me");
    assert.equal(me.id, w.bot.user.id);
    assert.deepEqual(statuses.map((s) => s.slice(0, 3)), ["500", "500", "200"]);
  });
});

Deno.test("RestTransport: GET gives up after the idempotent attempts with the last error", async () => {
  await withTransport(async (t, w) => {
    w.emu.faults.failRequests({ method: "GET", path: "/users/me", status: 502, times: Infinity });
    const e = await failure(t.getJson("/users/me"));
    assert.equal(e.status, 502);
    assert.equal(e.attempts, 3);
    assert.equal(e.transient, true);
    assert.equal(w.emu.requests.filter((r) => r.path === "/api/v4/users/me").length, 3);
  }, { idempotentAttempts: 3 });
});

Deno.test("RestTransport: POST is not retried on 500 (it may have taken effect)", async () => {
  await withTransport(async (t, w, statuses) => {
    w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 500 });
    const e = await failure(t.send(t.api("/posts"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ channel_id: w.dm.id, message: "once" }),
    }));
    assert.equal(e.status, 500);
    assert.equal(e.attempts, 1);
    assert.equal(e.route, "POST /api/v4/posts");
    assert.deepEqual(statuses, ["500 POST /api/v4/posts"]);
    assert.equal(w.emu.store.postsIn(w.dm.id).length, 0);
  });
});

Deno.test("RestTransport: errors map to MattermostError with status and server error id", async () => {
  await withTransport(async (t, w) => {
    const missing = await failure(t.getJson("/channels/abcdefghijklmnopqrstuvwxyz"));
    assert.equal(missing.kind, "http");
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.serverErrorId, "string");
    assert.match(missing.serverErrorId!, /app_error$/);
    assert.equal(missing.transient, false);
    assert.equal(missing.route, "GET /api/v4/channels/abcdefghijklmnopqrstuvwxyz");
    assert.equal(missing.attempts, 1);

    const forbidden = await failure(t.getJson(`/channels/${w.secret.id}`));
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.serverErrorId ?? "", /permission/);

    w.emu.faults.failRequests({ path: "/users/me", status: 400, body: "not json at all" });
    const plain = await failure(t.getJson("/users/me"));
    assert.equal(plain.status, 400);
    assert.equal(plain.serverErrorId, undefined);
    assert.equal(plain.message, "not json at all");
  });
});

Deno.test("RestTransport.getJsonObjects: the objects of a JSON array, as getJson reads them", async () => {
  await withTransport(async (t, w, statuses) => {
    const path = `/users/me/teams/${w.team.id}/channels`;
    const whole = await t.getJson<{ id: string }[]>(path);
    const each = await Array.fromAsync(t.getJsonObjects<{ id: string }>(path));
    assert.ok(whole.length > 1);
    assert.deepEqual(each, whole);
    assert.equal(statuses.length, 2);
    const forbidden = t.getJsonObjects(`/channels/${w.secret.id}/members`);
    const e = await failure(Array.fromAsync(forbidden));
    assert.equal(e.status, 403);
    await assert.rejects(Array.fromAsync(t.getJsonObjects("/users/me")), SyntaxError);
  });
});

Deno.test("RestTransport: a route never carries the query string", async () => {
  await withTransport(async (t, w) => {
    w.emu.faults.failRequests({ path: "/users/me", status: 400 });
    const e = await failure(t.getJson("/users/me?secret=1"));
    assert.equal(e.route, "GET /api/v4/users/me");
  });
});

Deno.test("RestTransport: the token never appears in an error", async () => {
  const emu = await startEmulator();
  try {
    const w = seedWorld(emu);
    const wrong = "wrongtokenwrongtokenwrong1";
    const rejected = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(wrong),
      backoff: FAST,
    });
    const e401 = await failure(rejected.getJson("/users/me"));
    assert.equal(e401.status, 401);

    // A proxy or server that echoes the credentials back in its error body.
    const t = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(w.bot.token),
      backoff: FAST,
    });
    emu.faults.failRequests({
      path: "/users/me",
      status: 400,
      body: JSON.stringify({ id: "x.app_error", message: `invalid token ${w.bot.token}` }),
    });
    const echoed = await failure(t.getJson("/users/me"));
    emu.faults.failRequests({ path: "/users/me", status: 401, body: `Bearer ${w.bot.token}` });
    const echoedText = await failure(t.getJson("/users/me"));

    const unreachable = new RestTransport({
      serverUrl: "http://127.0.0.1:1",
      token: new Secret(w.bot.token),
      backoff: FAST,
      idempotentAttempts: 1,
    });
    const network = await failure(unreachable.getJson("/users/me"));
    assert.equal(network.kind, "network");
    assert.equal(network.status, 0);
    assert.equal(network.transient, true);

    for (
      const [e, token] of [[e401, wrong], [echoed, w.bot.token], [echoedText, w.bot.token], [
        network,
        w.bot.token,
      ]] as const
    ) {
      for (const text of [e.message, String(e), Deno.inspect(e), JSON.stringify(e)]) {
        assert.equal(text.includes(token), false, text);
      }
    }
    assert.match(echoed.message, /\[redacted\]/);
  } finally {
    await emu.stop();
  }
});

Deno.test("RestTransport: no answer within the timeout is a timeout error", async () => {
  await withTransport(async (t, w) => {
    w.emu.faults.latencyMs = 600;
    const e = await failure(t.getJson("/users/me"));
    assert.equal(e.kind, "timeout");
    assert.equal(e.status, 0);
    assert.match(e.message, /within 0\.1 s/);
    w.emu.faults.latencyMs = 0;
  }, { timeoutMs: 100, idempotentAttempts: 1 });
});

Deno.test("RestTransport: an abort signal cancels a request", async () => {
  await withTransport(async (t, w) => {
    w.emu.faults.latencyMs = 600;
    const controller = new AbortController();
    const pending = t.getJson("/users/me", controller.signal);
    controller.abort(new Error("stop now"));
    await assert.rejects(pending, /stop now/);
    w.emu.faults.latencyMs = 0;
  });
});

Deno.test("RestTransport.downloadFile returns the stored bytes", async () => {
  await withTransport(async (t, w) => {
    const bytes = new TextEncoder().encode("hello file");
    const info = w.emu.store.uploadFile(w.alice.user.id, w.dm.id, "a.txt", bytes, "text/plain");
    w.emu.store.createPost(w.alice.user.id, {
      channel_id: w.dm.id,
      message: "",
      file_ids: [info.id],
    });
    const blob = await t.downloadFile(info.id);
    assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), bytes);
  });
});

Deno.test("RestTransport.downloadFile reads a file from a gzip server into one buffer", async () => {
  await using emu = await startEmulator({ webserverMode: "gzip" });
  const w = seedWorld(emu);
  const t = new RestTransport({ serverUrl: emu.url, token: new Secret(w.bot.token) });
  const bytes = new TextEncoder().encode("a line of minutes\n".repeat(90_000));
  const info = emu.store.uploadFile(w.alice.user.id, w.dm.id, "m.txt", bytes, "text/plain");
  emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "", file_ids: [info.id] });
  const file = await t.downloadFile(info.id);
  // Without a length (compressed, no X-Uncompressed-Content-Length) it would come in 1 MiB pieces.
  assert.equal(file.pieces, 1, "one buffer of the announced length");
  assert.deepEqual(file.bytes(), bytes);
});

Deno.test("bodyLength: Content-Length, or X-Uncompressed-Content-Length once compressed", () => {
  assert.equal(bodyLength(new Headers({ "Content-Length": "1234" })), 1234);
  assert.equal(
    bodyLength(new Headers({ "Content-Length": "99", "Content-Encoding": "gzip" })),
    undefined,
  );
  assert.equal(
    bodyLength(new Headers({ "Content-Encoding": "gzip", "X-Uncompressed-Content-Length": "5" })),
    5,
  );
  assert.equal(bodyLength(new Headers({ "Content-Length": "-3" })), undefined);
  assert.equal(bodyLength(new Headers()), undefined);
});

Deno.test("retryAfterMs reads Retry-After, then X-Ratelimit-Reset, in seconds", () => {
  assert.equal(retryAfterMs(new Headers({ "Retry-After": "2" })), 2_000);
  assert.equal(retryAfterMs(new Headers({ "X-Ratelimit-Reset": "1" })), 1_000);
  assert.equal(retryAfterMs(new Headers({ "Retry-After": "3", "X-Ratelimit-Reset": "9" })), 3_000);
  assert.equal(retryAfterMs(new Headers({ "Retry-After": "0" })), 50);
  assert.equal(
    retryAfterMs(new Headers({ "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" })),
    undefined,
  );
  assert.equal(retryAfterMs(new Headers()), undefined);
});
