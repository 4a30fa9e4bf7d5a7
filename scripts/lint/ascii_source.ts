/**
 * A `deno lint` plugin that keeps the bot's own modules ASCII.
 *
 * V8 keeps a module's source text for as long as the module lives (lazy compilation needs it),
 * and one character outside Latin-1, such as an em dash in a comment, makes it keep the whole
 * file as a two-byte string. Over the bot's modules that was ~1.5 MB of resident memory for
 * nothing. Text a user reads keeps its typography through `\u` escapes, which are the same
 * string at run time; comments use ASCII (`--`, `->`, `...`).
 *
 * Test files, benchmarks and scripts never load into the bot and are left alone.
 *
 * @module
 */

import { isTestFile } from "./function_size.ts";

/** Where a report stops: one file full of typography needs a rewrite, not 500 reports. */
const MAX_REPORTS_PER_FILE = 20;

/** Whether a file is one of the modules the bot (or its task processes) loads. */
export function isBotModule(filename: string): boolean {
  const path = filename.replaceAll("\\", "/");
  if (isTestFile(path) || /(^|\/)(scripts|bench|tests)\//.test(path)) return false;
  return /(^|\/)src\//.test(path) || /(^|\/)main\.ts$/.test(path);
}

/** How a character is written in ASCII inside a string literal. */
export function escapeFor(codePoint: number): string {
  return codePoint <= 0xffff
    ? `\\u${codePoint.toString(16).padStart(4, "0")}`
    : `\\u{${codePoint.toString(16)}}`;
}

/** The plugin `deno.json` names under `lint.plugins`. */
const plugin: Deno.lint.Plugin = {
  name: "memory",
  rules: {
    "ascii-source": {
      create(context) {
        if (!isBotModule(context.filename)) return {};
        return {
          Program() {
            const text = context.sourceCode.text;
            let reports = 0;
            for (let i = 0; i < text.length && reports < MAX_REPORTS_PER_FILE; i++) {
              const codePoint = text.codePointAt(i)!;
              if (codePoint < 0x80) continue;
              const width = codePoint > 0xffff ? 2 : 1;
              context.report({
                range: [i, i + width],
                message: `non-ASCII character U+${
                  codePoint.toString(16).toUpperCase().padStart(4, "0")
                } in a bot module`,
                hint:
                  `In a string write ${
                    escapeFor(codePoint)
                  }; in a comment use ASCII. One such character makes V8 keep the whole file ` +
                  "as a two-byte string.",
              });
              reports++;
              i += width - 1;
            }
          },
        };
      },
    },
  },
};

export default plugin;
