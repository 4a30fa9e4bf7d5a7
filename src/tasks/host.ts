/**
 * The task host: what `postbot --task-host` runs, in a child process of its own for every
 * inspection and every run. It reads its job from stdin, starts the permission-scoped
 * Worker (worker_entry.ts) that imports the task, and reports on stdout, every line tagged
 * with the bot's nonce (host_protocol.ts).
 *
 * Why a process: a Worker cannot be stopped while it spins in a synchronous loop, and a Worker
 * that exhausts its heap ends the whole process. Here either ends only this process, which
 * the bot kills with SIGKILL at the deadline. The host also caps memory itself: it watches its
 * resident size and ends the job when it grows more than TASK_MEMORY_MB past what it was once
 * the Worker was up (ArrayBuffers and WebAssembly memory live outside the V8 heap limit).
 *
 * When the bot goes away (stdin closes), the host exits at once.
 *
 * @module
 */

import {
  encodeReport,
  type HostControl,
  type HostReport,
  MAX_LINE_BYTES,
  parseRequest,
} from "./host_protocol.ts";
import { describeProblem, fail, unreachable } from "@postbot/framework";
import { excerpt } from "@postbot/framework/text";
import { LineSplitter } from "./lines.ts";
import { type HostToWorker, workerEntryUrl, type WorkerPost } from "./worker_entry.ts";

/** How often the host looks at its resident memory. */
const WATCH_MS = 20;
const MIB = 1024 * 1024;

/** Runs the host until the job ends; resolves with the exit status. */
export async function hostMain(): Promise<number> {
  const lines = stdinLines();
  const first = await lines.next();
  const parsed = first.done ? fail("no job on stdin") : parseRequest(first.value);
  if (!parsed.ok) {
    console.error(describeProblem(parsed.error));
    return 2;
  }
  const request = parsed.value;
  const { nonce } = request;
  const write = (report: HostReport) => writeAll(encoded(nonce, report));
  const end = (report: HostReport, status = 0): never => {
    write(report);
    Deno.exit(status);
  };

  const secret = crypto.randomUUID();
  let worker: Worker;
  try {
    worker = new Worker(workerEntryUrl(), {
      type: "module",
      name: request.name,
      deno: { permissions: request.permissions },
    });
  } catch (e) {
    return end({ kind: "failed", error: { name: "Error", message: String(e), stack: "" } });
  }
  let started = false;
  let warned = false;
  worker.onmessage = (event: MessageEvent<WorkerPost>) => {
    const data = event.data;
    if (!started && data?.kind === "ready") {
      started = true;
      watchMemory(request.memoryMb, (usedMb) => end({ kind: "memory", usedMb }, 3));
      worker.postMessage({ kind: "start", secret, job: request.job } satisfies HostToWorker);
      return;
    }
    if (data?.kind !== "tagged" || data.secret !== secret) {
      // Task code posting messages of its own: data, never a result.
      if (!warned) {
        warned = true;
        write({
          kind: "log",
          level: "warning",
          message: "the task posted a message of its own to the bot; it was ignored",
        });
      }
      return;
    }
    const message = data.message;
    if (message.kind === "log") write(message);
    else end(message);
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    end({ kind: "failed", error: { name: "Error", message: event.message, stack: "" } });
  };
  worker.onmessageerror = () => {
    end({
      kind: "failed",
      error: { name: "DataCloneError", message: "the task sent an unreadable message", stack: "" },
    });
  };

  for await (const line of lines) {
    let control: HostControl | undefined;
    try {
      control = JSON.parse(line) as HostControl;
    } catch {
      continue;
    }
    if (control?.kind === "abort") {
      worker.postMessage({ kind: "abort", reason: String(control.reason) } satisfies HostToWorker);
    }
  }
  // stdin closed: the bot is gone or done with this job.
  return 0;
}

/** Ends the job when resident memory grows more than `limitMb` past the current size. */
function watchMemory(limitMb: number, over: (usedMb: number) => void): void {
  const baseline = Deno.memoryUsage().rss;
  setInterval(() => {
    const grown = Deno.memoryUsage().rss - baseline;
    if (grown > limitMb * MIB) over(Math.round(grown / MIB));
  }, WATCH_MS);
}

async function* stdinLines(): AsyncGenerator<string> {
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  for await (const chunk of Deno.stdin.readable) yield* splitter.push(chunk);
  yield* splitter.end();
}

const encoder = new TextEncoder();

function writeAll(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  try {
    while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
  } catch {
    // The bot stopped listening: nothing left to tell it.
  }
}

/** A report as its stdout line; one that cannot be encoded becomes a failure saying so. */
function encoded(nonce: string, report: HostReport): string {
  try {
    return encodeReport(nonce, clip(report));
  } catch (e) {
    return encodeReport(nonce, {
      kind: "failed",
      error: {
        name: "Error",
        message: `its result cannot be passed back to the bot: ${String(e)}`,
        stack: "",
      },
    });
  }
}

/** Keeps every report well under the line limit, whatever the task put into it. */
function clip(report: HostReport): HostReport {
  const cut = (text: unknown, max: number) => {
    return excerpt(typeof text === "string" ? text : String(text), max + 1);
  };
  switch (report.kind) {
    case "log": {
      const clipped = { ...report, message: cut(report.message, 8_000) };
      return JSON.stringify(clipped).length > MAX_LINE_BYTES / 4
        ? { kind: "log", level: report.level, message: clipped.message }
        : clipped;
    }
    case "failed":
      return {
        kind: "failed",
        error: {
          name: cut(report.error.name, 200),
          message: cut(report.error.message, 8_000),
          stack: cut(report.error.stack, 16_000),
        },
      };
    case "inspected": {
      const clipped = {
        ...report,
        description: report.description === undefined ? undefined : cut(report.description, 2_000),
      };
      return JSON.stringify(clipped).length > MAX_LINE_BYTES / 2
        ? {
          kind: "failed",
          error: {
            name: "Error",
            message: "its DESCRIPTION and PERMISSIONS are too large to be read",
            stack: "",
          },
        }
        : clipped;
    }
    case "finished":
    case "memory":
      return report;
    default:
      return unreachable(report);
  }
}
