/**
 * Running the programs of the real Mattermost server (the build, PostgreSQL's tools, the
 * server): captured output, errors as values, free loopback ports, checks on process ids.
 *
 * @module
 */

/** A success with a value, or a failure with a message a person can act on. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** What a finished program printed. */
export interface RunResult {
  readonly ok: boolean;
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion; a program that cannot start is a failed result, not a throw. */
export async function run(
  program: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  try {
    const out = await new Deno.Command(program, {
      args,
      env: options.env,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    return {
      ok: out.success,
      code: out.code,
      stdout: decode(out.stdout),
      stderr: decode(out.stderr),
    };
  } catch (e) {
    return { ok: false, code: -1, stdout: "", stderr: `${program}: ${(e as Error).message}` };
  }
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Whether a process with this id is alive and its command line contains `name`. */
export async function processAlive(pid: number, name: string): Promise<boolean> {
  const out = await run("cat", [`/proc/${pid}/cmdline`]);
  return out.ok && out.stdout.includes(name);
}

/** Resolves once `check` is true; false when `timeoutMs` passes first. */
export async function pollUntilTrue(
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return await check();
}
