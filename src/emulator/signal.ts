/**
 * State-change notification for `Emulator.waitFor`: tests wait for a condition instead of
 * sleeping, and the probe is re-checked whenever the emulator changes something.
 */

/** A fan-out of "something changed" callbacks. */
export class ChangeSignal {
  private readonly listeners = new Set<() => void>();

  /** Registers a callback; returns the function that removes it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Calls every listener (after the current task, so callers finish their update first). */
  notify(): void {
    if (this.listeners.size === 0) return;
    queueMicrotask(() => {
      for (const listener of [...this.listeners]) listener();
    });
  }
}

/** Options of waitFor: timeout (default 10 s) and the rejection message. */
export interface WaitForOptions {
  timeoutMs?: number;
  message?: string;
}

const POLL_MS = 25;

/**
 * Resolves with the first truthy value of `probe`, checked now, on every signal and every
 * 25 ms; rejects after the timeout. A probe that throws counts as "not yet".
 */
export function waitFor<T>(
  signal: ChangeSignal,
  probe: () => T | undefined | null | false,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise<T>((resolve, reject) => {
    let lastError: unknown;
    let done = false;
    const check = (): boolean => {
      if (done) return true;
      try {
        const value = probe();
        if (value) {
          finish();
          resolve(value);
          return true;
        }
      } catch (error) {
        lastError = error;
      }
      return false;
    };
    const unsubscribe = signal.subscribe(() => void check());
    const interval = setInterval(() => void check(), POLL_MS);
    const timer = setTimeout(() => {
      if (check()) return;
      finish();
      const base = opts.message ?? `waitFor timed out after ${timeoutMs} ms`;
      reject(new Error(lastError ? `${base} (last probe error: ${lastError})` : base));
    }, timeoutMs);
    function finish() {
      done = true;
      unsubscribe();
      clearInterval(interval);
      clearTimeout(timer);
    }
    check();
  });
}
