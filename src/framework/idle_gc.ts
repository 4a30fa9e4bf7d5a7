/**
 * `@postbot/framework/idle_gc`: gives memory back when the bot goes quiet. A channel sweep or
 * a burst of posts leaves V8's heap grown with garbage; V8's own memory reducer shrinks it only
 * after many seconds of idleness, one step at a time, so a bot that is idle nearly all day sits
 * on its peak for long. Work calls {@link settleSoon}; once nothing has called it for
 * {@link QUIET_MS}, one full collection runs (`gc()`, exposed by `--v8-flags=--expose-gc` in
 * the app's start command), of the kind V8 runs when memory is low ("last resort": the heap
 * compacted and its emptied pages given back). A plain `gc()` collects but keeps the grown
 * heap. Without the flag (tests in-process, tools) it does nothing. The bot calls it after
 * every message; an app calls it after its own heavy work, hence a subpath of its own.
 *
 * @module
 */

/** How long without work before collecting. */
export const QUIET_MS = 1_000;

let timer: ReturnType<typeof setTimeout> | undefined;
let collections = 0;

/** Notes that work just finished; collects once the bot has been quiet for `quietMs`. */
export function settleSoon(quietMs = QUIET_MS): void {
  const gc = (globalThis as { gc?: (options?: unknown) => void }).gc;
  if (typeof gc !== "function") return;
  if (timer !== undefined) clearTimeout(timer);
  const next = setTimeout(() => {
    timer = undefined;
    collections++;
    gc({ type: "major", execution: "sync", flavor: "last-resort" });
  }, quietMs);
  // Never the reason the process stays alive.
  Deno.unrefTimer(next);
  timer = next;
}

/** How many collections ran (health, tests). */
export function idleCollections(): number {
  return collections;
}
