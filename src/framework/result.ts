/**
 * Errors as values. Operations a user can get wrong (bad TOML, an unknown channel, a file
 * that cannot be read) return a `Result` instead of throwing, so the caller must decide what
 * the user is told, and the error is logged once, where it is handled.
 *
 * @module
 */

/** The outcome of an operation that can fail in a way a user should hear about. */
export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

/** Wraps a successful value. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

/** Wraps a failure. */
export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}

/**
 * What went wrong, in words the person who has to act can use: the one error type at module
 * boundaries. `hint` says how to fix it, where there is something to say.
 */
export interface Problem {
  readonly message: string;
  readonly hint?: string;
}

/** Builds a {@link Problem}. */
export function problem(message: string, hint?: string): Problem {
  return hint === undefined ? { message } : { message, hint };
}

/** A failed {@link Result} carrying a {@link Problem}. */
export function fail(
  message: string,
  hint?: string,
): { readonly ok: false; readonly error: Problem } {
  return err(problem(message, hint));
}

/** A problem as the text a reply or a log line shows: the message, then the hint on its own line. */
export function describeProblem(p: Problem): string {
  return p.hint === undefined ? p.message : `${p.message}\n${p.hint}`;
}
