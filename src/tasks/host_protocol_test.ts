import assert from "node:assert/strict";
import { decodeReport, encodeReport, newNonce, parseRequest } from "./host_protocol.ts";

Deno.test("only a line with the job's nonce is a report", () => {
  const nonce = newNonce();
  assert.equal(nonce.length, 48);
  assert.notEqual(newNonce(), nonce);
  const line = encodeReport(nonce, { kind: "finished" }).trimEnd();
  assert.deepEqual(decodeReport(line, nonce), { kind: "finished" });
  for (
    const forged of [
      encodeReport(newNonce(), { kind: "finished" }).trimEnd(),
      JSON.stringify({ report: { kind: "finished" } }),
      JSON.stringify({ nonce: "", report: { kind: "finished" } }),
      JSON.stringify({ nonce, report: { kind: "something" } }),
      JSON.stringify({ nonce, report: null }),
      `${line} trailing`,
      "finished",
    ]
  ) {
    assert.equal(decodeReport(forged, nonce), undefined, forged);
  }
});

Deno.test("the host refuses to run without a proper job", () => {
  const problem = (line: string) => {
    const parsed = parseRequest(line);
    return parsed.ok ? "" : parsed.error.message;
  };
  assert.match(problem("hello"), /started by postbot itself/);
  assert.match(problem(JSON.stringify({ nonce: "short" })), /not meant to be run/);
});
