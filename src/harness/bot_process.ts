/**
 * Runs postbot as a separate process exactly as `deno task start` does: the start task's
 * command line from deno.json (same permissions, same entry point), in a working directory of
 * the caller's own, with only the environment the caller gives it. Used by the sandbox and by
 * the end-to-end tests, so both exercise the real entry point.
 *
 * @module
 */

import { repoPath } from "./repo.ts";

/** A task's command line in deno.json split into words. */
function taskWords(task: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")));
  const command: string = config.tasks[task];
  return command.split(/\s+/).filter((w) => w !== "");
}

/** How many leading `NAME=value` words (environment for the command) a task has. */
function assignmentCount(words: readonly string[]): number {
  const count = words.findIndex((w) => !/^[A-Z_][A-Z0-9_]*=/.test(w));
  return count === -1 ? words.length : count;
}

/**
 * The environment a task sets before `deno` (its leading `NAME=value` words, e.g. the
 * allocator tunables of the start task), so a spawned bot runs exactly as the task does.
 */
export function taskEnv(task: string): Record<string, string> {
  const words = taskWords(task);
  const env: Record<string, string> = {};
  for (const word of words.slice(0, assignmentCount(words))) {
    const at = word.indexOf("=");
    env[word.slice(0, at)] = word.slice(at + 1);
  }
  return env;
}

/** The `deno` arguments of a task in deno.json, with the entry point made absolute. */
export function taskArgs(task: string): string[] {
  const all = taskWords(task);
  const words = all.slice(assignmentCount(all));
  if (words[0] !== "deno") {
    throw new Error(`task ${task} does not start with deno: ${all.join(" ")}`);
  }
  const args = words.slice(1).map((w) => w.endsWith(".ts") && !w.startsWith("-") ? repoPath(w) : w);
  // Run with the repository's import map and lockfile from any working directory.
  args.splice(1, 0, "--config", repoPath("deno.json"));
  return args;
}

/** A postbot process and everything it printed. */
export class BotProcess {
  readonly #child: Deno.ChildProcess;
  #output = "";
  readonly #changed = new Set<() => void>();
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        this.#output += decoder.decode(chunk, { stream: true });
        for (const f of this.#changed) f();
      }
    };
    const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
    this.exited = child.status.then(async (s) => {
      await pumps;
      for (const f of this.#changed) f();
      return s.code;
    });
  }

  /**
   * Starts `deno <start task>` in `cwd` with exactly `env` (plus PATH, HOME, DENO_DIR and the
   * start task's own leading assignments).
   * `deno` defaults to the running executable; the sandbox passes `"deno"` so that its
   * `--allow-run=deno` grant covers it.
   */
  static spawn(
    options: {
      cwd: string;
      env: Record<string, string>;
      args?: string[];
      deno?: string;
      /** A command that runs the rest (`setpriv ... --`): the bot under other privileges. */
      wrapper?: readonly string[];
    },
  ): BotProcess {
    const inherited: Record<string, string> = {};
    for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "DENO_CERT"]) {
      const value = Deno.env.get(name);
      if (value !== undefined) inherited[name] = value;
    }
    const deno = options.deno ?? Deno.execPath();
    const args = [...taskArgs("start"), ...(options.args ?? [])];
    const [command, ...prefix] = [...(options.wrapper ?? []), deno];
    const child = new Deno.Command(command, {
      args: [...prefix, ...args],
      cwd: options.cwd,
      env: { ...inherited, ...taskEnv("start"), NO_COLOR: "1", ...options.env },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new BotProcess(child);
  }

  /** The process id, e.g. to read its memory from /proc/<pid>/status (benchmarks). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything printed so far (stdout and stderr interleaved). */
  get output(): string {
    return this.#output;
  }

  /** Resolves when the output matches, rejects on timeout or when the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      let exited = false;
      const check = () => {
        const m = pattern.exec(this.#output);
        if (m !== null) {
          done();
          resolve(m[0]);
        } else if (exited) {
          done();
          reject(new Error(`bot exited before printing ${pattern}:\n${this.#output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern} in bot output:\n${this.#output}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#changed.delete(check);
      };
      void this.exited.then(() => {
        exited = true;
        check();
      });
      this.#changed.add(check);
      check();
    });
  }

  /** Sends a signal (SIGTERM by default) and waits for the exit code. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
    return await this.exited;
  }

  /** `kill -9`: no chance to clean up. */
  async kill(): Promise<number> {
    return await this.stop("SIGKILL");
  }
}
