/**
 * A downloaded file held once in memory and sent many times without a copy per send.
 *
 * A Blob will not do for a file relayed to many channels: Deno reads a Blob's bytes afresh for
 * every request that sends it, so relaying a 50 MB file to 20 channels churns through a
 * gigabyte of buffers that wait for the garbage collector (hundreds of MB resident at the
 * peak). FileBytes holds the bytes in a few large buffers, read straight from the
 * response ({@link FileBytes.read}), and streams those very buffers.
 *
 * @module
 */

/** The bytes of one file, in the pieces (buffers) they were read into. */
export class FileBytes {
  readonly #chunks: readonly Uint8Array[];
  readonly #lengths: readonly number[];
  /** Total length in bytes. */
  readonly size: number;

  constructor(chunks: readonly Uint8Array[]) {
    this.#chunks = chunks;
    this.#lengths = chunks.map((c) => c.byteLength);
    this.size = this.#lengths.reduce((n, l) => n + l, 0);
  }

  /** A new stream of the bytes; each call starts from the beginning. */
  stream(): ReadableStream<Uint8Array> {
    let next = 0;
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        const i = next++;
        const chunk = this.#chunks[i];
        if (chunk === undefined) return controller.close();
        if (chunk.byteLength !== this.#lengths[i]) {
          // A consumer took the buffer over: sending a shorter file would be worse than failing.
          return controller.error(new Error("a chunk of the file was detached by an earlier send"));
        }
        controller.enqueue(chunk);
      },
    });
  }

  /** One contiguous copy (for small files and tests). */
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }

  /** Like `Blob.arrayBuffer()`. */
  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(this.bytes().buffer as ArrayBuffer);
  }

  /** How many pieces the bytes are held in. */
  get pieces(): number {
    return this.#chunks.length;
  }

  /**
   * Reads a whole body. A byte stream (every fetch body) is read straight into buffers of the
   * body's `length` (its Content-Length; pieces of at most 16 MiB), so a large file lives in
   * memory mappings of its own that go back to the system as soon as it is collected. Reading
   * it chunk by chunk instead would leave a burst of downloads in glibc's main heap: tens of
   * MB of 16-64 KiB chunks, held through the delivery, that glibc keeps after they are freed.
   * Any other stream is kept as the chunks it yields.
   */
  static async read(
    body: ReadableStream<Uint8Array> | null,
    length?: number,
  ): Promise<FileBytes> {
    if (body === null) return new FileBytes([]);
    let reader: ReadableStreamBYOBReader;
    try {
      reader = body.getReader({ mode: "byob" });
    } catch {
      return await readChunks(body);
    }
    try {
      return new FileBytes(await readPieces(reader, length));
    } finally {
      reader.releaseLock();
    }
  }
}

/** The largest piece read into one buffer. */
const MAX_PIECE = 16 * 1_048_576;
/** The piece size while the length is unknown (or exceeded). */
const UNKNOWN_PIECE = 1_048_576;

/** Fills buffers from a BYOB reader until the end; `length` sizes them when it is known. */
async function readPieces(
  reader: ReadableStreamBYOBReader,
  length: number | undefined,
): Promise<Uint8Array[]> {
  const pieces: Uint8Array[] = [];
  let left = length !== undefined && Number.isSafeInteger(length) && length >= 0
    ? length
    : undefined;
  while (true) {
    // Once the announced length is read, a 1-byte read finds the end without a new buffer.
    const size = left === undefined ? UNKNOWN_PIECE : left === 0 ? 1 : Math.min(left, MAX_PIECE);
    let buffer = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { done, value } = await reader.read(buffer.subarray(filled));
      if (value !== undefined) {
        // The view's buffer was handed to the stream and back (transferred, not copied).
        buffer = new Uint8Array(value.buffer, 0, size);
        filled += value.byteLength;
      }
      if (done || value === undefined) {
        if (filled > 0) pieces.push(buffer.subarray(0, filled));
        return pieces;
      }
    }
    pieces.push(buffer);
    left = left === undefined || left === 0 ? undefined : left - size;
  }
}

/** Keeps a stream's chunks as they come. */
async function readChunks(body: ReadableStream<Uint8Array>): Promise<FileBytes> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return new FileBytes(chunks);
}
