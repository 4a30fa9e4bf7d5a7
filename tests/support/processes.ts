/**
 * The test process's view of the processes the bot starts (task hosts): who is below whom,
 * their CPU time and their environment, read from /proc.
 *
 * @module
 */

/** One live process, from /proc/<pid>/stat. */
export interface ProcessInfo {
  readonly ppid: number;
  /** utime + stime, in clock ticks. */
  readonly ticks: number;
}

/**
 * Every live process, from /proc/<pid>/stat. Deno grants /proc only with --allow-all, so `sh`
 * (under --allow-run) reads it.
 */
export async function processes(): Promise<Map<number, ProcessInfo>> {
  const out = await new Deno.Command("sh", {
    args: ["-c", "cat /proc/[0-9]*/stat 2>/dev/null; true"],
    stderr: "null",
  }).output();
  const table = new Map<number, ProcessInfo>();
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    const close = line.lastIndexOf(")");
    if (close === -1) continue;
    const fields = line.slice(close + 2).split(" ");
    if (fields[0] === "Z") continue;
    table.set(Number(line.slice(0, line.indexOf(" "))), {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
    });
  }
  return table;
}

/** Every live process below `pid`. */
export async function descendants(pid: number): Promise<number[]> {
  const table = await processes();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [child, info] of table) {
      if (info.ppid === p) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/**
 * The environment a process was started with (/proc/<pid>/environ), by name; undefined when
 * the process is gone. Read by `cat`, like {@link processes}.
 */
export async function environOf(pid: number): Promise<Map<string, string> | undefined> {
  const out = await new Deno.Command("cat", { args: [`/proc/${pid}/environ`], stderr: "null" })
    .output();
  if (!out.success) return undefined;
  const env = new Map<string, string>();
  for (const entry of new TextDecoder().decode(out.stdout).split("\0")) {
    const at = entry.indexOf("=");
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return env;
}
