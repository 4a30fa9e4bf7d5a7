/**
 * `deno task e2e [--stop] [test files…]`: postbot's end-to-end tests against a real
 * Mattermost server. Starts the server when needed (`deno task mattermost start`: build,
 * PostgreSQL, Mattermost, test world), then runs every test file that uses the test scenario
 * (tests/*_test.ts importing `startScenario` from `@postbot/harness`) with
 * POSTBOT_E2E_BACKEND=real. Tests that need the emulator's fault switches are reported as
 * ignored. `--stop` stops the server afterwards (CI does); otherwise it keeps running for the
 * next run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { RealBackend, seedScenarioWorld } from "@postbot/harness";
import { REPO_ROOT } from "@postbot/harness/bot";
import { log, start, stop } from "@postbot/harness/mattermost";

/** An import of `startScenario` from the harness: what makes a test file a scenario test. */
const SCENARIO_IMPORT = /import\s*\{[^}]*\bstartScenario\b[^}]*\}\s*from\s*"@postbot\/harness"/;

/** Test files that run through the scenario (and so on either backend). */
export async function e2eFiles(): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(`${REPO_ROOT}/tests`)) {
    if (!entry.isFile || !entry.name.endsWith("_test.ts")) continue;
    const text = await Deno.readTextFile(`${REPO_ROOT}/tests/${entry.name}`);
    if (SCENARIO_IMPORT.test(text)) files.push(`tests/${entry.name}`);
  }
  return files.sort();
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { stop: { type: "boolean", default: false } },
  });
  const t0 = Date.now();
  const started = await start();
  if (!started.ok) {
    console.error(`e2e: ${started.error}`);
    Deno.exit(1);
  }
  try {
    await seedScenarioWorld(await RealBackend.open());
  } catch (e) {
    console.error(`e2e: provisioning the test world failed: ${(e as Error).message}`);
    Deno.exit(1);
  }
  log(`server ready in ${((Date.now() - t0) / 1000).toFixed(0)} s at ${started.value.url}`);
  const files = positionals.length > 0 ? positionals : await e2eFiles();
  const t1 = Date.now();
  const test = new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "--allow-sys",
      ...files,
    ],
    cwd: REPO_ROOT,
    env: { POSTBOT_E2E_BACKEND: "real" },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  });
  const result = await test.output();
  log(`end-to-end tests on the real server took ${((Date.now() - t1) / 1000).toFixed(0)} s`);
  if (values.stop) await stop();
  Deno.exit(result.code);
}
