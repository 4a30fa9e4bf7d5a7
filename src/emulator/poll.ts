/**
 * Waiting in tests for state the emulator cannot signal (the bot's database, its processes,
 * its health endpoint): poll a probe until it yields a value, or fail naming what never
 * happened. For anything the emulator sees, prefer `emu.waitFor`, which wakes on each change
 * instead.
 *
 * @module
 */

/** How often {@link until} asks again. Short enough not to slow a test, long enough to be cheap. */
const INTERVAL_MS = 50;

/**
 * Resolves with the first value of `probe` that is not `undefined`; rejects after `timeoutMs`
 * with "timed out waiting for <what>". The default timeout is generous: the machine is shared.
 */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
  }
}
