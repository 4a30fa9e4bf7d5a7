/**
 * A downloaded file held once in memory and sent many times without a copy per send.
 *
 * A Blob will not do for a file relayed to many channels: Deno reads a Blob's bytes afresh for
 * every request that sends it, so relaying a 50 MB file to 20 channels churns through a
 * gigabyte of buffers that wait for the garbage collector (hundreds of MB resident at the
 * peak). FileBytes keeps the chunks as they arrived and streams those very chunks.
 *
 * @module
 */

/** The bytes of one file, as the chunks they were received in. */
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

  /** Reads a whole body, keeping its chunks. */
  static async read(body: ReadableStream<Uint8Array> | null): Promise<FileBytes> {
    const chunks: Uint8Array[] = [];
    if (body !== null) { for await (const chunk of body) chunks.push(chunk); }
    return new FileBytes(chunks);
  }
}
