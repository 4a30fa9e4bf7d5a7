import assert from "node:assert/strict";
import fc from "fast-check";
import { serverChannelMentions } from "@postbot/mattermost-emulator";
import { channelWideMentions, decodeCharacterReferences } from "./mentions.ts";

Deno.test("channelWideMentions: letters newer than any server's tables are separators", () => {
  for (
    const text of [
      "\u{105C0}@all all hands", // Todhri, Unicode 16.0
      "@all\u{105C0}",
      "\u{2EBF0}@channel", // CJK extension I, 15.1
      "\u{16D40}@here", // Kirat Rai, 16.0
      "\u{1E5D0}@here", // Ol Onal, 16.0
      "\u{10570}@all", // Vithkuqi, 14.0: a separator to servers built before Go 1.21
      "\uD800@all", // a lone surrogate: U+FFFD to the server
    ]
  ) {
    assert.notDeepEqual(channelWideMentions(text), [], JSON.stringify(text));
  }
  // Letters every table agrees on keep the word whole.
  for (const text of ["x@all", "\u00e9@here", "\u4e2d@channel", "@all\u0436", "\u{10400}@all"]) {
    assert.deepEqual(channelWideMentions(text), [], JSON.stringify(text));
  }
});

Deno.test("channelWideMentions: character references that complete a mention", () => {
  assert.deepEqual(channelWideMentions("@al&#108; hands"), ["@all"]);
  assert.deepEqual(channelWideMentions("@channe&#x6C;"), ["@channel"]);
  assert.deepEqual(channelWideMentions("&commat;here"), ["@here"]);
  // A reference ends a run of text after its character (found by the property test below).
  assert.deepEqual(channelWideMentions("&#108;@al&#108;"), ["@all"]);
  // An `&` that starts no reference is text; the next one may start one (`&@al&#108;`).
  assert.deepEqual(channelWideMentions("&@al&#108;"), ["@all"]);
  assert.deepEqual(channelWideMentions("@al&#108;x"), ["@all"]);
  assert.deepEqual(
    decodeCharacterReferences("&#64;&#x61;&#X6c;l &amp; &nope;"),
    "@all &amp; &nope;",
  );
  assert.equal(decodeCharacterReferences("&#0; &#xD800; &#x110000;"), "\ufffd \ufffd \ufffd");
  assert.equal(decodeCharacterReferences("&#123456789;"), "&#123456789;", "nine digits stay");
});

Deno.test("channelWideMentions sees every mention the server reads (property)", () => {
  const pieces = fc.constantFrom(
    "@all",
    "@channel",
    "@here",
    "@",
    "all",
    "al",
    "l",
    "&#108;",
    "&#64;",
    "&commat;",
    "&",
    ";",
    "#",
    "x",
    "_",
    ":",
    ".",
    "-",
    "\\",
    "`",
    " ",
    "\n",
    "    ",
    "\t",
    "[",
    "](",
    ")",
    "\u{105C0}",
    "\u{16D40}",
    "\u{10570}",
    "\u0301",
    "\u200b",
    "\u00e9",
    "\u4e2d",
    "\uD800",
    "*",
    "~~~",
    "```",
  );
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
      const text = parts.join("");
      const guard = new Set(channelWideMentions(text));
      for (const m of serverChannelMentions(text)) {
        assert.ok(guard.has(m), `${JSON.stringify(text)}: the server reads ${m}, the guard not`);
      }
    }),
    { numRuns: 200_000 },
  );
});
