import assert from "node:assert/strict";
import { type AuditEvent, auditText, BroadcastAudit, deliveryEvent } from "./audit.ts";
import { delivery, MIXED, RECORD } from "./fixtures_test.ts";

const NONE = new Set<string>();

Deno.test("an audit line says who, when, how many, what failed, the id and the start of the message", () => {
  const text = auditText(deliveryEvent(RECORD, MIXED), NONE);
  assert.match(
    text,
    /^\*\*Broadcast\*\* `k3m9x2qa` by `@\u200balice` at \d{4}-\d\d-\d\d \d\d:\d\d UTC: /,
  );
  assert.match(text, /2 of 4 channels delivered, 2 failed\./);
  assert.match(text, /Failed: ~town-hall \(`the bot is not a member of ~town-hall`\); ~old-news/);
  assert.match(
    text,
    /\nMessage: `Heads up @\u200bchannel: the \*\*office\*\* closes early today\.`/,
  );
  assert.doesNotMatch(text, /@channel/, "the audit post must not ping the audit channel");
  assert.match(text, /Files: `plan_\[v2\]\.pdf`/);
});

Deno.test("an audit line names the actor of an undo, whose broadcast it was, and deletions", () => {
  const deliveries = [delivery("a", "deleted"), delivery("b", "delivered")];
  const text = auditText(deliveryEvent(RECORD, deliveries, "Undo", "root"), NONE);
  assert.match(text, /^\*\*Undo\*\* `k3m9x2qa` by `@\u200broot` \(sent by `@\u200balice`\) at /);
  assert.match(text, /1 of 2 channels delivered, 1 deleted\./);
});

Deno.test("an audit line of a files-only broadcast and of a long message", () => {
  const filesOnly = auditText(deliveryEvent({ ...RECORD, message: "  " }, MIXED), NONE);
  assert.match(filesOnly, /Message: _\(files only\)_/);
  const long = auditText(
    deliveryEvent({ ...RECORD, message: "x".repeat(10_000), files: [] }, MIXED),
    NONE,
  );
  assert.ok(long.length < 1_000, `audit post is ${long.length} characters`);
  assert.doesNotMatch(long, /Files:/);
});

Deno.test("an audit line keeps user text inert: one line, in code, no mention, no fake line", () => {
  const hostile =
    "ok\n**Undo** `abc12345` by @bob at 2026\n# FAKE AUDIT\n> @all [x](http://e.vil)\n```";
  const text = auditText(
    deliveryEvent({ ...RECORD, message: hostile, senderUsername: "all" }, MIXED),
    NONE,
  );
  const lines = text.split("\n");
  assert.equal(lines.filter((l) => /^\*\*/.test(l)).length, 1, text);
  assert.ok(lines.every((l) => !/^(#|>|```)/.test(l)), text);
  assert.doesNotMatch(text, /@(all|bob|channel|here)\b/);
  const message = lines.find((l) => l.startsWith("Message: "))!;
  assert.match(message, /^Message: `[^`]*`$/);
});

Deno.test("a private channel: counted, never named; message, edit and file names withheld", () => {
  const secret = MIXED[2]; // failed, with an error naming it
  const edit: AuditEvent = {
    ...deliveryEvent(RECORD, MIXED, "Edit", "root"),
    edit: { before: "old words", after: "new words" },
  };
  for (const e of [deliveryEvent(RECORD, MIXED), edit]) {
    const text = auditText(e, new Set([secret.channelId]));
    assert.equal(text.includes(secret.name), false, text);
    assert.equal(text.includes(secret.channelId), false, text);
    assert.equal(text.includes("Heads up"), false, text);
    assert.equal(text.includes("words"), false, text);
    assert.equal(text.includes("plan_"), false, text);
    assert.match(text, /\(1 private channel among them\)/);
    assert.match(text, /Failed: ~old-news \(`~old-news was archived`\); 1 private channel/);
    assert.match(text, /Message: _\(withheld: a private channel is among its channels\)_/);
    assert.match(text, /Files: 1 \(names withheld\)/);
  }
});

Deno.test("channels not known yet withhold the texts too", () => {
  const text = auditText({
    action: "Edit",
    id: "k3m9x2qa",
    actor: "alice",
    at: 0,
    detail: "of a scheduled broadcast",
    channels: undefined,
    edit: { before: "a", after: "b" },
  }, NONE);
  assert.match(text, /Before: _\(withheld until its channels are known/);
  assert.doesNotMatch(text, /`a`|`b`/);
});

Deno.test("BroadcastAudit counts a channel it cannot tell the type of as private", async () => {
  const posted: string[] = [];
  const audit = new BroadcastAudit(
    (t) => Promise.resolve(void posted.push(t)),
    (c) => c.id === MIXED[0].channelId ? Promise.reject(new Error("down")) : Promise.resolve(false),
  );
  await audit.post(deliveryEvent(RECORD, MIXED));
  assert.match(posted[0], /\(1 private channel among them\)/);
  assert.match(posted[0], /Message: _\(withheld/);
});

Deno.test("withheld file names are withheld from failure reasons too", () => {
  const failing = [
    delivery("office-berlin", "failed", 'not sent: I could not download the file "plan_[v2].pdf"'),
    delivery("managers", "delivered"),
  ];
  const text = auditText(deliveryEvent(RECORD, failing), new Set([failing[1].channelId]));
  assert.equal(text.includes("plan_"), false, text);
  assert.match(text, /~office-berlin \(`not sent: I could not download the file "\(a file\)"`\)/);
});
