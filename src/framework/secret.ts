/**
 * A value that must never be printed: the bot's access token. Wrapping it means a config
 * object can be logged, inspected or serialised without leaking it; the raw value is only
 * reachable through an explicit `reveal()`.
 *
 * @module
 */

const REDACTED = "[redacted]";

/** Holds a secret string; every way of turning it into text yields `[redacted]`. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The raw value, for the one place that needs it (the Authorization header). */
  reveal(): string {
    return this.#value;
  }

  /** Removes every occurrence of the secret from a piece of text. */
  scrub(text: string): string {
    return this.#value.length === 0 ? text : text.replaceAll(this.#value, REDACTED);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("Deno.customInspect")](): string {
    return REDACTED;
  }
}
