import assert from "node:assert/strict";
import { FileBytes } from "./file_bytes.ts";
import { multipartBody } from "./multipart.ts";

const encoder = new TextEncoder();

async function parse(body: ReturnType<typeof multipartBody>): Promise<FormData> {
  return await new Response(body.stream(), { headers: { "Content-Type": body.contentType } })
    .formData();
}

Deno.test("multipartBody encodes fields and files the way a FormData parser reads them", async () => {
  const a = new FileBytes([encoder.encode("first "), encoder.encode("file")]);
  const b = new FileBytes([new Uint8Array([0, 255, 13, 10, 45, 45])]);
  const body = multipartBody([["channel_id", "abc123"]], [
    { field: "files", filename: "report 2024.pdf", contentType: "application/pdf", content: a },
    { field: "files", filename: "Ünïcode ☃.bin", contentType: "", content: b },
  ]);
  assert.match(body.contentType, /^multipart\/form-data; boundary=-+FormBoundary[0-9a-f]+$/);
  const form = await parse(body);
  assert.equal(form.get("channel_id"), "abc123");
  const files = form.getAll("files") as File[];
  assert.deepEqual(files.map((f) => f.name), ["report 2024.pdf", "Ünïcode ☃.bin"]);
  assert.equal(files[0].type, "application/pdf");
  assert.equal(files[1].type, "application/octet-stream");
  assert.deepEqual(new Uint8Array(await files[0].arrayBuffer()), a.bytes());
  assert.deepEqual(new Uint8Array(await files[1].arrayBuffer()), b.bytes());
});

Deno.test("multipartBody: the length is exact and every stream is a full copy of the body", async () => {
  const file = new FileBytes([new Uint8Array(70_000).fill(3)]);
  const body = multipartBody([["channel_id", "x"]], [
    { field: "files", filename: "a.bin", contentType: "", content: file },
  ]);
  const first = new Uint8Array(await new Response(body.stream()).arrayBuffer());
  const second = new Uint8Array(await new Response(body.stream()).arrayBuffer());
  assert.equal(first.byteLength, body.length);
  assert.deepEqual(second, first);
});

Deno.test("multipartBody escapes quotes and line breaks in file names like browsers do", async () => {
  const body = multipartBody([], [{
    field: "files",
    filename: 'evil"\r\nContent-Type: text/html\r\n\r\n.txt',
    contentType: "text/plain",
    content: new FileBytes([encoder.encode("x")]),
  }]);
  const text = new TextDecoder().decode(await new Response(body.stream()).arrayBuffer());
  assert.match(text, /filename="evil%22%0D%0AContent-Type: text\/html%0D%0A%0D%0A\.txt"/);
  const files = (await parse(body)).getAll("files") as File[];
  assert.equal(files.length, 1);
  assert.equal(files[0].type, "text/plain");
});
