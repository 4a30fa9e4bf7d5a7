import assert from "node:assert/strict";
import type { ChannelsConfig } from "../channels/parse.ts";
import type { Draft } from "./conversation.ts";
import { previewText, targetQuestion } from "./preview.ts";
import type { ResolvedTarget } from "../targets/resolution.ts";

const ID = (c: string) => c.repeat(26);

const CONFIG: ChannelsConfig = {
  whitelist: ["town-square", "announcements"],
  groups: new Map([["All offices", [ID("a"), ID("b"), ID("c")]], ["Engineering", [ID("d")]]]),
  privateGroups: new Map([["Board of directors", [ID("e")]]]),
  lists: new Map(),
  aliases: new Map([
    ["all", "all offices"],
    ["news", "announcements"],
    ["board", "Board of directors"],
  ]),
};

function draft(message: string, files: Draft["files"] = []): Draft {
  return { sourcePostId: ID("p"), message, files };
}

function target(name: string, displayName: string): ResolvedTarget {
  return {
    kind: "channel" as const,
    channelId: ID(name[0]),
    name,
    displayName,
    type: "O",
    botIsMember: true,
    via: [name],
  };
}

Deno.test("targetQuestion lists public groups, their aliases and the whitelist", () => {
  const text = targetQuestion(CONFIG, draft("hi"));
  assert.match(text, /All offices \(3\)/);
  assert.match(text, /Engineering \(1\)/);
  assert.match(text, /`all` → all offices/, "an alias is listed whatever its target's case");
  assert.match(text, /`news` → announcements/);
  assert.match(text, /~town-square, ~announcements/);
  assert.match(text, /cancel/);
});

Deno.test("targetQuestion never shows private groups, nor aliases leading to them", () => {
  const text = targetQuestion(CONFIG, draft("hi"));
  assert.doesNotMatch(text, /Board/i);
  assert.doesNotMatch(text, /`board`/);
});

Deno.test("targetQuestion mentions the files of the draft", () => {
  const files = [{ id: ID("f"), name: "a.pdf", size: 1, mimeType: "application/pdf" }];
  assert.match(targetQuestion(CONFIG, draft("", files)), /with 1 file\)/);
  assert.doesNotMatch(targetQuestion(CONFIG, draft("x")), /with \d+ file/);
});

Deno.test("previewText shows recipients, their count, files and the start of the message", () => {
  const text = previewText(
    draft("Quarterly numbers are in.\nSee attached.", [
      { id: ID("f"), name: "q1.pdf", size: 1_234_567, mimeType: "application/pdf" },
      { id: ID("g"), name: "notes_*v2*.txt", size: 830, mimeType: "text/plain" },
    ]),
    [target("office-berlin", "Office Berlin"), target("office-paris", "Office Paris")],
    ["~no-bot: I am not a member"],
  );
  assert.match(text, /Ready to send to 2 channels:\*\* Office Berlin, Office Paris/);
  assert.match(text, /q1\.pdf \(1\.2 MB\)/);
  assert.match(text, /notes\\_\\\*v2\\\*\.txt \(830 bytes\)/, "file names cannot format the reply");
  assert.match(text, /> Quarterly numbers are in\.\n> See attached\./);
  assert.match(text, /:warning: ~no-bot: I am not a member/);
  assert.match(text, /Answer \*\*yes\*\* or \*\*no\*\*\.$/);
});

Deno.test("previewText cuts a long message and summarises many channels", () => {
  const long = "word ".repeat(2_000);
  const many = Array.from({ length: 75 }, (_, i) => target(`c${i}`, `Channel ${i}`));
  const text = previewText(draft(long), many, []);
  assert.ok(text.length < 3_000, `preview is ${text.length} characters`);
  assert.match(text, /Ready to send to 75 channels/);
  assert.match(text, /Channel 59, and 15 more/);
  assert.doesNotMatch(text, /Channel 60/);
  assert.match(text, /…/);
});

Deno.test("previewText says when the broadcast is files only", () => {
  const files = [{ id: ID("f"), name: "a.png", size: 2_000, mimeType: "image/png" }];
  const text = previewText(draft("", files), [target("town-square", "Town Square")], []);
  assert.match(text, /no text, files only/);
  assert.match(text, /Ready to send to 1 channel:\*\*/);
});

Deno.test("previewText does not ping: mentions in the message and display names are inert", () => {
  const text = previewText(
    draft("@channel @all @here please read, @alice\nmail me: a@example.com"),
    [target("town-square", "@all hands")],
    [],
  );
  assert.doesNotMatch(text, /@(channel|all|here|alice)\b/);
  assert.match(text, /@\u200bchannel @\u200ball @\u200bhere please read, @\u200balice/);
});
