/**
 * `deno task sandbox`, run the way a newcomer runs it (the task's own command line), driven
 * through piped stdin: the bot answers, broadcasts land in the demo channels with their files,
 * and nothing is left behind.
 */

import assert from "node:assert/strict";
import { repoPath, taskArgs } from "@postbot/harness/bot";

/** `deno task sandbox`, by the task's own command line, with stdin and stdout piped. */
function spawnSandbox(stderr: "piped" | "null") {
  return new Deno.Command("deno", {
    args: taskArgs("sandbox"),
    cwd: repoPath("."),
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr,
  }).spawn();
}

async function runSandbox(script: string): Promise<{ code: number; output: string }> {
  const child = spawnSandbox("piped");
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, output: decoder.decode(out.stdout) + decoder.decode(out.stderr) };
}

function sandboxRuns(): string[] {
  try {
    return [...Deno.readDirSync(repoPath(".sandbox"))].map((e) => e.name);
  } catch {
    return [];
  }
}

Deno.test("sandbox: a scripted session broadcasts with a file and cleans up", async () => {
  const before = sandboxRuns();
  const dir = await Deno.makeTempDir({ prefix: "postbot-sandbox-file-" });
  try {
    const agenda = "1. Welcome\n2. Questions\n";
    await Deno.writeTextFile(`${dir}/agenda.txt`, agenda);
    const { code, output } = await runSandbox(
      [
        "!help",
        `/file ${dir}/agenda.txt`,
        "All hands at 10:00 in the big room",
        "offices, town-square",
        "yes",
        "/channels",
        "/as bob",
        "!history",
        "/quit",
        "",
      ].join("\n"),
    );
    assert.equal(code, 0, output);
    assert.match(output, /You are @alice in a direct message with @postbot/);
    assert.match(output, /postbot › #### Send one message to many channels/);
    assert.ok(output.includes(`Attached agenda.txt (${agenda.length} bytes)`), output);
    assert.match(output, /Where should I send this \(with 1 file\)/);
    assert.match(output, /Ready to send to 4 channels/);
    for (const channel of ["office-berlin", "office-paris", "office-rome", "town-square"]) {
      assert.match(
        output,
        new RegExp(`→ ~${channel}: All hands at 10:00 in the big room \\[1 file\\]`),
      );
      assert.match(output, new RegExp(`~${channel} \\([^)]*\\): 1 post — last: All hands`));
    }
    assert.match(output, /~random \(Random\): 0 posts/);
    assert.match(output, /Delivered to 4 of 4 channels/);
    assert.match(output, /You are now @bob\./);
    assert.match(output, /You have not sent any broadcasts yet/, "bob has his own history");
    assert.match(output, /Bye\./);
    assert.deepEqual(sandboxRuns(), before, "the temporary directory is removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sandbox: bad chat commands get a clear answer and end of input quits", async () => {
  const { code, output } = await runSandbox(
    "/as nobody\n/file\n/file /no/such/file\n/frobnicate\n",
  );
  assert.equal(code, 0, output);
  assert.match(output, /There is no demo user "nobody"\. Try one of: alice, bob, carol\./);
  assert.match(output, /Usage: \/file PATH/);
  assert.match(output, /Cannot read \/no\/such\/file/);
  assert.match(output, /Unknown chat command \/frobnicate; \/help lists them\./);
  assert.match(output, /Bye\./);
});

Deno.test("sandbox: Ctrl-C (SIGINT) still removes the temporary directory", async () => {
  const before = sandboxRuns();
  const child = spawnSandbox("null");
  let output = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  while (!output.includes("You are @alice")) {
    const { value, done } = await reader.read();
    if (done) break;
    output += value;
  }
  assert.match(output, /You are @alice/);
  assert.equal(sandboxRuns().length, before.length + 1, "a run directory exists while it runs");
  child.kill("SIGINT");
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    output += value;
  }
  await child.status;
  await child.stdin.close().catch(() => {});
  assert.match(output, /Bye\./);
  assert.deepEqual(sandboxRuns(), before, "the temporary directory is removed");
});
