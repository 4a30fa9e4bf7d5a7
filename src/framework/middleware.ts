/**
 * A middleware chain in the style of grammY and Hono: each step sees the context and decides
 * whether the rest of the chain runs by calling `next()`.
 *
 * @module
 */

/** One step of the chain. Not calling `next` stops processing of this message. */
export type Middleware<C> = (ctx: C, next: () => Promise<void>) => Promise<void>;

/**
 * Runs middleware in order; `next` called twice in one step is a programming error.
 *
 * @example
 * ```ts
 * import { compose, type Middleware } from "@postbot/framework";
 *
 * const seen: string[] = [];
 * const around: Middleware<{ text: string }> = async (ctx, next) => {
 *   seen.push(`before ${ctx.text}`);
 *   await next();
 *   seen.push("after");
 * };
 * const handle: Middleware<{ text: string }> = async (ctx) => {
 *   seen.push(`handled ${ctx.text}`);
 * };
 * await compose([around, handle])({ text: "hi" });
 * // seen: ["before hi", "handled hi", "after"]
 * ```
 */
export function compose<C>(steps: readonly Middleware<C>[]): (ctx: C) => Promise<void> {
  return (ctx) => {
    const run = async (index: number): Promise<void> => {
      const step = steps[index];
      if (step === undefined) return;
      let called = false;
      await step(ctx, () => {
        if (called) throw new Error("next() called more than once");
        called = true;
        return run(index + 1);
      });
    };
    return run(0);
  };
}
