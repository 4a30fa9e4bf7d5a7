/**
 * Typed reading of configuration variables that collects every problem instead of stopping
 * at the first, so an operator fixes a broken `.env` in one pass.
 *
 * @module
 */

/** One configuration variable that is missing or malformed, and what was expected. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
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

/**
 * Renders problems as the lines an operator sees before the bot exits with status 2, ending
 * with `fix` (where to set them). Any `secrets` (the token, wherever it was put by mistake)
 * are replaced by `[redacted]`.
 */
export function formatProblems(
  problems: readonly ConfigProblem[],
  secrets: readonly string[] = [],
  fix = "Set them in .env (see .env.example) or in the environment.",
): string {
  const hide = (text: string) =>
    secrets.filter((s) => s.length >= 8).reduce((t, s) => t.replaceAll(s, "[redacted]"), text);
  const lines = problems.map((p) => `  - ${p.variable} ${hide(p.message)}`);
  return `postbot cannot start: the configuration has ${problems.length} problem${
    problems.length === 1 ? "" : "s"
  }:\n${lines.join("\n")}\n${fix}`;
}
