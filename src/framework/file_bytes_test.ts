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
