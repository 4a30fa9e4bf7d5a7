/**
 * `deno task compile [--output PATH] [--target TRIPLE]`: builds the single binary with exactly
 * the runtime flags of the `start` task (V8 flags, unstable features, every permission), read
 * from deno.json, so the permissions are written once. Embeds the task plugins and the worker
 * entry (a compiled binary can only import what was embedded, denoland/deno#18327).
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Files the binary must carry besides the module graph of main.ts. */
export const EMBEDDED = ["tasks", "src/tasks/worker_entry.ts"];

/** The words of a task's command line that shape the runtime: V8, unstable, permissions. */
export function runtimeFlags(command: string): string[] {
  return command.split(/\s+/).filter((word) =>
    /^--(allow|deny)-[a-z]+(=|$)/.test(word) || /^--unstable-[a-z-]+$/.test(word) ||
    /^--v8-flags=/.test(word)
  );
}

/** The `deno compile` arguments for the start task's flags. */
export function compileArgs(startCommand: string, output: string, target?: string): string[] {
  if (/(^|\s)(-A|--allow-all)(\s|$)/.test(startCommand)) throw new Error("start must not use -A");
  const flags = runtimeFlags(startCommand);
  return [
    "compile",
    ...flags,
    ...EMBEDDED.flatMap((path) => ["--include", path]),
    ...(target === undefined ? [] : ["--target", target]),
    "--output",
    output,
    "main.ts",
  ];
}

/** The `start` task's command line, from the deno.json at `configPath`. */
export function startTask(configPath: string): string {
  const tasks = JSON.parse(Deno.readTextFileSync(configPath)).tasks as Record<string, string>;
  if (typeof tasks?.start !== "string") throw new Error(`${configPath} has no start task`);
  return tasks.start;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string", default: "dist/postbot" }, target: { type: "string" } },
  });
  const args = compileArgs(startTask("deno.json"), values.output, values.target);
  const status = await new Deno.Command("deno", { args, stdin: "null" }).spawn().status;
  Deno.exit(status.code);
}
