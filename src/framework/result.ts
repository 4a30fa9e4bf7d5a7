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
