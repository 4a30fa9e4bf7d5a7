import assert from "node:assert/strict";
import { isCancel, yesNo } from "./conversation.ts";

Deno.test("yesNo reads yes and no, case-insensitively, and nothing else", () => {
  for (const text of ["yes", "Y", "YES", " y ", "Yes!", "yes."]) {
    assert.equal(yesNo(text), "yes", JSON.stringify(text));
  }
  for (const text of ["no", "N", "NO", " n\n", "No."]) {
    assert.equal(yesNo(text), "no", JSON.stringify(text));
  }
  for (
    const text of ["", "yep", "nope", "yes please", "y y", "!yes", "ja", "n0", "'; DROP TABLE"]
  ) {
    assert.equal(yesNo(text), undefined, JSON.stringify(text));
  }
});

Deno.test("isCancel recognises the words that leave the wizard", () => {
  for (const text of ["cancel", "Cancel", " ABORT ", "stop!", "cancel.", "**Cancel!**", "`stop`"]) {
    assert.equal(isCancel(text), true, JSON.stringify(text));
  }
  for (const text of ["cancel it", "stop the presses", "no", "", "cancellation"]) {
    assert.equal(isCancel(text), false, JSON.stringify(text));
  }
});
