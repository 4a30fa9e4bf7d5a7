import assert from "node:assert/strict";
import { csvField, csvText, neutralise } from "./csv.ts";

Deno.test("csvField: RFC 4180 quoting only where needed, quotes doubled", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  assert.equal(csvField("cr\rhere"), '"cr\rhere"');
  assert.equal(csvField(""), "");
  assert.equal(csvField("Zo\u00eb \u2603"), "Zo\u00eb \u2603");
});

Deno.test("neutralise: a cell a spreadsheet would run starts with a quote mark", () => {
  for (const hostile of ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\uff1dcmd"]) {
    assert.equal(neutralise(hostile), `'${hostile}`, JSON.stringify(hostile));
  }
  for (const fine of ["alice", "1 of 3", "2026-01-01T00:00:00.000Z", " =not first", "'"]) {
    assert.equal(neutralise(fine), fine);
  }
  assert.equal(
    csvField('=HYPERLINK("http://evil.example","click")'),
    `"'=HYPERLINK(""http://evil.example"",""click"")"`,
  );
  assert.equal(csvField("=a,\nb"), `"'=a,\nb"`);
});

Deno.test("csvText: byte order mark, header, CRLF after every record", () => {
  const text = csvText(["a", "b"], [["1", "x,y"], ["", "-2"]]);
  assert.equal(text, '\ufeffa,b\r\n1,"x,y"\r\n,\'-2\r\n');
  assert.equal(csvText(["only"], []), "\ufeffonly\r\n");
});
