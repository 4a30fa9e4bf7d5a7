/**
 * A `multipart/form-data` request body that streams its files from {@link FileBytes}, for
 * uploads (`POST /files`) of files relayed many times. Encoded like the browsers' and Deno's
 * own FormData (WHATWG: `"`, CR and LF in names escaped as %22, %0D, %0A).
 *
 * @module
 */

import type { FileBytes } from "./file_bytes.ts";

/** A file part. */
export interface MultipartFile {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly content: FileBytes;
}

/** A body that can be produced again for every attempt of a request. */
export interface MultipartBody {
  /** The Content-Type header, boundary included. */
  readonly contentType: string;
  /** Total length in bytes. */
  readonly length: number;
  /** A fresh stream of the whole body. */
  stream(): ReadableStream<Uint8Array>;
}

const encoder = new TextEncoder();

function escapeName(name: string): string {
  return name.replaceAll("\n", "%0A").replaceAll("\r", "%0D").replaceAll('"', "%22");
}

/** Builds the body from text fields (first) and files. */
export function multipartBody(
  fields: readonly (readonly [string, string])[],
  files: readonly MultipartFile[],
): MultipartBody {
  const boundary = `----FormBoundary${crypto.randomUUID().replaceAll("-", "")}`;
  const pieces: (Uint8Array | FileBytes)[] = [];
  for (const [name, value] of fields) {
    pieces.push(encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"\r\n\r\n` +
        `${value.replace(/\r(?!\n)|(?<!\r)\n/g, "\r\n")}\r\n`,
    ));
  }
  for (const f of files) {
    pieces.push(encoder.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(f.field)}"; ` +
        `filename="${escapeName(f.filename)}"\r\n` +
        `Content-Type: ${f.contentType || "application/octet-stream"}\r\n\r\n`,
    ));
    pieces.push(f.content);
    pieces.push(encoder.encode("\r\n"));
  }
  pieces.push(encoder.encode(`--${boundary}--\r\n`));
  const length = pieces.reduce((n, p) => n + (p instanceof Uint8Array ? p.byteLength : p.size), 0);
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    stream: () => {
      let index = 0;
      let inner: ReadableStreamDefaultReader<Uint8Array> | undefined;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          while (true) {
            if (inner !== undefined) {
              const { done, value } = await inner.read();
              if (!done) return controller.enqueue(value);
              inner = undefined;
            }
            const piece = pieces[index++];
            if (piece === undefined) return controller.close();
            if (piece instanceof Uint8Array) return controller.enqueue(piece);
            inner = piece.stream().getReader();
          }
        },
        cancel() {
          void inner?.cancel();
        },
      });
    },
  };
}
