/**
 * Typed reading of configuration variables that collects every problem instead of stopping
 * at the first, so an operator fixes a broken `.env` in one pass.
 *
 * @module
 */

import type { Problem } from "./result.ts";

/**
 * A {@link Problem} with one configuration variable (or the file it comes from): missing or
 * malformed, and what was expected. The variable is kept apart so that every problem can be
 * listed under its name.
 */
export interface ConfigProblem extends Problem {
  readonly variable: string;
}

/** Where configuration values come from: real environment variables win over `.env`. */
export type EnvSource = (name: string) => string | undefined;

/** Reads variables from an {@link EnvSource}, recording a {@link ConfigProblem} for each bad one. */
export class EnvReader {
  readonly problems: ConfigProblem[] = [];
  readonly #source: EnvSource;

  constructor(source: EnvSource) {
    this.#source = source;
  }

  /** The trimmed value, or undefined when unset or blank. */
  raw(name: string): string | undefined {
    const value = this.#source(name)?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  /** Records a problem found by a caller's own validation. */
  problem(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }

  /** A value that must be present. */
  required(name: string, expected: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problem(name, `is required: ${expected}`);
    return value ?? "";
  }

  /** An optional string with a default. */
  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  /** An integer within bounds. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problem(name, `must be a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return Number(value);
  }

  /** An optional integer within bounds; undefined when unset. */
  optionalInteger(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.integer(name, min, min, max);
  }

  /** One of a fixed set of words, compared case-insensitively; returns the canonical spelling. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (found === undefined) {
      this.problem(name, `must be one of ${choices.join(", ")}, got "${value}"`);
      return fallback;
    }
    return found;
  }

  /** A comma-separated list; blanks dropped. */
  list(name: string): string[] {
    return (this.raw(name) ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
}

/** How {@link formatProblems} words its report: whose configuration, what to hide, the fix. */
export interface ProblemReport {
  /** The app's name, as the operator knows it: "<app> cannot start: ...". */
  readonly app: string;
  /** Values replaced by `[redacted]` (the token, wherever it was put by mistake). */
  readonly secrets?: readonly string[];
  /** The last line: where to set the variables. */
  readonly fix?: string;
}

/**
 * Renders problems as the lines an operator sees before the bot exits with status 2, ending
 * with the fix (where to set them).
 *
 * @example
 * ```ts
 * import { formatProblems } from "@postbot/framework";
 *
 * const text = formatProblems([{ variable: "URL", message: "is required" }], { app: "hellobot" });
 * // "hellobot cannot start: the configuration has 1 problem:\n  - URL is required\n..."
 * console.error(text);
 * ```
 */
export function formatProblems(
  problems: readonly ConfigProblem[],
  report: ProblemReport,
): string {
  const secrets = report.secrets ?? [];
  const fix = report.fix ?? "Set them in .env (see .env.example) or in the environment.";
  const hide = (text: string) =>
    secrets.filter((s) => s.length >= 8).reduce((t, s) => t.replaceAll(s, "[redacted]"), text);
  const lines = problems.map((p) =>
    `  - ${p.variable} ${hide(p.message)}` + (p.hint === undefined ? "" : `\n    ${hide(p.hint)}`)
  );
  return `${report.app} cannot start: the configuration has ${problems.length} problem${
    problems.length === 1 ? "" : "s"
  }:\n${lines.join("\n")}\n${fix}`;
}
