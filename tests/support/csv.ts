/**
 * A strict RFC 4180 reader for the tests of `!export`: records end with CRLF, a field is
 * either bare (no quote, comma, CR or LF in it) or quoted with inner quotes doubled; anything
 * else throws, so a file that a lenient reader would guess at fails the test instead.
 *
 * @module
 */

/** The records of a CSV text (a leading byte order mark is required and removed). */
export function parseCsv(text: string): string[][] {
  if (!text.startsWith("\ufeff")) throw new Error("no byte order mark");
  const records: string[][] = [];
  let record: string[] = [];
  let i = 1;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      i++;
      while (true) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i++];
      }
    } else {
      while (i < text.length && !",\r\n".includes(text[i])) {
        if (text[i] === '"') throw new Error(`a quote inside a bare field at ${i}`);
        field += text[i++];
      }
    }
    record.push(field);
    if (text[i] === ",") {
      i++;
    } else if (text.startsWith("\r\n", i)) {
      records.push(record);
      record = [];
      i += 2;
    } else {
      throw new Error(`expected a comma or CRLF at ${i}, got ${JSON.stringify(text[i])}`);
    }
  }
  if (record.length > 0) throw new Error("the last record has no CRLF");
  return records;
}

/** The records as objects keyed by the header's names (every record as long as the header). */
export function csvObjects(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  return rows.map((row) => {
    if (row.length !== header.length) {
      throw new Error(`a record of ${row.length} fields under a header of ${header.length}`);
    }
    return Object.fromEntries(header.map((name, k) => [name, row[k]]));
  });
}
