import assert from "node:assert/strict";
import { hostCommand, permissionFlags, SELF_EXECUTABLE } from "./host_command.ts";
import { TASK_HOST_FLAG } from "./host_protocol.ts";

const permissions: Deno.PermissionOptionsObject = {
  read: ["/srv/bot/tasks/plan.ts", "/srv/bot/plan.md"],
  write: false,
  net: ["chat.example.com:443"],
  env: true,
  sys: false,
  run: false,
  ffi: false,
  import: false,
};

Deno.test("under deno run the host gets exactly the task's permissions and a heap cap", () => {
  const command = hostCommand({ permissions, memoryMb: 64, standalone: false });
  assert.equal(command.program, SELF_EXECUTABLE);
  assert.equal(command.args[0], "run");
  assert.ok(command.args.includes("--v8-flags=--max-old-space-size=160"));
  assert.ok(command.args.includes("--unstable-worker-options"));
  const flags = command.args.filter((a) => a.startsWith("--allow-"));
  assert.deepEqual(flags, [
    "--allow-read=/srv/bot/tasks/plan.ts,/srv/bot/plan.md",
    "--allow-net=chat.example.com:443",
    "--allow-env",
  ]);
  assert.ok(!command.args.some((a) => a === "-A" || a === "--allow-all"));
  assert.match(command.args.at(-2) ?? "", /\/main\.ts$/);
  assert.equal(command.args.at(-1), TASK_HOST_FLAG);
});

Deno.test("a compiled binary re-runs itself in task-host mode with DENO_V8_FLAGS", () => {
  const command = hostCommand({ permissions, memoryMb: 256, standalone: true });
  assert.equal(command.program, SELF_EXECUTABLE);
  assert.deepEqual(command.args, [TASK_HOST_FLAG]);
  assert.equal(command.env.DENO_V8_FLAGS, "--max-old-space-size=544");
});

Deno.test("no permission, no flag", () => {
  assert.deepEqual(permissionFlags({ read: [], net: false, env: false }), []);
});
