import assert from "node:assert/strict";
import { isMattermostId, MATTERMOST_ID_LENGTH, mattermostIdProblem } from "./mattermost_id.ts";

Deno.test("isMattermostId accepts 26 lowercase letters and digits", () => {
  assert.equal(MATTERMOST_ID_LENGTH, 26);
  assert.equal(isMattermostId("abcdefghijklmnopqrstuvwxyz"), true);
  assert.equal(isMattermostId("0123456789abcdefghijklmnop"), true);
});

Deno.test("isMattermostId rejects other shapes", () => {
  for (
    const s of [
      "",
      "abcdefghijklmnopqrstuvwxy", // 25
      "abcdefghijklmnopqrstuvwxyz0", // 27
      "Abcdefghijklmnopqrstuvwxyz",
      "abcdefghijklmnopqrstuvwxy-",
      " abcdefghijklmnopqrstuvwxy",
      "abcdefghijklmnopqrstuvwxyz\n",
      "abcdefghijklmnopqrstuvwxé",
      "town-square",
    ]
  ) {
    assert.equal(isMattermostId(s), false, JSON.stringify(s));
  }
});

Deno.test("mattermostIdProblem explains the mistake", () => {
  assert.equal(mattermostIdProblem("abcdefghijklmnopqrstuvwxyz"), undefined);
  assert.equal(mattermostIdProblem(""), "it is empty");
  assert.match(mattermostIdProblem(" abcdefghijklmnopqrstuvwxyz")!, /spaces/);
  assert.match(mattermostIdProblem("ABCDEFGHIJKLMNOPQRSTUVWXYZ")!, /uppercase/);
  assert.match(mattermostIdProblem("abc-defghijklmnopqrstuvwxy")!, /"-"/);
  assert.match(mattermostIdProblem("abc")!, /3 characters/);
});
