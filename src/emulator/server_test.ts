import assert from "node:assert/strict";
import { startEmulator } from "./mod.ts";
import { clientFor, withWorld, type World } from "./testing.ts";

// A test CA and a certificate it signed for localhost / 127.0.0.1, valid until 2126; test-only.
const TEST_CA = `-----BEGIN CERTIFICATE-----
MIIBjTCCATOgAwIBAgIUIMHo0taKEALjBqPcoKkqiwcnXKIwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQZW11bGF0b3IgdGVzdCBDQTAgFw0yNjExMjYwNDM4MDZaGA8y
MTI2MTEwMjA0MzgwNlowGzEZMBcGA1UEAwwQZW11bGF0b3IgdGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIaSlZtj9I6LllqsRTNwJeewvzKsY7it19rR
TlQaG7vsANXSg5vz4GwGNaIOJZ4qZ8EXjCtBx86oCP+8xbGEA0WjUzBRMB0GA1Ud
DgQWBBSEI5Msh6F5PkK7a7Q091AcBiDkVTAfBgNVHSMEGDAWgBSEI5Msh6F5PkK7
a7Q091AcBiDkVTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQCM
bOXUdmes5EP1nMAq3HEkRm4Uemoimv2tCMOW97K0aQIgbUnh2CjCMGfua3ktaopJ
HeQ7at9lWV8aN2K5iy24Lg0=
-----END CERTIFICATE-----
`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBwTCCAWagAwIBAgIUMuC10odjAaTzSgeMnaoyr+KKWA0wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQZW11bGF0b3IgdGVzdCBDQTAgFw0yNjExMjYwNDM4MDZaGA8y
MTI2MTEwMjA0MzgwNlowFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0C
AQYIKoZIzj0DAQcDQgAENcjObu4zzISg0VXDEnk9RL+3n6D/Sr2Pdd0t/N1rpyBA
zm5/sK+gtJTyYW5cxynsw+oSwVhoy2V0BjSEYM90WKOBjDCBiTAaBgNVHREEEzAR
gglsb2NhbGhvc3SHBH8AAAEwCQYDVR0TBAIwADALBgNVHQ8EBAMCB4AwEwYDVR0l
BAwwCgYIKwYBBQUHAwEwHQYDVR0OBBYEFJHyZfplmcbrUpYG9fNZOWAtKRCoMB8G
A1UdIwQYMBaAFIQjkyyHoXk+QrtrtDT3UBwGIORVMAoGCCqGSM49BAMCA0kAMEYC
IQDl9xfYFp4MpDieJIs/qkB4gHp1BnWYfjyYt6N/gs3HgQIhANWI0lnuTQLHZu+j
/OOVMpeOxvKAh++EXi6pILWF+c6q
-----END CERTIFICATE-----
`;
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg2JDj1AcNMl2jFRF+
1URNuPa9eLre13WsioQj+p2jtvShRANCAAQ1yM5u7jPMhKDRVcMSeT1Ev7efoP9K
vY913S383WunIEDObn+wr6C0lPJhblzHKezD6hLBWGjLZXQGNIRgz3RY
-----END PRIVATE KEY-----
`;

function get(w: World, path: string, token = w.bot.token) {
  return fetch(`${w.emu.url}/api/v4${path}`, { headers: { Authorization: `Bearer ${token}` } });
}

Deno.test("rate limit: burst + 1 pass with headers, then 429 text with Retry-After", async () => {
  await withWorld(async (w) => {
    w.emu.faults.rateLimit = { perSec: 1, maxBurst: 2 };
    for (let i = 0; i < 3; i++) {
      const res = await get(w, "/users/me");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("x-ratelimit-limit"), "3");
      assert.equal(res.headers.get("x-ratelimit-remaining"), String(2 - i));
      assert.match(res.headers.get("x-ratelimit-reset") ?? "", /^\d+$/);
      assert.equal(res.headers.get("retry-after"), null);
      await res.body?.cancel();
    }
    const refused = await get(w, "/users/me");
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await refused.text(), "limit exceeded\n");
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(refused.headers.get("x-ratelimit-remaining"), "0");
    await assert.rejects(clientFor(w.emu, w.bot.token).getMe());
    w.emu.faults.rateLimit = null;
    const free = await get(w, "/users/me");
    assert.equal(free.headers.get("x-ratelimit-limit"), null);
    await free.body?.cancel();
  });
});

Deno.test("holdNextRequest: a held post is created only once released, others pass", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const messages = () =>
      w.emu.store.postsIn(w.town.id).filter((p) => !p.type.startsWith("system_")).map((p) =>
        p.message
      );
    const held = w.emu.faults.holdNextRequest({ method: "POST", path: "/posts" });
    const late = c.createPost({ channel_id: w.town.id, message: "late" } as never);
    await held.arrived;
    const me = await get(w, "/users/me");
    assert.equal(me.status, 200, "other requests are not held");
    await me.body?.cancel();
    const next = await c.createPost({ channel_id: w.town.id, message: "next" } as never);
    assert.equal(next.message, "next", "only the next matching request is held");
    assert.deepEqual(messages(), ["next"]);
    held.release();
    assert.equal((await late).message, "late");
    assert.deepEqual(messages(), ["next", "late"]);
  });
});

Deno.test("failRequests: before handling nothing happens, after handling the post exists", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    w.emu.faults.failRequests({ method: "POST", path: "/posts", status: 500 });
    await assert.rejects(c.createPost({ channel_id: w.town.id, message: "a" } as never), (e: {
      status_code?: number;
      server_error_id?: string;
    }) => e.status_code === 500 && e.server_error_id === "api.emulator.injected_fault.app_error");
    assert.equal(
      w.emu.store.postsIn(w.town.id).filter((p) => !p.type.startsWith("system_")).length,
      0,
    );
    w.emu.faults.failRequests({
      path: "/api/v4/posts",
      status: 502,
      afterHandling: true,
      body: "Bad Gateway",
    });
    await assert.rejects(c.createPost({ channel_id: w.town.id, message: "b" } as never));
    assert.deepEqual(
      w.emu.store.postsIn(w.town.id).filter((p) => !p.type.startsWith("system_")).map((p) =>
        p.message
      ),
      ["b"],
    );
    const ok = await c.createPost({ channel_id: w.town.id, message: "c" } as never);
    assert.equal(ok.message, "c");
    w.emu.faults.failRequests({ path: /\/users\/me$/, status: 503, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await get(w, "/users/me");
      statuses.push(res.status);
      await res.body?.cancel();
    }
    assert.deepEqual(statuses, [503, 503, 200]);
  });
});

/** Rejects when `promise` has not settled within `ms` (a guard against hanging, not a timing). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

Deno.test("latency holds every REST answer until the configured delay is over", async () => {
  let delayed!: (ms: number) => void;
  const delayRequested = new Promise<number>((resolve) => delayed = resolve);
  let release = () => {};
  const delay = (ms: number) => {
    delayed(ms);
    return new Promise<void>((resolve) => release = resolve);
  };
  await withWorld(async (w) => {
    try {
      w.emu.faults.latencyMs = 150;
      const order: string[] = [];
      const slow = get(w, "/system/ping").then(async (res) => {
        order.push("slow answered");
        await res.body?.cancel();
        return res.status;
      });
      assert.equal(await within(delayRequested, 20_000, "the latency delay"), 150);
      // While the delay is pending, a whole other request/answer round trip completes: had the
      // first answer not been held, it would have arrived by now.
      w.emu.faults.latencyMs = 0;
      const fast = await get(w, "/users/me");
      await fast.body?.cancel();
      order.push("fast answered");
      assert.equal(w.emu.requests.some((r) => r.path === "/api/v4/system/ping"), false);
      order.push("delay over");
      release();
      assert.equal(await within(slow, 20_000, "the delayed answer"), 200);
      assert.deepEqual(order, ["fast answered", "delay over", "slow answered"]);
      assert.equal(w.emu.requests.at(-1)?.path, "/api/v4/system/ping");
      w.emu.faults.latencyMs = 150;
      w.emu.faults.clear();
      assert.equal(w.emu.faults.latencyMs, 0);
    } finally {
      release();
    }
  }, { delay });
});

Deno.test("networkDown answers 503 to everything until switched off", async () => {
  await withWorld(async (w) => {
    w.emu.faults.networkDown = true;
    const down = await get(w, "/users/me");
    assert.equal(down.status, 503);
    await down.body?.cancel();
    w.emu.faults.networkDown = false;
    const up = await get(w, "/users/me");
    assert.equal(up.status, 200);
    await up.body?.cancel();
  });
});

Deno.test("requests are recorded in order with status and user; waitFor sees them", async () => {
  await withWorld(async (w) => {
    const pending = w.emu.waitFor(() => w.emu.requests.find((r) => r.path === "/api/v4/users/me"));
    const res = await get(w, "/users/me");
    await res.body?.cancel();
    const record = await pending;
    assert.equal(record.method, "GET");
    assert.equal(record.status, 200);
    assert.equal(record.userId, w.bot.user.id);
    assert.ok(record.at > 0);
    const anon = await fetch(`${w.emu.url}/api/v4/users/me`);
    await anon.body?.cancel();
    assert.equal(w.emu.requests.at(-1)?.status, 401);
    assert.equal(w.emu.requests.at(-1)?.userId, undefined);
  });
});

Deno.test("a site subpath prefixes every route", async () => {
  await withWorld(async (w) => {
    assert.ok(w.emu.url.endsWith("/mm"));
    assert.equal((await clientFor(w.emu, w.bot.token).getMe()).id, w.bot.user.id);
    const outside = await fetch(w.emu.url.replace(/\/mm$/, "") + "/api/v4/users/me");
    assert.equal(outside.status, 404);
    await outside.body?.cancel();
  }, { siteUrlPath: "/mm" });
});

Deno.test("tls: serves https with the given certificate", async () => {
  const emu = await startEmulator({ tls: { cert: TEST_CERT, key: TEST_KEY } });
  const client = Deno.createHttpClient({ caCerts: [TEST_CA] });
  try {
    assert.ok(emu.url.startsWith("https://127.0.0.1:"));
    const res = await fetch(`${emu.url}/api/v4/system/ping`, { client });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, "OK");
  } finally {
    client.close();
    await emu.stop();
  }
});

Deno.test("stop frees the port", async () => {
  const emu = await startEmulator();
  const port = Number(new URL(emu.url).port);
  await emu.stop();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal((listener.addr as Deno.NetAddr).port, port);
  listener.close();
});
