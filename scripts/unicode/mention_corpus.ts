/**
 * Writes the texts of `tests/fixtures/mention_corpus.json` (called by generate.ts, which has
 * the server's Unicode tables): code points next to `@all`, `@channel` and `@here` where a
 * guard and the server could read a word boundary differently (letters the runtime knows and
 * the server's Unicode 15.0 tables do not, letters of Unicode 14 and 15, marks, format
 * characters, punctuation, symbols, whitespace), and Markdown that could hide or make a mention
 * (character references, escapes, code, links). What the server decided for each text
 * (`notifies`) is kept from the existing file; a new text gets `null` until
 * `POSTBOT_RECORD_MENTION_CORPUS=1 deno task e2e tests/mention_corpus_test.ts` records it from
 * the real server.
 *
 * @module
 */

const OUT = new URL("../../tests/fixtures/mention_corpus.json", import.meta.url);

/** Inclusive code point ranges. */
type Ranges = [number, number][];

/** One text of the corpus and what the real server made of it. */
interface Case {
  text: string;
  what: string;
  notifies: boolean | null;
}

const RUNTIME_WORD = /^[\p{L}\p{N}]$/u;
const within = (ranges: Ranges, cp: number) => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

/** Runs of code points where `pred` holds. */
function runs(pred: (cp: number) => boolean): Ranges {
  const out: Ranges = [];
  let start = -1;
  for (let cp = 0; cp <= 0x110000; cp++) {
    const ok = cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) && pred(cp);
    if (ok && start < 0) start = cp;
    if (!ok && start >= 0) {
      out.push([start, cp - 1]);
      start = -1;
    }
  }
  return out;
}

/** Hand-picked code points of each kind that a word boundary may hinge on. */
const NAMED: [string, number[]][] = [
  ["combining mark", [0x0301, 0x0903, 0x093c, 0x0f35, 0x1ab0, 0x20dd, 0x1e4ec, 0x1e5ee]],
  ["format character", [
    0x00ad,
    0x0600,
    0x061c,
    0x06dd,
    0x200b,
    0x200c,
    0x200d,
    0x200e,
    0x202e,
    0x2060,
    0x2066,
    0xfeff,
    0x110bd,
    0x1d173,
    0xe0001,
    0xe0061,
  ]],
  [
    "ASCII punctuation or symbol",
    [..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"].map((c) => c.codePointAt(0)!),
  ],
  ["other punctuation or symbol", [
    0x00a0,
    0x00b7,
    0x2010,
    0x2019,
    0x2022,
    0x3002,
    0xff0e,
    0xff20,
    0x1f600,
    0xfffd,
  ]],
  ["whitespace", [0x09, 0x0a, 0x2028, 0x3000]],
  ["letter or number everywhere", [
    0x61,
    0x5a,
    0x30,
    0xe9,
    0xdf,
    0x436,
    0x5d0,
    0x4e2d,
    0x3042,
    0x660,
    0xb2,
    0x216b,
    0x1c5,
    0x2b0,
    0x10400,
    0x1d400,
  ]],
];

/** The code points to put next to a mention, each with what it is. */
function codePoints(in15: Ranges, in13: Ranges): [number, string][] {
  const points: [number, string][] = [];
  const newer = runs((cp) => RUNTIME_WORD.test(String.fromCodePoint(cp)) && !within(in15, cp));
  for (const [lo, hi] of newer) {
    for (const cp of new Set([lo, (lo + hi) >> 1, hi])) {
      points.push([cp, "letter or number to this runtime, a separator to Unicode 15.0"]);
    }
  }
  for (const [lo] of runs((cp) => within(in15, cp) && !within(in13, cp))) {
    points.push([lo, "letter or number of Unicode 14.0 or 15.0 (a separator to 13.0)"]);
  }
  for (const [what, cps] of NAMED) for (const cp of cps) points.push([cp, what]);
  return points;
}

/** Texts where Markdown or the reported examples decide. */
const MARKDOWN: [string, string][] = [
  ["\u{105C0}@all all hands", "the reported example (U+105C0, Todhri, Unicode 16.0)"],
  ["@all\u{105C0}", "reported: after"],
  ["\u{2EBF0}@channel", "reported: CJK extension I (Unicode 15.1)"],
  ["\u{16D40}@here", "reported: Kirat Rai (Unicode 16.0)"],
  ["\u{1E5D0}@here", "reported: Ol Onal (Unicode 16.0)"],
  ["\uD800@all", "a lone surrogate (the server reads U+FFFD)"],
  ["Hello @ALL and @Channel", "upper and mixed case"],
  ["&#64;all hands", "decimal character reference for @"],
  ["&#x40;channel", "hexadecimal character reference for @"],
  ["&#X40;here", "hexadecimal character reference, capital X"],
  ["&commat;all", "named character reference for @"],
  ["@&#97;ll", "character reference for a letter of the mention"],
  ["&#64;&#x61;&#108;&#108;", "every character a reference"],
  ["&#00000064;channel", "eight-digit reference (decoded)"],
  ["&#000000064;all", "nine-digit reference (left as written)"],
  ["&#97;@all", "a letter before @ as a reference"],
  ["x&#x105C0;@here", "a Unicode 16.0 letter before @ as a reference"],
  ["&amp;#64;all", "an escaped ampersand"],
  ["`&#64;all`", "a reference in code"],
  ["\\@all", "a backslash-escaped @"],
  ["me@all.example", "an address"],
  ["a_@all", "underscore before"],
  [":@all:", "between colons (an emoji name to the server)"],
  ["@@all", "double @"],
  ["@al&#108;", "a reference completing the mention"],
  ["@channe&#x6C; now", "a hexadecimal reference completing the mention"],
  ["@her&#101;!", "a reference completing @here"],
  ["x\\@all", "a backslash escape after a letter"],
  ["[x](@all)", "in a link destination"],
  ["[@channel](https://example.com)", "in a link text"],
  ["    @all", "in an indented code block"],
  ["\t@channel", "in a tab-indented code block"],
  ["text\n    @here", "indented, continuing a paragraph"],
  ["> @here", "in a quote"],
  ["- @channel", "in a list item"],
  ["# @all", "after a hash"],
  ["**@all**", "between asterisks"],
  ["```\n@all\n```", "in a fenced code block"],
  ["```\n@all", "in a fenced code block never closed"],
  ["~~~\n@here\n~~~", "in a tilde fence"],
];

/** Every text of the corpus, in a stable order. */
function corpusTexts(in15: Ranges, in13: Ranges): Omit<Case, "notifies">[] {
  const mentions = ["all", "channel", "here"];
  const cases: Omit<Case, "notifies">[] = [];
  codePoints(in15, in13).forEach(([cp, what], i) => {
    const c = String.fromCodePoint(cp);
    cases.push({ text: `${c}@${mentions[i % 3]} now`, what: `${hex(cp)} before: ${what}` });
    cases.push({
      text: `now @${mentions[(i + 1) % 3]}${c} please`,
      what: `${hex(cp)} after: ${what}`,
    });
  });
  for (const [text, what] of MARKDOWN) cases.push({ text, what });
  return cases;
}

/** The corpus as JSON with every character outside printable ASCII as a \u escape. */
export function corpusJson(corpus: unknown): string {
  return JSON.stringify(corpus, null, 1).replace(
    /[^\x20-\x7e\n]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}

/**
 * Writes the corpus for the word tables of the server (`in15`, Unicode 15.0) and of older
 * servers (`in13`), keeping what was recorded for texts already there.
 */
export async function writeCorpus(in15: Ranges, in13: Ranges): Promise<void> {
  let old: { recorded_on?: string; cases: Case[] } = { cases: [] };
  try {
    old = JSON.parse(await Deno.readTextFile(OUT));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const recorded = new Map(old.cases.map((c) => [c.text, c.notifies]));
  const corpus = {
    about: "Texts next to channel-wide mentions and whether a real Mattermost server notified a " +
      "channel member of them (mention_count, the member online for @here). Generated by " +
      "scripts/unicode/generate.ts; notifies recorded by tests/mention_corpus_test.ts.",
    recorded_on: old.recorded_on ?? "",
    cases: corpusTexts(in15, in13).map((c) => ({ ...c, notifies: recorded.get(c.text) ?? null })),
  };
  await Deno.writeTextFile(OUT, corpusJson(corpus));
}
