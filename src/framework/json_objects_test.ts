import assert from "node:assert/strict";
import { withWorld } from "@postbot/mattermost-emulator/testing";
import { jsonArrayObjects } from "./json_objects.ts";

/** A body delivering `text`'s UTF-8 bytes in pieces of `size` bytes. */
function body(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(text: string, size: number): Promise<unknown[]> {
  return await Array.fromAsync(jsonArrayObjects(body(text, size)));
}

/** Objects with what a naive scan would stumble on: braces, brackets and quotes in strings. */
const TRICKY = [
  { id: "a", total_msg_count: 3, props: { nested: [1, { deep: "}" }] } },
  { id: 'b"}]', header: "\\", purpose: '{["\u00e9\u2603\ud83d\ude00' },
  {},
  { id: "c", list: [], empty: {} },
];

Deno.test("jsonArrayObjects: every object, whatever the chunk boundaries", async () => {
  const text = ` [ ${TRICKY.map((o) => JSON.stringify(o, null, 1)).join(" ,\n")} ] \n`;
  for (let size = 1; size <= text.length; size += size < 40 ? 1 : 97) {
    assert.deepEqual(await collect(text, size), TRICKY, `chunks of ${size} bytes`);
  }
  assert.deepEqual(await collect("[]", 1), []);
});

Deno.test("jsonArrayObjects: what is not an array of objects is refused", async () => {
  for (const bad of ["{}", "[1, 2]", '["a"]', "[{}", '[{"a": 1}', "", "[] []", "[{}] x", "[{x}]"]) {
    await assert.rejects(() => collect(bad, 3), SyntaxError, JSON.stringify(bad));
  }
});

Deno.test("jsonArrayObjects: the bot's channel list on the server, one channel at a time", async () => {
  await withWorld(async ({ emu, bot, team }) => {
    const response = await fetch(`${emu.url}/api/v4/users/me/teams/${team.id}/channels`, {
      headers: { Authorization: `Bearer ${bot.token}` },
    });
    const whole = await response.clone().json() as { id: string }[];
    const streamed = await Array.fromAsync(jsonArrayObjects(response.body!));
    assert.ok(whole.length > 0);
    assert.deepEqual(streamed, whole);
  });
});
