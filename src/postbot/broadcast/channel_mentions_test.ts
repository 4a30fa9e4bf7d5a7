import assert from "node:assert/strict";
import { audienceNotice, channelMentionRefusal, mayMentionChannels } from "./channel_mentions.ts";
import { channelWideMentions } from "@postbot/framework/mentions";

Deno.test("channelWideMentions: any case, inside markdown, with punctuation", () => {
  const cases: [string, string[]][] = [
    ["Hello @all", ["@all"]],
    ["**@ALL** please", ["@all"]],
    ["_@Channel_", ["@channel"]],
    ["[@here](https://example.com)", ["@here"]],
    ["> quoted\n> @here!", ["@here"]],
    ["~~@all~~ and `@channel`", ["@all", "@channel"]],
    ["```\n@here\n```", ["@here"]],
    ["@all-hands meeting, @all.", ["@all"]],
    ["# @CHANNEL", ["@channel"]],
    ["(@here)", ["@here"]],
    ["@allison and @channels and @hereford", []],
    ["mail me@here.example or bob@all", []],
    ["@\u200ball is defused", []],
    ["no mentions at all", []],
  ];
  for (const [text, expected] of cases) {
    assert.deepEqual(channelWideMentions(text), expected, text);
  }
});

Deno.test("mayMentionChannels follows BROADCAST_CHANNEL_MENTIONS", () => {
  assert.equal(mayMentionChannels("admins", true), true);
  assert.equal(mayMentionChannels("admins", false), false);
  assert.equal(mayMentionChannels("all", false), true);
  assert.equal(mayMentionChannels("none", true), false);
});

Deno.test("the refusal says how to send it without; the notice counts members", () => {
  assert.match(channelMentionRefusal(["@all"], "admins"), /only administrators.*remove the @/);
  assert.match(channelMentionRefusal(["@here"], "none"), /nobody may/);
  assert.equal(
    audienceNotice(["@all"], 12, { members: 1240, unknown: 0 }),
    "**This message notifies everyone:** it contains `@\u200ball`, so it will notify all 1,240 " +
      "members of 12 channels.",
  );
  assert.match(
    audienceNotice(["@here"], 1, { members: 3, unknown: 1 }),
    /at least 3 members \(those online\) of 1 channel \(1 channel would not tell/,
  );
});
