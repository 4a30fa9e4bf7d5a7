/**
 * Each package's public face is documented: its mod.ts has a module doc, every symbol it
 * exports has a doc comment saying why it exists, and the main entry points carry an
 * `@example` (which `deno task check` type-checks with `--doc`). Read with `deno doc --json`,
 * i.e. the way a reader of the generated documentation sees it.
 */

import assert from "node:assert/strict";
import { repoPath } from "@postbot/harness/bot";

interface DocNode {
  readonly name: string;
  readonly declarations: readonly {
    readonly jsDoc?: { readonly doc?: string; readonly tags?: readonly { kind: string }[] };
  }[];
}

interface DocModule {
  readonly module_doc?: { readonly doc?: string };
  readonly symbols: readonly DocNode[];
}

async function docs(modPath: string): Promise<DocModule> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--json", repoPath(modPath)],
    cwd: repoPath("."),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const json = JSON.parse(new TextDecoder().decode(output.stdout));
  return Object.values(json.nodes as Record<string, DocModule>)[0];
}

const documented = (node: DocNode) =>
  node.declarations.some((d) => (d.jsDoc?.doc ?? "").trim() !== "");
const hasExample = (node: DocNode) =>
  node.declarations.some((d) => d.jsDoc?.tags?.some((t) => t.kind === "example"));

const PACKAGES = [
  {
    mod: "src/framework/mod.ts",
    examples: [
      "Bot",
      "compose",
      "MessageContext",
      "CommandDispatcher",
      "accessControl",
      "SessionStore",
      "readBotConfig",
      "formatProblems",
      "RestTransport",
      "MattermostClient",
      "postMessage",
      "setupLogging",
      "logger",
    ],
  },
  { mod: "src/framework/sqlite.ts", examples: ["openDatabase"] },
  {
    mod: "src/emulator/mod.ts",
    examples: ["startEmulator", "Faults"],
  },
  {
    mod: "src/emulator/testing.ts",
    examples: ["seedWorld", "withWorld"],
  },
  {
    mod: "src/harness/mod.ts",
    examples: ["startScenario"],
  },
];

/** Every module a package's deno.json exports (the root and its subpaths). */
function entryPoints(dir: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(repoPath(`${dir}/deno.json`)));
  const exports: Record<string, string> = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports;
  return Object.values(exports).map((target) => `${dir}/${target.replace(/^\.\//, "")}`);
}

for (const dir of ["src/framework", "src/emulator", "src/harness"]) {
  Deno.test(`${dir}: every entry point says what it is for and documents every export`, async () => {
    const entries = entryPoints(dir);
    assert.ok(entries.includes(`${dir}/mod.ts`), "mod.ts is the root export");
    for (const entry of entries) {
      const face = await docs(entry);
      assert.ok((face.module_doc?.doc ?? "").trim() !== "", `${entry} has a module doc`);
      assert.deepEqual(
        face.symbols.filter((s) => !documented(s)).map((s) => s.name),
        [],
        `${entry}: exports without a doc comment`,
      );
    }
  });
}

for (const pkg of PACKAGES) {
  Deno.test(`${pkg.mod}: module doc, a doc comment on every export, examples on the main ones`, async () => {
    const face = await docs(pkg.mod);
    assert.ok((face.module_doc?.doc ?? "").length > 100, "mod.ts says what the package is for");
    assert.ok(face.symbols.length > 5, `${pkg.mod} exports its API`);
    assert.deepEqual(face.symbols.filter((s) => !documented(s)).map((s) => s.name), []);
    const byName = new Map(face.symbols.map((s) => [s.name, s]));
    const missing = pkg.examples.filter((name) => {
      const node = byName.get(name);
      return node === undefined || !hasExample(node);
    });
    assert.deepEqual(missing, [], "main entry points have an @example");
  });
}
