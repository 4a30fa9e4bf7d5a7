/**
 * Mattermost's WebserverMode "gzip" (its default): every API answer goes through gzhttp
 * (klauspost/compress), which compresses a body of at least 1,024 bytes for a client that
 * accepts gzip, unless the body's type is already compressed; a compressed answer loses its
 * Content-Length. Answers of every kind say `Vary: Accept-Encoding`.
 *
 * @module
 */

/** gzhttp.DefaultMinSize: smaller bodies go out as they are. */
export const GZIP_MIN_SIZE = 1024;

/** gzhttp's DefaultContentTypeFilter: types that are compressed already are left alone. */
export function compressibleType(contentType: string): boolean {
  const ct = contentType.trim().toLowerCase();
  if (ct === "") return true;
  const contains = ["compress", "zip", "snappy", "lzma", "xz", "zstd", "brotli", "stuffit"];
  if (contains.some((s) => ct.includes(s))) return false;
  return !["video/", "audio/", "image/jp"].some((p) => ct.startsWith(p));
}

/** Whether the request's Accept-Encoding gives gzip a non-zero quality (never for HEAD). */
export function acceptsGzip(req: Request): boolean {
  if (req.method === "HEAD") return false;
  for (const part of (req.headers.get("Accept-Encoding") ?? "").split(",")) {
    const [coding, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (coding !== "gzip" && coding !== "*") continue;
    const q = params.find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The answer as a server in gzip mode sends it. */
export async function gzipAnswer(req: Request, response: Response): Promise<Response> {
  response.headers.append("Vary", "Accept-Encoding");
  const headers = response.headers;
  if (
    response.body === null || !acceptsGzip(req) || headers.has("Content-Encoding") ||
    headers.has("Content-Range") || !compressibleType(headers.get("Content-Type") ?? "")
  ) {
    return response;
  }
  const declared = headers.get("Content-Length");
  if (declared !== null && Number(declared) < GZIP_MIN_SIZE) return response;
  const body = new Uint8Array(await response.arrayBuffer());
  const out = new Headers(headers);
  if (body.byteLength < GZIP_MIN_SIZE) {
    return new Response(body, { status: response.status, headers: out });
  }
  out.delete("Content-Length");
  out.delete("Accept-Ranges");
  out.set("Content-Encoding", "gzip");
  const compressed = new Blob([body]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Response(compressed, { status: response.status, headers: out });
}
