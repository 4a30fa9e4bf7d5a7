import assert from "node:assert/strict";
import fc from "fast-check";
import {
  defuseEveryMention,
  defuseMentions,
  excerpt,
  inlineCode,
  MAX_POST_RUNES,
  oneLine,
  runeLength,
  shownName,
  splitIntoPosts,
  visible,
} from "./text.ts";

Deno.test("runeLength counts code points, not UTF-16 units", () => {
  assert.equal(MAX_POST_RUNES, 16_383);
  assert.equal(runeLength(""), 0);
  assert.equal(runeLength("abc"), 3);
  assert.equal("😀".length, 2);
  assert.equal(runeLength("😀"), 1);
  assert.equal(runeLength("é😀x"), 3);
});

Deno.test("splitIntoPosts: text within the limit is one post, unchanged", () => {
  assert.deepEqual(splitIntoPosts("hello\nworld"), ["hello\nworld"]);
  assert.deepEqual(splitIntoPosts(""), [""]);
  const full = "😀".repeat(MAX_POST_RUNES);
  assert.equal(full.length, 2 * MAX_POST_RUNES);
  assert.deepEqual(splitIntoPosts(full), [full]);
});

Deno.test("splitIntoPosts: cuts at line breaks, each post within the limit", () => {
  const lines = Array.from({ length: 10 }, (_, i) => `line ${i} ${"x".repeat(20)}`);
  const text = lines.join("\n");
  const posts = splitIntoPosts(text, 60);
  assert.ok(posts.length > 1);
  for (const p of posts) assert.ok(runeLength(p) <= 60, p);
  assert.equal(posts.join("\n"), text);
});

Deno.test("splitIntoPosts: emoji count as one rune each and are never cut in half", () => {
  const posts = splitIntoPosts("😀".repeat(12), 5);
  assert.deepEqual(posts, ["😀😀😀😀😀", "😀😀😀😀😀", "😀😀"]);
  for (const p of posts) assert.equal(p.isWellFormed(), true);
  const mixed = splitIntoPosts(`${"😀".repeat(4)}\n${"é".repeat(4)}`, 5);
  assert.deepEqual(mixed, ["😀😀😀😀", "éééé"]);
});

Deno.test("splitIntoPosts: a line longer than the limit is cut into pieces", () => {
  const posts = splitIntoPosts(`short\n${"y".repeat(12)}\nend`, 5);
  assert.deepEqual(posts, ["short", "yyyyy", "yyyyy", "yy", "end"]);
});

Deno.test("splitIntoPosts: property: no post over the limit, no text lost", () => {
  const char = fc.constantFrom("a", "é", "😀", "\n", " ", "中");
  fc.assert(
    fc.property(
      fc.array(char, { maxLength: 300 }),
      fc.integer({ min: 1, max: 40 }),
      (chars, limit) => {
        const text = chars.join("");
        const posts = splitIntoPosts(text, limit);
        for (const p of posts) assert.ok(runeLength(p) <= limit);
        for (const p of posts) assert.equal(p.isWellFormed(), true);
        const longLine = text.split("\n").some((l) => runeLength(l) > limit);
        if (!longLine) assert.equal(posts.join("\n"), text);
        else assert.equal(posts.join("").replaceAll("\n", ""), text.replaceAll("\n", ""));
      },
    ),
  );
});

Deno.test("excerpt keeps short text and cuts long text at a rune boundary", () => {
  assert.equal(excerpt("short", 10), "short");
  assert.equal(excerpt("abcdefghij", 5), "abcd…");
  assert.equal(excerpt("😀😀😀😀😀😀", 3), "😀😀…");
  assert.equal(runeLength(excerpt("x".repeat(100), 10)), 10);
});

Deno.test("defuseMentions: mentions outside code get a zero-width space", () => {
  assert.equal(defuseMentions('group "@channel": bad'), 'group "@\u200bchannel": bad');
  assert.equal(
    defuseMentions("@all and @here and @bob.smith"),
    "@\u200ball and @\u200bhere and @\u200bbob.smith",
  );
});

Deno.test("defuseMentions: code spans and fenced blocks are left alone", () => {
  const text = 'in `@channel` and\n```\n"@all" = []\n```\nbut @here';
  assert.equal(defuseMentions(text), 'in `@channel` and\n```\n"@all" = []\n```\nbut @\u200bhere');
  assert.equal(defuseMentions("````\n```@x```\n````"), "````\n```@x```\n````");
});

Deno.test("defuseMentions: a lone @ and e-mail-like text stay readable", () => {
  assert.equal(defuseMentions("@ alone"), "@ alone");
  assert.equal(defuseMentions("no mentions"), "no mentions");
  assert.equal(defuseMentions("a@b").replace("\u200b", ""), "a@b");
});

Deno.test("defuseEveryMention: mentions get a zero-width space, code included; nothing else changes", () => {
  assert.equal(defuseEveryMention("a @b c"), "a @\u200bb c");
  assert.equal(defuseEveryMention("`@all` and @here.now"), "`@\u200ball` and @\u200bhere.now");
  assert.equal(defuseEveryMention("no mention @ all"), "no mention @ all");
  assert.equal(defuseEveryMention("**bold** _it_ \\@x"), "**bold** _it_ \\@\u200bx");
});

Deno.test("visible names what a reader cannot see; tab and line breaks stay", () => {
  assert.equal(
    visible("a\u202eb\u200bc\x1b[2K\u2028d\ufeffe\tf\ng\rh"),
    "a<U+202E>b<U+200B>c<U+001B>[2K<U+2028>d<U+FEFF>e\tf\ng\rh",
  );
  // Private use, unassigned and default-ignorable code points, and a lone surrogate.
  assert.equal(visible("\ue000\u{e0001}\u180e\ud800"), "<U+E000><U+E0001><U+180E><U+D800>");
  assert.equal(visible("Caf\u00e9 \u{1F3E2} \u00e4"), "Caf\u00e9 \u{1F3E2} \u00e4");
});

Deno.test("oneLine shows newlines, escapes and bidi marks instead of obeying them", () => {
  assert.equal(
    oneLine("a\nb\r\x1b[2K\u202ec\u200bd\te"),
    "a<U+000A>b<U+000D><U+001B>[2K<U+202E>c<U+200B>d\te",
  );
  assert.equal(oneLine("x".repeat(10), 4), "xxx\u2026", "at most 4 runes, the ellipsis included");
  // Bounded before it is shown: an escape is never cut in half.
  assert.equal(oneLine("\u202e".repeat(10), 3), "<U+202E><U+202E>\u2026");
});

Deno.test("shownName: one code span, faithful, nothing can break out of it or hide", () => {
  assert.equal(shownName("plain_task.ts"), "`plain_task.ts`");
  assert.equal(
    shownName("a\n- @here `x`\u202e\u2066.ts"),
    "`a<U+000A>- @here <U+0060>x<U+0060><U+202E><U+2066>.ts`",
  );
  assert.equal(shownName("\ue000\u{e0001}\u180e\ud800"), "`<U+E000><U+E0001><U+180E><U+D800>`");
  assert.equal(shownName("x".repeat(10), 4), "`xxx\u2026`");
});

Deno.test("inlineCode: prose in one code span; backticks and line breaks become spaces", () => {
  assert.equal(inlineCode("a\nb `c`\u202ed"), "`a b  c <U+202E>d`");
  assert.equal(inlineCode("  !cancel <id>\r\n"), "`!cancel <id>`");
  assert.equal(inlineCode("y".repeat(100)), "`" + "y".repeat(79) + "\u2026`", "80 runes at most");
  assert.equal(inlineCode("y".repeat(100), 10), "`" + "y".repeat(9) + "\u2026`");
});
