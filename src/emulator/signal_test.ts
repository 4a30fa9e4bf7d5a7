import assert from "node:assert/strict";
import { ChangeSignal, waitFor } from "./signal.ts";

Deno.test("waitFor resolves on a signal with the probe's value", async () => {
  const signal = new ChangeSignal();
  let value: string | undefined = undefined;
  const pending = waitFor(signal, () => value);
  value = "ready";
  signal.notify();
  assert.equal(await pending, "ready");
});

Deno.test("waitFor resolves immediately when the probe is already true", async () => {
  assert.equal(await waitFor(new ChangeSignal(), () => 42), 42);
});

Deno.test("waitFor rejects with the given message on timeout", async () => {
  await assert.rejects(
    waitFor(new ChangeSignal(), () => false, { timeoutMs: 60, message: "never" }),
    /never/,
  );
});

Deno.test("waitFor treats a throwing probe as not ready and reports it", async () => {
  await assert.rejects(
    waitFor(new ChangeSignal(), () => {
      throw new Error("boom");
    }, { timeoutMs: 60 }),
    /boom/,
  );
});
