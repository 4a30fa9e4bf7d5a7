/**
 * The `default:` of an exhaustive `switch` over a discriminated union: it does not compile
 * while a case is missing, and fails loudly if a value the types rule out arrives anyway.
 *
 * @module
 */

/** Marks a branch the types prove cannot run; a new union member turns it into a type error. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
