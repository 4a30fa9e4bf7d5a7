/**
 * No import cycle among the repository's own modules: under `src/`, `scripts/`, `tests/`,
 * `bench/`, `tasks/` and `main.ts`, following relative imports and the workspace packages'
 * names (their `exports`). A cycle means two modules that can only be understood together;
 * the fix is a third module both import, or moving what one needs down a layer.
 */

import assert from "node:assert/strict";
import { repoPath } from "@postbot/harness/bot";

const ROOTS = ["src", "scripts", "tests", "bench", "tasks"];
const SKIP = new Set([".git", "node_modules", "dist", "coverage", ".sandbox", "fixtures"]);
const SPECIFIER =
  /(?:^(?:import|export)\b[^;"']*?\bfrom\s*|^import\s*|\bimport\(\s*)(["'])([^"']+)\1/gm;

/** Every TypeScript file of the repository, relative to its root. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(repoPath(dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && !SKIP.has(entry.name)) out.push(...sourceFiles(path));
    if (entry.isFile && /\.tsx?$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** Package name (and subpath) → file, from the workspace members' `exports`. */
function packageEntries(): Map<string, string> {
  const root = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")));
  const entries = new Map<string, string>();
  for (const member of root.workspace as string[]) {
    const dir = member.replace(/^\.\//, "").replace(/\/$/, "");
    const config = JSON.parse(Deno.readTextFileSync(repoPath(`${dir}/deno.json`)));
    const exports = typeof config.exports === "string" ? { ".": config.exports } : config.exports;
    for (const [sub, file] of Object.entries(exports as Record<string, string>)) {
      const name = sub === "." ? config.name : `${config.name}/${sub.replace(/^\.\//, "")}`;
      entries.set(name, `${dir}/${file.replace(/^\.\//, "")}`);
    }
  }
  return entries;
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const part of specifier.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

/** The import graph: file → the repository files it imports. */
export function importGraph(): Map<string, string[]> {
  const files = [...ROOTS.flatMap(sourceFiles), "main.ts"];
  const known = new Set(files);
  const packages = packageEntries();
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = Deno.readTextFileSync(repoPath(file));
    const targets = new Set<string>();
    for (const m of text.matchAll(SPECIFIER)) {
      const spec = m[2];
      const target = spec.startsWith(".") ? resolve(file, spec) : packages.get(spec);
      if (target !== undefined && known.has(target) && target !== file) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The strongly connected components of more than one file (Tarjan), each sorted. */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

Deno.test("no import cycle among the repository's modules", () => {
  assert.deepEqual(cycles(importGraph()), []);
});

Deno.test("the cycle finder finds a cycle and only that", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assert.deepEqual(cycles(graph), [["a", "b", "c"]]);
});
