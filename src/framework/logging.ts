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
  type Logger,
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
  /** The app's name: the root of every category, so lines read `<app>*<area>: ...`. */
  readonly app: string;
}

/** The root category until {@link setupLogging} names the app. */
let rootCategory = "bot";

/**
 * A logger for one area of the bot, logging under `[<app>, ...area]`. Modules create theirs
 * when they load, before {@link setupLogging} has named the app, so the category is looked up
 * at each call rather than fixed here.
 *
 * @example
 * ```ts
 * import { logger } from "@postbot/framework";
 *
 * const log = logger("greeter");
 * log.info("Greeted {user}", { user: "alice" }); // "hellobot*greeter: Greeted alice"
 * ```
 */
export function logger(...area: string[]): Logger {
  const current = () => getLogger([rootCategory, ...area]);
  return new Proxy(current(), {
    get(_target, property) {
      const target = current();
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
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
 *
 * @example
 * ```ts
 * import { logger, Secret, setupLogging } from "@postbot/framework";
 *
 * const close = await setupLogging({
 *   app: "hellobot",
 *   logLevel: "info",
 *   consoleLogLevel: "warning",
 *   logFile: "", // no file, only stderr
 *   secrets: [new Secret("token-never-logged")],
 * });
 * logger("main").warning("hellobot starting");
 * await close();
 * ```
 */
export async function setupLogging(options: LoggingOptions): Promise<() => Promise<void>> {
  rootCategory = options.app;
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
      { category: [rootCategory], lowestLevel: "trace", sinks: Object.keys(sinks) },
      { category: ["logtape", "meta"], lowestLevel: "error", sinks: ["console"] },
    ],
  });
  return dispose;
}
