/**
 * Log setup: a file sink at `LOG_LEVEL` and a stderr sink at `CONSOLE_LOG_LEVEL`, both passing
 * through a scrubber so that no secret (the token) can reach a log line, whatever a library or
 * an error message puts into it.
 *
 * @module
 */

import {
  configure,
  dispose,
  getLogger,
  getTextFormatter,
  type LogRecord,
  type Sink,
  type TextFormatter,
  withFilter,
} from "@logtape/logtape";
import type { LogLevelName } from "./config.ts";
import type { Secret } from "./secret.ts";

/** What {@link setupLogging} needs to know. */
export interface LoggingOptions {
  readonly logLevel: LogLevelName;
  readonly consoleLogLevel: LogLevelName;
  /** Path of the log file; its directory is created. Empty disables the file sink. */
  readonly logFile: string;
  /** Values scrubbed from every line. */
  readonly secrets: readonly Secret[];
}

/** The root logger category; modules log under `["postbot", <area>]`. */
export const ROOT_CATEGORY = "postbot";

/** A logger for one area of the bot. */
export function logger(...area: string[]) {
  return getLogger([ROOT_CATEGORY, ...area]);
}

function scrubbing(format: TextFormatter, secrets: readonly Secret[]): TextFormatter {
  return (record: LogRecord) => secrets.reduce((text, s) => s.scrub(text), format(record));
}

/**
 * Appends each line to the log file as it is written (nothing buffered to lose in a crash).
 * Deno's own file API: `@logtape/file` pulls in Node's `fs` and `stream` polyfills, several MB
 * of resident memory for one append.
 */
function fileSink(path: string, format: TextFormatter, level: LogLevelName): Sink & Disposable {
  const file = Deno.openSync(path, { append: true, create: true });
  const encoder = new TextEncoder();
  const sink = withFilter((record: LogRecord) => {
    const bytes = encoder.encode(format(record));
    for (let written = 0; written < bytes.length;) {
      written += file.writeSync(bytes.subarray(written));
    }
  }, level);
  // LogTape's dispose() closes sinks that are Disposable.
  return Object.assign(sink, { [Symbol.dispose]: () => file.close() });
}

function stderrSink(format: TextFormatter): Sink {
  const encoder = new TextEncoder();
  return (record) => {
    try {
      Deno.stderr.writeSync(encoder.encode(format(record)));
    } catch {
      // stderr closed: nothing sensible left to do with a log line.
    }
  };
}

/**
 * Configures LogTape for the whole process. Returns a function that flushes and closes the
 * sinks; call it before exiting.
 */
export async function setupLogging(options: LoggingOptions): Promise<() => Promise<void>> {
  const format = scrubbing(
    getTextFormatter({
      timestamp: "date-time-tz",
      value: (v) => typeof v === "string" ? v : Deno.inspect(v, { colors: false, depth: 4 }),
    }),
    options.secrets,
  );
  const sinks: Record<string, Sink> = {
    console: withFilter(stderrSink(format), options.consoleLogLevel),
  };
  if (options.logFile !== "") {
    const dir = options.logFile.replace(/[\\/][^\\/]*$/, "");
    if (dir !== options.logFile && dir !== "") await Deno.mkdir(dir, { recursive: true });
    sinks.file = fileSink(options.logFile, format, options.logLevel);
  }
  await configure({
    reset: true,
    sinks,
    loggers: [
      { category: [ROOT_CATEGORY], lowestLevel: "trace", sinks: Object.keys(sinks) },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: ["console"] },
    ],
  });
  return dispose;
}
