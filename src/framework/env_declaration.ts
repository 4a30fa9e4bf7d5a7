/**
 * Configuration declared once. Each variable is a {@link Variable}: its name (and old
 * spellings), what it means, its default as people read it, its bounds, and, for a path, the
 * file access the bot needs there. Everything else is derived from the declaration: the typed
 * reader ({@link readDeclared}), the README table and `--help` ({@link describeVariables}), the
 * permission check of the configured paths (grants.ts) and the `--allow-env` list the start
 * and compile tasks must grant (a test compares them with deno.json).
 *
 * @example Declaring and reading two variables
 * ```ts
 * import { EnvReader, integer, readDeclared, text } from "@postbot/framework";
 *
 * const DECLARATION = {
 *   greeting: text("GREETING", { default: "hello", doc: "what the bot says first" }),
 *   retries: integer("RETRIES", { default: 3, min: 0, max: 10, doc: "attempts per post" }),
 * };
 * const reader = new EnvReader((name) => ({ RETRIES: "5" })[name]);
 * const config = readDeclared(reader, DECLARATION);
 * console.assert(config.greeting === "hello" && config.retries === 5);
 * ```
 *
 * @module
 */

import type { EnvReader } from "./env_reader.ts";
import type { Problem, Result } from "./result.ts";

/** Read or write access to a path. */
export type Access = "read" | "write";

/**
 * What the bot does with a path variable's value: `"read"` and `"write"` the path itself,
 * `"read directory"` its directory, `"write +.tmp"` a sibling named `<path>.tmp`.
 */
export type PathUse = Access | `${Access} directory` | `${Access} +${string}`;

/** One configuration variable, as declared; built with the functions below. */
export interface Variable<T> {
  readonly name: string;
  /** Older names still accepted; the first one set wins, `name` before them. */
  readonly aliases: readonly string[];
  /** What it is for, in one line (README table, `--help`). */
  readonly doc: string;
  /** The default as an operator reads it ("-- (required)", "300", "empty = off"). */
  readonly shownDefault: string;
  /** For a path: what the bot does with it (checked against the grants at startup). */
  readonly paths: readonly PathUse[];
  /** Reads the value, recording any problem on the reader. */
  readonly read: (reader: EnvReader) => T;
}

/** A set of variables keyed by the configuration field each one fills. */
// deno-lint-ignore no-explicit-any
export type Declaration = Readonly<Record<string, Variable<any>>>;

/** The typed configuration a declaration reads into. */
export type Declared<D extends Declaration> = {
  -readonly [K in keyof D]: ReturnType<D[K]["read"]>;
};

/** What every variable declares besides its type: its meaning, and older spellings. */
export interface Described {
  /** What it is for, in one line (README table, `--help`). */
  readonly doc: string;
  /** Older names still accepted; the first one set wins, the name before them. */
  readonly aliases?: readonly string[];
}

/** A value that must be present; `parse` may refine it (the problem text names what is wrong). */
export function required<T = string>(
  name: string,
  options: Described & {
    /** Said when it is missing: "is required: <expected>". */
    readonly expected: string;
    readonly parse?: (value: string) => Result<T, Problem>;
    /** The value used (with the problem recorded) when it is missing or invalid. */
    readonly fallback?: T;
  },
): Variable<T> {
  return declare(name, options, "\u2014 (required)", [], (reader) => {
    const value = reader.required(name, options.expected);
    if (options.parse === undefined) return value as T;
    if (value === "") return options.fallback as T;
    const parsed = options.parse(value);
    if (parsed.ok) return parsed.value;
    reader.problem(name, parsed.error.message);
    return options.fallback as T;
  });
}

/** An optional string with a default; `paths` declares what the bot does with it as a path. */
export function text(
  name: string,
  options: Described & {
    readonly default: string;
    readonly shownDefault?: string;
    readonly paths?: readonly PathUse[];
  },
): Variable<string> {
  return declare(
    name,
    options,
    options.shownDefault ?? options.default,
    options.paths ?? [],
    (reader) => reader.string(name, options.default),
  );
}

/** A whole number within inclusive bounds. */
export function integer(
  name: string,
  options: Described & { readonly default: number; readonly min: number; readonly max: number },
): Variable<number> {
  return declare(
    name,
    options,
    String(options.default),
    [],
    (reader) => reader.integer(name, options.default, options.min, options.max),
  );
}

/** A whole number within bounds, or undefined when unset (its default is described in words). */
export function optionalInteger(
  name: string,
  options: Described & {
    readonly min: number;
    readonly max: number;
    readonly shownDefault: string;
  },
): Variable<number | undefined> {
  return declare(
    name,
    options,
    options.shownDefault,
    [],
    (reader) => reader.optionalInteger(name, options.min, options.max),
  );
}

/** One of a fixed set of words, case-insensitive; the canonical spelling is returned. */
export function choice<const T extends string>(
  name: string,
  options: Described & { readonly choices: readonly T[]; readonly default: NoInfer<T> },
): Variable<T> {
  return declare(
    name,
    options,
    options.default,
    [],
    (reader) => reader.choice(name, options.choices, options.default),
  );
}

/**
 * A variable with its own reading rule (a list of entries, a value that must name a time
 * zone): `read` gets the reader and the names to try, `name` first, then the aliases.
 */
export function custom<T>(
  name: string,
  options: Described & {
    readonly shownDefault: string;
    readonly read: (reader: EnvReader, names: readonly string[]) => T;
  },
): Variable<T> {
  const names = [name, ...options.aliases ?? []];
  return declare(name, options, options.shownDefault, [], (r) => options.read(r, names));
}

function declare<T>(
  name: string,
  described: Described,
  shownDefault: string,
  paths: readonly PathUse[],
  read: (reader: EnvReader) => T,
): Variable<T> {
  return { name, aliases: described.aliases ?? [], doc: described.doc, shownDefault, paths, read };
}

/**
 * The same declaration with some meanings said in the app's words (the generic layer's
 * `SESSION_TTL_SECONDS` is "a conversation"; in a broadcast app it is the wizard's question).
 */
export function redescribe<D extends Declaration>(
  declaration: D,
  docs: { readonly [K in keyof D]?: string },
): D {
  const result: Record<string, Variable<unknown>> = { ...declaration };
  for (const [key, doc] of Object.entries(docs)) {
    if (doc !== undefined) result[key] = { ...declaration[key], doc };
  }
  return result as D;
}

/** Reads every declared variable; problems are recorded on the reader, all at once. */
export function readDeclared<D extends Declaration>(
  reader: EnvReader,
  declaration: D,
): Declared<D> {
  const values: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(declaration)) values[key] = variable.read(reader);
  return values as Declared<D>;
}

/** Every name a declaration reads, aliases included: what `--allow-env` must grant. */
export function variableNames(declaration: Declaration): string[] {
  return Object.values(declaration).flatMap((v) => [v.name, ...v.aliases]);
}

/** One row of the configuration table (README, `--help`). */
export interface VariableRow {
  /** The name in backticks, with its aliases: "`A` (or `B`)". */
  readonly variable: string;
  readonly shownDefault: string;
  readonly doc: string;
}

/** The declaration as table rows, in declaration order. */
export function describeVariables(declaration: Declaration): VariableRow[] {
  return Object.values(declaration).map((v) => ({
    variable: `\`${v.name}\`` +
      (v.aliases.length > 0 ? ` (or ${v.aliases.map((a) => `\`${a}\``).join(", ")})` : ""),
    shownDefault: v.shownDefault,
    doc: v.doc,
  }));
}

/** The declaration as plain text for `--help`: name and default, then the meaning indented. */
export function formatVariables(declaration: Declaration): string {
  const rows = describeVariables(declaration).map((r) => ({
    variable: r.variable.replaceAll("`", ""),
    shownDefault: r.shownDefault.replaceAll("`", ""),
    doc: r.doc.replaceAll("`", ""),
  }));
  const width = Math.max(...rows.map((r) => r.variable.length));
  return rows
    .map((r) => `  ${r.variable.padEnd(width)}  ${r.shownDefault}\n      ${r.doc}`)
    .join("\n");
}
