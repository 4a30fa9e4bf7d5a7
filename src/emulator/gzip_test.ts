import assert from "node:assert/strict";
import { acceptsGzip, compressibleType } from "./gzip.ts";
import { withWorld, type World } from "./testing.ts";

function get(w: World, path: string, acceptEncoding: string) {
  return fetch(`${w.emu.url}/api/v4${path}`, {
    headers: { Authorization: `Bearer ${w.bot.token}`, "Accept-Encoding": acceptEncoding },
  });
}

/** A file posted by the bot in town square, readable by the bot. */
function postedFile(w: World, name: string, bytes: Uint8Array, mime: string): string {
  const info = w.emu.store.uploadFile(w.bot.user.id, w.town.id, name, bytes, mime);
  w.emu.store.createPost(w.bot.user.id, {
    channel_id: w.town.id,
    message: "",
    file_ids: [info.id],
  });
  return info.id;
}

Deno.test("gzip mode compresses answers of 1 KiB and more, as gzhttp does", async () => {
  await withWorld(async (w) => {
    for (let i = 0; i < 30; i++) {
      w.emu.store.createPost(w.bot.user.id, { channel_id: w.town.id, message: `post ${i}` });
    }
    const big = await get(w, `/channels/${w.town.id}/posts`, "gzip, br");
    assert.equal(big.headers.get("Content-Encoding"), "gzip");
    assert.equal(big.headers.get("Content-Length"), null);
    assert.match(big.headers.get("Vary") ?? "", /Accept-Encoding/);
    const list = await big.json();
    assert.ok(list.order.includes(w.emu.store.postsIn(w.town.id).at(-1)!.id), "fetch inflates it");

    const small = await get(w, "/users/me", "gzip");
    assert.equal(small.headers.get("Content-Encoding"), null, "under 1 KiB: as it is");
    assert.equal((await small.json()).id, w.bot.user.id);

    const plain = await get(w, `/channels/${w.town.id}/posts`, "identity");
    assert.equal(plain.headers.get("Content-Encoding"), null, "the client did not accept gzip");
    await plain.body?.cancel();
  }, { webserverMode: "gzip" });
});

Deno.test("gzip mode: file downloads say their length in X-Uncompressed-Content-Length", async () => {
  await withWorld(async (w) => {
    const data = new TextEncoder().encode("line of text\n".repeat(1000));
    const id = postedFile(w, "notes.txt", data, "text/plain");
    const zipped = await get(w, `/files/${id}`, "gzip");
    assert.equal(zipped.headers.get("Content-Encoding"), "gzip");
    assert.equal(zipped.headers.get("Content-Length"), null);
    assert.equal(zipped.headers.get("X-Uncompressed-Content-Length"), String(data.byteLength));
    assert.deepEqual(new Uint8Array(await zipped.arrayBuffer()), data);

    const asStored = await get(w, `/files/${id}`, "identity");
    assert.equal(asStored.headers.get("Content-Encoding"), null);
    assert.equal(asStored.headers.get("Content-Length"), String(data.byteLength));
    assert.deepEqual(new Uint8Array(await asStored.arrayBuffer()), data);

    const photo = postedFile(w, "photo.jpg", new Uint8Array(5000).fill(9), "image/jpeg");
    const jpeg = await get(w, `/files/${photo}`, "gzip");
    assert.equal(jpeg.headers.get("Content-Encoding"), null, "compressed types go as they are");
    assert.equal(jpeg.headers.get("Content-Length"), "5000");
    await jpeg.body?.cancel();
  }, { webserverMode: "gzip" });
});

Deno.test("uncompressed mode (the emulator's default) never compresses", async () => {
  await withWorld(async (w) => {
    const data = new TextEncoder().encode("line of text\n".repeat(1000));
    const id = postedFile(w, "notes.txt", data, "text/plain");
    const r = await get(w, `/files/${id}`, "gzip");
    assert.equal(r.headers.get("Content-Encoding"), null);
    assert.equal(r.headers.get("Content-Length"), String(data.byteLength));
    assert.equal(r.headers.get("X-Uncompressed-Content-Length"), null);
    await r.body?.cancel();
  });
});

Deno.test("gzhttp's content type filter and Accept-Encoding reading", () => {
  assert.equal(compressibleType("application/json"), true);
  assert.equal(compressibleType("application/octet-stream"), true);
  assert.equal(compressibleType(""), true);
  for (
    const t of ["image/jpeg", "video/mp4", "audio/mpeg", "application/zip", "application/x-xz"]
  ) {
    assert.equal(compressibleType(t), false, t);
  }
  const req = (ae: string, method = "GET") =>
    new Request("http://x/", { method, headers: { "Accept-Encoding": ae } });
  assert.equal(acceptsGzip(req("gzip, deflate, br")), true);
  assert.equal(acceptsGzip(req("br;q=1, gzip;q=0")), false);
  assert.equal(acceptsGzip(req("identity")), false);
  assert.equal(acceptsGzip(req("*")), true);
  assert.equal(acceptsGzip(req("gzip", "HEAD")), false);
});
