import assert from "node:assert/strict";
import { decodeAttachments, findAction, strippedProps, withActionIds } from "./attachments.ts";

Deno.test("attachments decode into the Go struct's JSON: every field, unknown keys gone", () => {
  const [a] = decodeAttachments([{ text: "hi", extra: true, fields: [null, { title: "t" }] }])!;
  assert.deepEqual(a, {
    id: 0,
    fallback: "",
    color: "",
    pretext: "",
    author_name: "",
    author_link: "",
    author_icon: "",
    title: "",
    title_link: "",
    text: "hi",
    fields: [{ title: "t", value: null, short: false }],
    image_url: "",
    thumb_url: "",
    footer: "",
    footer_icon: "",
    ts: null,
  });
});

Deno.test("an attachment with a field of the wrong type is dropped whole; none left reads null", () => {
  assert.equal(decodeAttachments([{ text: 5 }]), null);
  assert.equal(decodeAttachments([{ id: "x" }, { actions: "no" }, "text", 7]), null);
  assert.equal(decodeAttachments([]), null);
  assert.equal(decodeAttachments({ text: "not a list" }), null);
  const kept = decodeAttachments([{ text: 1 }, { text: "ok" }, null])!;
  assert.deepEqual(kept.map((a) => a.text), ["ok", ""], "null decodes to an empty attachment");
  const short = decodeAttachments([{ fields: [{ short: "TRUE" }, { short: false }] }])!;
  assert.deepEqual((short[0].fields as { short: boolean }[]).map((f) => f.short), [true, false]);
  assert.equal(decodeAttachments([{ fields: [{ short: null }] }]), null);
});

Deno.test("actions: ids generated when missing, empty fields left out, integrations stripped", () => {
  const props = withActionIds({
    from_bot: "true",
    attachments: [{
      actions: [
        null,
        { name: "A", integration: { url: "http://x", context: {} } },
        { id: "keep", name: "B", disabled: false, options: [], integration: { context: { s: 1 } } },
      ],
    }],
  });
  const actions = (props.attachments as { actions: Record<string, unknown>[] }[])[0].actions;
  assert.equal(actions.length, 2, "null actions are ignored");
  assert.match(actions[0].id as string, /^[a-z0-9]{26}$/);
  assert.deepEqual(actions[0], { id: actions[0].id, name: "A", integration: { url: "http://x" } });
  assert.deepEqual(actions[1], { id: "keep", name: "B", integration: { context: { s: 1 } } });
  assert.equal(findAction(props, "keep")?.name, "B");
  const shown = strippedProps(props);
  assert.equal(JSON.stringify(shown).includes("integration"), false);
  assert.ok(JSON.stringify(props).includes("integration"), "the stored props keep them");
  assert.deepEqual(withActionIds({ attachments: null }), { attachments: null });
  assert.deepEqual(withActionIds({ attachments: [] }), { attachments: null });
});
