import assert from "node:assert/strict";
import { parseChatLine } from "./chat.ts";

Deno.test("chat lines: slash commands are the chat's, everything else goes to the bot as typed", () => {
  assert.deepEqual(parseChatLine(" /quit "), { kind: "quit" });
  assert.deepEqual(parseChatLine("/exit"), { kind: "quit" });
  assert.deepEqual(parseChatLine("/help"), { kind: "help" });
  assert.deepEqual(parseChatLine("/as @bob"), { kind: "as", name: "bob" });
  assert.deepEqual(parseChatLine("/file ./notes.md"), { kind: "file", path: "./notes.md" });
  assert.deepEqual(parseChatLine("/file"), { kind: "file", path: "" });
  assert.deepEqual(parseChatLine("/channels"), { kind: "channels" });
  assert.deepEqual(parseChatLine("/nope now"), { kind: "unknown", command: "/nope" });
  assert.deepEqual(parseChatLine("  !help\nmore "), { kind: "message", text: "  !help\nmore " });
});
