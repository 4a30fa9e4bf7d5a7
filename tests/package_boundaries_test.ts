/**
 * The workspace packages (`@postbot/framework`, `@postbot/mattermost-emulator`,
 * `@postbot/harness`) are libraries: code outside a package imports it by name only (its mod.ts
 * or a declared subpath), never by a relative path into it, and a package reaches nothing
 * outside itself by a relative path. Kept by this test, so the rule holds as the code moves; a
 * violation is fixed by importing the package by its name (and exporting the symbol from its
 * face when it is missing there).
 */

import assert from "node:assert/strict";
import { repoPath } from "@postbot/harness/bot";

/** A workspace member: its directory (relative to the repository, no trailing slash), name. */
interface Member {
  readonly dir: string;
  readonly name: string;
}

/** A file to check: path relative to the repository, and its text. */
interface SourceFile {
  readonly path: string;
  readonly text: string;
}

const SKIP = new Set([".git", "node_modules", "dist", "coverage", ".sandbox", "fixtures"]);
const SPECIFIER =
  /(?:^(?:import|export)\b[^;"']*?\bfrom\s*|^import\s*|\bimport\(\s*)(["'])([^"']+)\1/gm;

/** Joins a relative specifier to the directory of `from` ("a/b/c.ts" + "../d.ts" → "a/d.ts"). */
function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function memberOf(members: readonly Member[], path: string): Member | undefined {
  return members.find((m) => path.startsWith(`${m.dir}/`));
}

/** Every relative import that crosses a package boundary, as a readable line. */
export function boundaryViolations(
  files: readonly SourceFile[],
  members: readonly Member[],
): string[] {
  const found: string[] = [];
  for (const file of files) {
    const home = memberOf(members, file.path);
    for (const match of file.text.matchAll(SPECIFIER)) {
      const specifier = match[2];
      if (!specifier.startsWith("./") && !specifier.startsWith("../")) continue;
      const target = resolve(file.path, specifier);
      const into = memberOf(members, target);
      if (into !== undefined && into !== home) {
        found.push(`${file.path} imports "${specifier}": use "${into.name}" instead`);
      } else if (home !== undefined && into === undefined) {
        found.push(`${file.path} (in ${home.name}) imports "${specifier}" outside its package`);
      }
    }
  }
  return found;
}

function workspace(): Member[] {
  const root = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")));
  return (root.workspace as string[]).map((entry) => {
    const dir = entry.replace(/^\.\//, "").replace(/\/$/, "");
    const config = JSON.parse(Deno.readTextFileSync(repoPath(`${dir}/deno.json`)));
    return { dir, name: config.name as string };
  });
}

function sourceFiles(dir = ""): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of Deno.readDirSync(repoPath(dir === "" ? "." : dir))) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !SKIP.has(entry.name)) files.push(...sourceFiles(path));
    if (entry.isFile && /\.(ts|tsx|js|mjs)$/.test(entry.name)) {
      files.push({ path, text: Deno.readTextFileSync(repoPath(path)) });
    }
  }
  return files;
}

Deno.test("the workspace declares the framework, the emulator and the harness as packages", () => {
  assert.deepEqual(workspace(), [
    { dir: "src/framework", name: "@postbot/framework" },
    { dir: "src/emulator", name: "@postbot/mattermost-emulator" },
    { dir: "src/harness", name: "@postbot/harness" },
  ]);
});

Deno.test("nothing imports a package by a relative path, and no package reaches out", () => {
  const files = sourceFiles();
  assert.ok(files.length > 100, `the walk found the sources (${files.length} files)`);
  assert.deepEqual(boundaryViolations(files, workspace()), []);
});

/** A test, or the fixtures its tests share (`test_support.ts`, never exported). */
const isTestCode = (path: string) => path.endsWith("_test.ts") || path.endsWith("/test_support.ts");

Deno.test("the emulator does not depend on the framework; the framework only in its tests", () => {
  const uses = (file: SourceFile, name: string) =>
    new RegExp(`from\\s*"${name}(/[^"]*)?"`).test(file.text);
  const wrong = sourceFiles().filter((f) =>
    (f.path.startsWith("src/emulator/") && uses(f, "@postbot/framework")) ||
    (f.path.startsWith("src/framework/") && !isTestCode(f.path) &&
      uses(f, "@postbot/mattermost-emulator"))
  ).map((f) => f.path);
  assert.deepEqual(wrong, []);
});

/** Test support beside the code: a test file, a `testing.ts` or a `test_support.ts`. */
const isTestSupport = (path: string) => /(_test|\/testing|\/test_support)\.ts$/.test(path);

Deno.test("the bot never loads the harness: tests, benchmarks, scripts and devtools do", () => {
  const wrong = sourceFiles().filter((f) =>
    /^(main\.ts|src\/(framework|postbot|tasks)\/)/.test(f.path) && !isTestSupport(f.path) &&
    /from\s*"@postbot\/harness(\/[^"]*)?"/.test(f.text)
  ).map((f) => f.path);
  assert.deepEqual(wrong, []);
});

Deno.test("only tests import a testing.ts: the bot never loads test support", () => {
  const wrong = sourceFiles().filter((f) =>
    /^(main\.ts|src\/)/.test(f.path) && !isTestSupport(f.path) &&
    [...f.text.matchAll(SPECIFIER)].some((m) => /(^|\/)testing(\.ts)?$/.test(m[2]))
  ).map((f) => f.path);
  assert.deepEqual(wrong, []);
});

Deno.test("tests/support is the app's tests' own: nothing outside tests/ imports it", () => {
  const wrong = sourceFiles().filter((f) => !f.path.startsWith("tests/")).flatMap((f) =>
    [...f.text.matchAll(SPECIFIER)]
      .filter((m) => /^\.\.?\//.test(m[2]) && resolve(f.path, m[2]).startsWith("tests/"))
      .map((m) => `${f.path} imports "${m[2]}"`)
  );
  assert.deepEqual(wrong, []);
});

Deno.test("the boundary check catches each kind of crossing", () => {
  const members = [
    { dir: "src/framework", name: "@postbot/framework" },
    { dir: "src/emulator", name: "@postbot/mattermost-emulator" },
  ];
  const found = boundaryViolations([
    { path: "main.ts", text: 'import { Bot } from "./src/framework/bot.ts";\n' },
    { path: "src/postbot/a.ts", text: 'import type {\n  X,\n} from "../framework/x.ts";\n' },
    { path: "src/tasks/b.ts", text: 'export { y } from "../framework/y.ts";\n' },
    // (split, so that this file's own text holds no such import)
    { path: "tests/c.ts", text: "const m = await import" + '("../src/emulator/mod.ts");' },
    { path: "src/framework/d_test.ts", text: 'import { e } from "../emulator/mod.ts";\n' },
    { path: "src/framework/e.ts", text: 'import { f } from "../postbot/f.ts";\n' },
    // Allowed: inside a package, and outside any package.
    { path: "src/framework/g.ts", text: 'import { h } from "./h.ts";\n' },
    { path: "src/postbot/i.ts", text: 'import { j } from "./j.ts";\n' },
    { path: "src/postbot/k.ts", text: 'import { l } from "@postbot/framework";\n' },
  ], members);
  assert.deepEqual(found, [
    'main.ts imports "./src/framework/bot.ts": use "@postbot/framework" instead',
    'src/postbot/a.ts imports "../framework/x.ts": use "@postbot/framework" instead',
    'src/tasks/b.ts imports "../framework/y.ts": use "@postbot/framework" instead',
    'tests/c.ts imports "../src/emulator/mod.ts": use "@postbot/mattermost-emulator" instead',
    'src/framework/d_test.ts imports "../emulator/mod.ts": use "@postbot/mattermost-emulator" instead',
    'src/framework/e.ts (in @postbot/framework) imports "../postbot/f.ts" outside its package',
  ]);
});

/** Bare specifiers a package uses that its own deno.json does not map (the root's would). */
export function undeclaredImports(
  files: readonly SourceFile[],
  imports: Readonly<Record<string, string>>,
  workspaceNames: readonly string[],
): string[] {
  const found = new Set<string>();
  for (const file of files) {
    for (const match of file.text.matchAll(SPECIFIER)) {
      const specifier = match[2];
      if (/^(\.{1,2}\/|node:|npm:|jsr:|data:|https?:)/.test(specifier)) continue;
      if (workspaceNames.some((n) => specifier === n || specifier.startsWith(`${n}/`))) continue;
      const mapped = Object.keys(imports).some((key) =>
        key.endsWith("/") ? specifier.startsWith(key) : specifier === key
      );
      if (!mapped) found.add(`${file.path}: "${specifier}"`);
    }
  }
  return [...found];
}

Deno.test("each package maps every bare import it uses in its own deno.json", () => {
  // Deno lets a member fall back on the root's import map: fine in this repository, broken
  // for anyone using the package on its own. So each member declares what it imports.
  const members = workspace();
  for (const member of members) {
    const config = JSON.parse(Deno.readTextFileSync(repoPath(`${member.dir}/deno.json`)));
    const files = sourceFiles(member.dir);
    assert.ok(files.length > 3, `${member.dir} has sources`);
    assert.deepEqual(
      undeclaredImports(files, config.imports ?? {}, members.map((m) => m.name)),
      [],
      `${member.dir}/deno.json lacks these imports`,
    );
  }
  assert.deepEqual(
    undeclaredImports(
      [{
        path: "x.ts",
        text: 'import { Cron } from "croner";\nimport type { P } from "@m/t/posts";',
      }],
      { "@m/t/": "npm:/@m/t@1/" },
      [],
    ),
    ['x.ts: "croner"'],
    "the check finds an import missing from the map",
  );
});

Deno.test("the framework does not speak postbot: the app's name is a parameter", () => {
  const mentions = sourceFiles("src/framework")
    .filter((f) => !f.path.endsWith("_test.ts"))
    .flatMap((f) => f.text.split("\n").map((line, i) => ({ line, where: `${f.path}:${i + 1}` })))
    // The package scope is not the app speaking.
    .filter(({ line }) => /postbot/i.test(line.replace(/@postbot\//g, "")))
    .map(({ where, line }) => `${where}: ${line.trim()}`);
  assert.deepEqual(mentions, []);
});
