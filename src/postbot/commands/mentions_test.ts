import assert from "node:assert/strict";
import { defuseMentions } from "./mentions.ts";

Deno.test("defuseMentions: mentions outside code get a zero-width space", () => {
  assert.equal(defuseMentions('group "@channel": bad'), 'group "@\u200bchannel": bad');
  assert.equal(
    defuseMentions("@all and @here and @bob.smith"),
    "@\u200ball and @\u200bhere and @\u200bbob.smith",
  );
});

Deno.test("defuseMentions: code spans and fenced blocks are left alone", () => {
  const text = 'in `@channel` and\n```\n"@all" = []\n```\nbut @here';
  assert.equal(defuseMentions(text), 'in `@channel` and\n```\n"@all" = []\n```\nbut @\u200bhere');
  assert.equal(defuseMentions("````\n```@x```\n````"), "````\n```@x```\n````");
});

Deno.test("defuseMentions: a lone @ and e-mail-like text stay readable", () => {
  assert.equal(defuseMentions("@ alone"), "@ alone");
  assert.equal(defuseMentions("no mentions"), "no mentions");
  assert.equal(defuseMentions("a@b").replace("\u200b", ""), "a@b");
});
