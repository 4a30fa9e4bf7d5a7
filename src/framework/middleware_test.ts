import assert from "node:assert/strict";
import { compose, type Middleware } from "./middleware.ts";

Deno.test("compose runs steps in order, around next()", async () => {
  const trace: string[] = [];
  const step = (name: string): Middleware<string[]> => async (ctx, next) => {
    ctx.push(`${name}>`);
    await next();
    ctx.push(`<${name}`);
  };
  await compose([step("a"), step("b"), step("c")])(trace);
  assert.deepEqual(trace, ["a>", "b>", "c>", "<c", "<b", "<a"]);
});

Deno.test("compose: a step that does not call next() stops the chain", async () => {
  const trace: string[] = [];
  await compose<string[]>([
    async (ctx, next) => {
      ctx.push("first");
      await next();
    },
    (ctx) => {
      ctx.push("filter");
      return Promise.resolve();
    },
    (ctx) => {
      ctx.push("never");
      return Promise.resolve();
    },
  ])(trace);
  assert.deepEqual(trace, ["first", "filter"]);
});

Deno.test("compose: an empty chain resolves", async () => {
  const ctx: string[] = [];
  await compose<string[]>([])(ctx);
  assert.deepEqual(ctx, []);
});

Deno.test("compose: next() twice is a programming error", async () => {
  await assert.rejects(
    compose<string[]>([async (_ctx, next) => {
      await next();
      await next();
    }])([]),
    /next\(\) called more than once/,
  );
});

Deno.test("compose: an error in a later step reaches the caller", async () => {
  await assert.rejects(
    compose<string[]>([(_ctx, next) => next(), () => Promise.reject(new Error("boom"))])([]),
    /boom/,
  );
});

Deno.test("compose: each message gets a fresh run of the chain", async () => {
  let count = 0;
  const run = compose<number[]>([async (ctx, next) => {
    count++;
    ctx.push(count);
    await next();
  }]);
  const first: number[] = [];
  const second: number[] = [];
  await run(first);
  await run(second);
  assert.deepEqual([first, second], [[1], [2]]);
});
