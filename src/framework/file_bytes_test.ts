import assert from "node:assert/strict";
import { FileBytes } from "./file_bytes.ts";

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("FileBytes keeps a body's chunks and streams them whole, as often as asked", async () => {
  const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([]), new Uint8Array([4, 5])];
  const file = await FileBytes.read(streamOf(chunks));
  assert.equal(file.size, 5);
  assert.deepEqual(file.bytes(), new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(await collect(file.stream()), new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(await collect(file.stream()), new Uint8Array([1, 2, 3, 4, 5]));
  assert.deepEqual(new Uint8Array(await file.arrayBuffer()), new Uint8Array([1, 2, 3, 4, 5]));
});

Deno.test("FileBytes streams the very chunks it holds, without copying them", async () => {
  const chunk = new Uint8Array(1024).fill(7);
  const file = new FileBytes([chunk]);
  const reader = file.stream().getReader();
  const { value } = await reader.read();
  assert.equal(value, chunk);
  await reader.cancel();
});

Deno.test("FileBytes refuses to send a chunk that someone detached, rather than a short file", async () => {
  const chunk = new Uint8Array(16).fill(1);
  const file = new FileBytes([chunk]);
  structuredClone(chunk.buffer, { transfer: [chunk.buffer] });
  await assert.rejects(collect(file.stream()), /detached/);
});

Deno.test("FileBytes of an empty body is empty", async () => {
  const file = await FileBytes.read(null);
  assert.equal(file.size, 0);
  assert.deepEqual(await collect(file.stream()), new Uint8Array());
});

/** Serves `body` once over HTTP and returns the fetched response (a byte stream body). */
async function served(body: BodyInit, headers: HeadersInit = {}): Promise<{
  response: Response;
  stop: () => Promise<void>;
}> {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(body, { headers }),
  );
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
  return { response, stop: () => server.shutdown() };
}

function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 8)) & 255;
  return bytes;
}

Deno.test("FileBytes reads a fetched body of known length into one buffer of that length", async () => {
  const data = pattern(1_000_003);
  const { response, stop } = await served(data);
  try {
    const file = await FileBytes.read(
      response.body,
      Number(response.headers.get("Content-Length")),
    );
    assert.equal(file.pieces, 1, "one buffer, not the 16-64 KiB chunks the socket delivered");
    assert.equal(file.size, data.byteLength);
    assert.deepEqual(file.bytes(), data);
    assert.deepEqual(await collect(file.stream()), data);
  } finally {
    await stop();
  }
});

Deno.test("FileBytes reads a fetched body of unknown length into 1 MiB pieces", async () => {
  const data = pattern(2_500_000);
  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < data.byteLength; at += 40_000) {
        controller.enqueue(data.slice(at, at + 40_000));
      }
      controller.close();
    },
  });
  const { response, stop } = await served(chunked);
  try {
    assert.equal(response.headers.get("Content-Length"), null);
    const file = await FileBytes.read(response.body);
    assert.equal(file.pieces, 3);
    assert.deepEqual(file.bytes(), data);
  } finally {
    await stop();
  }
});

Deno.test("FileBytes keeps whatever a body holds beyond (or short of) its announced length", async () => {
  for (const announced of [10, 300_000, Number.NaN, -1]) {
    const data = pattern(200_000);
    const { response, stop } = await served(data);
    try {
      const file = await FileBytes.read(response.body, announced);
      assert.equal(file.size, data.byteLength, `announced ${announced}`);
      assert.deepEqual(file.bytes(), data);
    } finally {
      await stop();
    }
  }
});

Deno.test("FileBytes reads a gzip body into whole buffers, not the decoder's small views", async () => {
  // fetch inflates such a body into 4 KiB views of 64 KiB buffers each: kept as they come, a
  // file would hold 16 times its size.
  const data = pattern(1_500_000);
  const gzip = await new Response(
    new Blob([data]).stream().pipeThrough(
      new CompressionStream("gzip"),
    ),
  ).arrayBuffer();
  const { response, stop } = await served(gzip, { "Content-Encoding": "gzip" });
  try {
    const file = await FileBytes.read(response.body);
    assert.equal(file.pieces, 2);
    assert.deepEqual(file.bytes(), data);
  } finally {
    await stop();
  }
});
