import assert from "node:assert/strict";
import { Secret } from "./secret.ts";

const TOKEN = "k9x7qz3mfb8e1n5p0w2r4t6y8u";

Deno.test("a Secret never turns into its value by accident", () => {
  const secret = new Secret(TOKEN);
  const renderings = [
    String(secret),
    `${secret}`,
    JSON.stringify({ token: secret }),
    Deno.inspect(secret),
    Deno.inspect({ nested: { token: secret } }, { depth: 10 }),
    [secret].join(","),
  ];
  for (const text of renderings) {
    assert.equal(text.includes(TOKEN), false, text);
    assert.match(text, /\[redacted\]/);
  }
});

Deno.test("reveal() gives the value for the Authorization header", () => {
  assert.equal(new Secret(TOKEN).reveal(), TOKEN);
});

Deno.test("scrub() removes every occurrence", () => {
  const secret = new Secret(TOKEN);
  assert.equal(
    secret.scrub(`Bearer ${TOKEN} and again ${TOKEN}!`),
    "Bearer [redacted] and again [redacted]!",
  );
  assert.equal(secret.scrub("nothing here"), "nothing here");
});

Deno.test("an empty secret scrubs nothing", () => {
  assert.equal(new Secret("").scrub("text"), "text");
});
