/**
 * CSV as spreadsheets read it safely: RFC 4180 (fields with a comma, a quote or a line break
 * quoted, quotes doubled, CRLF between records), UTF-8 with a byte order mark (so spreadsheet
 * programs read accents right), and no formula injection: a cell a spreadsheet would take
 * for a formula or a command -- starting with `=`, `+`, `-`, `@`, a tab or a carriage return
 * (their full-width forms too) -- is prefixed with `'`, which shows the text as it is.
 *
 * @module
 */

/** Characters that make a spreadsheet read a cell as a formula when they start it. */
const FORMULA_START = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

/** A cell's text with a leading formula character defused. */
export function neutralise(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** One field, defused and quoted when RFC 4180 requires it. */
export function csvField(value: string): string {
  const safe = neutralise(value);
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A whole CSV text: the header, then the rows, CRLF after every record, byte order mark first. */
export function csvText(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const records = [header, ...rows].map((r) => r.map(csvField).join(",") + "\r\n");
  return "\ufeff" + records.join("");
}
