/**
 * A JSON array of objects read one object at a time from a response body. Some of the lists
 * the bot reads grow with its history: its list of channels (`GET /users/me/teams/{team}/
 * channels`) and of its memberships hold every DM channel it ever opened -- after a broadcast
 * to 10,000 people, 10,000 objects of some thirty fields each, tens of MB once parsed whole,
 * of which a reader needs a few fields of a few. Read this way, only one object is parsed and
 * alive at a time (RestTransport.getJsonObjects).
 *
 * @module
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** Whitespace JSON allows between tokens. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Where the scan is: inside a string (and after a backslash), how deep, the object so far. */
interface Scan {
  depth: number;
  inString: boolean;
  escaped: boolean;
  /** The current object's text from earlier chunks; undefined between objects. */
  pieces: string[] | undefined;
  /** The outer array was closed. */
  closed: boolean;
}

/**
 * Yields each element of a JSON array of objects in `body` as it is parsed, one at a time.
 * Throws (a SyntaxError) when the text is not an array of objects, or ends before it closes.
 */
export async function* jsonArrayObjects(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<Record<string, unknown>> {
  const scan: Scan = {
    depth: 0,
    inString: false,
    escaped: false,
    pieces: undefined,
    closed: false,
  };
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    yield* objectsIn(chunk, scan);
  }
  if (!scan.closed) throw new SyntaxError("the JSON array ended before it was closed");
}

/** The objects that end in `chunk`, carrying the scan's state over to the next chunk. */
function* objectsIn(chunk: string, scan: Scan): Generator<Record<string, unknown>> {
  let start = scan.pieces === undefined ? -1 : 0;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk.charCodeAt(i);
    if (scan.inString) {
      if (scan.escaped) scan.escaped = false;
      else if (c === BACKSLASH) scan.escaped = true;
      else if (c === QUOTE) scan.inString = false;
      continue;
    }
    if (scan.depth >= 2) {
      if (c === QUOTE) scan.inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) scan.depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) scan.depth--;
      if (scan.depth === 1) {
        const text = [...scan.pieces!, chunk.slice(start, i + 1)].join("");
        scan.pieces = undefined;
        start = -1;
        yield JSON.parse(text) as Record<string, unknown>;
      }
      continue;
    }
    if (isSpace(c)) continue;
    if (scan.closed) throw new SyntaxError("text after the end of the JSON array");
    if (scan.depth === 0 && c === OPEN_BRACKET) scan.depth = 1;
    else if (scan.depth === 1 && c === OPEN_BRACE) {
      scan.depth = 2;
      scan.pieces = [];
      start = i;
    } else if (scan.depth === 1 && c === COMMA) continue;
    else if (scan.depth === 1 && c === CLOSE_BRACKET) {
      scan.depth = 0;
      scan.closed = true;
    } else throw new SyntaxError(`not a JSON array of objects (at "${chunk[i]}")`);
  }
  if (scan.pieces !== undefined && start >= 0) scan.pieces.push(chunk.slice(start));
}
