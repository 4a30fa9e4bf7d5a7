import assert from "node:assert/strict";
import plugin, { escapeFor, isBotModule } from "./ascii_source.ts";

Deno.test("a bot module with a non-ASCII character is reported where it stands", () => {
  const source = 'const a = "ok";\n// a dash \u2014 here\nconst b = "\u2026";\n';
  const diagnostics = Deno.lint.runPlugin(plugin, "/repo/src/postbot/x.ts", source);
  assert.deepEqual(diagnostics.map((d) => [d.message, d.range]), [
    ["non-ASCII character U+2014 in a bot module", [
      source.indexOf("\u2014"),
      source.indexOf("\u2014") + 1,
    ]],
    ["non-ASCII character U+2026 in a bot module", [
      source.indexOf("\u2026"),
      source.indexOf("\u2026") + 1,
    ]],
  ]);
  assert.match(diagnostics[1].hint ?? "", /\\u2026/);
});

Deno.test("escapes say the same string at run time, astral characters included", () => {
  for (const ch of ["\u2014", "\u00e9", "\u{1F600}"]) {
    const escaped = escapeFor(ch.codePointAt(0)!);
    assert.equal(new Function(`return "${escaped}";`)(), ch);
  }
  const astral = 'const smile = "\u{1F600}";';
  const [report] = Deno.lint.runPlugin(plugin, "/repo/src/a.ts", astral);
  assert.deepEqual(report.range, [astral.indexOf("\u{1F600}"), astral.indexOf("\u{1F600}") + 2]);
});

Deno.test("tests, benchmarks and scripts are not bot modules; ASCII files pass", () => {
  assert.equal(isBotModule("/repo/src/framework/bot.ts"), true);
  assert.equal(isBotModule("/repo/main.ts"), true);
  assert.equal(isBotModule("/repo/src/tasks/runner.ts"), true);
  assert.equal(isBotModule("/repo/tasks/hello.ts"), false);
  assert.equal(isBotModule("/repo/src/framework/bot_test.ts"), false);
  assert.equal(isBotModule("/repo/tests/support/world.ts"), false);
  assert.equal(isBotModule("/repo/bench/fanout.ts"), false);
  assert.equal(isBotModule("/repo/scripts/mattermost/main.ts"), false);
  assert.deepEqual(Deno.lint.runPlugin(plugin, "/repo/src/a.ts", "const a = '\\u2014';\n"), []);
  assert.deepEqual(Deno.lint.runPlugin(plugin, "/repo/tests/a_test.ts", "// \u2014\n"), []);
});
