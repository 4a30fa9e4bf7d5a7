import assert from "node:assert/strict";
import plugin, {
  isTestFile,
  lineSpan,
  MAX_CLASS_LINES,
  MAX_FUNCTION_LINES,
} from "./function_size.ts";

function body(lines: number): string {
  return Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`).join("\n");
}

Deno.test("a function longer than the limit is reported with its name and length", () => {
  const source = `function tooLong() {\n${body(MAX_FUNCTION_LINES + 1)}\n}\n` +
    `function fine() {\n${body(MAX_FUNCTION_LINES)}\n}\n` +
    `class K {\n  #method() {\n${body(MAX_FUNCTION_LINES + 5)}\n  }\n}\n` +
    `const arrow = () => {\n${body(MAX_FUNCTION_LINES + 2)}\n};\n`;
  const diagnostics = Deno.lint.runPlugin(plugin, "src/example.ts", source);
  assert.deepStrictEqual(diagnostics.map((d) => d.message), [
    `tooLong spans ${MAX_FUNCTION_LINES + 1} lines (at most ${MAX_FUNCTION_LINES})`,
    `#method spans ${MAX_FUNCTION_LINES + 5} lines (at most ${MAX_FUNCTION_LINES})`,
    `arrow spans ${MAX_FUNCTION_LINES + 2} lines (at most ${MAX_FUNCTION_LINES})`,
  ]);
});

Deno.test("test files are exempt: a scenario is a list of steps", () => {
  const source = `Deno.test("x", () => {\n${body(MAX_FUNCTION_LINES * 2)}\n});\n`;
  assert.deepStrictEqual(Deno.lint.runPlugin(plugin, "tests/x_test.ts", source), []);
  assert.deepStrictEqual(isTestFile("src/a/b_test.ts"), true);
  assert.deepStrictEqual(isTestFile("src/a/b.ts"), false);
  assert.deepStrictEqual(isTestFile("tests/support/world.ts"), true);
});

Deno.test("lineSpan counts both ends", () => {
  assert.deepStrictEqual(lineSpan("a\nb\nc", 0, 5), 3);
  assert.deepStrictEqual(lineSpan("abc", 0, 3), 1);
});

Deno.test("a class longer than the limit is reported with its name and length", () => {
  const methods = (n: number) =>
    Array.from({ length: n }, (_, i) => `  m${i}() {\n    return ${i};\n  }`).join("\n");
  // Each method spans 3 lines; the class adds its two braces.
  const big = Math.ceil((MAX_CLASS_LINES - 1) / 3);
  const source = `class Big {\n${methods(big)}\n}\nclass Small {\n${methods(10)}\n}\n`;
  const lines = 2 + big * 3;
  const diagnostics = Deno.lint.runPlugin(plugin, "src/example.ts", source);
  assert.deepStrictEqual(diagnostics.map((d) => d.message), [
    `class Big spans ${lines} lines (at most ${MAX_CLASS_LINES})`,
  ]);
  assert.deepStrictEqual(Deno.lint.runPlugin(plugin, "tests/x_test.ts", source), []);
});
