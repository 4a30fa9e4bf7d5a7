/**
 * Interactive message buttons as Mattermost 11.4 handles them, pinned on both backends (the
 * emulator, and the real server under `deno task e2e`, whose config lets it reach 127.0.0.1):
 * how a post with buttons is stored and shown (integrations stripped everywhere), what a click
 * sends to the integration, how its answer changes the post and reaches the clicker, and what
 * each failure answers.
 */

import assert from "node:assert/strict";
import { type Scenario, startScenario } from "@postbot/harness";
import { EventSocket, IntegrationStub, rest } from "./support/server_probe.ts";

/** A DM from the bot to alice with an "Ack" button (id "ack") and one without an id. */
async function buttonPost(s: Scenario, stub: IntegrationStub, url = stub.url()) {
  const { bot, alice } = s.world;
  const dm = await s.server.directChannel(bot.user.id, alice.user.id);
  const r = await rest(s, bot, "POST", "/posts", {
    channel_id: dm.id,
    message: "Please confirm",
    props: {
      attachments: [{
        text: "Fire drill at 3pm",
        unknown_key: 1,
        actions: [
          { id: "ack", name: "Ack", type: "button", integration: { url, context: { n: 7 } } },
          { name: "Seen", integration: { url, context: { secret: "s3cr3t" } } },
        ],
      }],
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

Deno.test("a post with buttons is stored normalised and shown without its integrations", async () => {
  const s = await startScenario({ startBot: false });
  const stub = new IntegrationStub();
  const socket = await EventSocket.open(s, s.world.alice);
  try {
    const created = await buttonPost(s, stub);
    const [attachment] = created.props.attachments;
    assert.deepEqual(Object.keys(attachment).sort(), [
      "actions",
      "author_icon",
      "author_link",
      "author_name",
      "color",
      "fallback",
      "fields",
      "footer",
      "footer_icon",
      "id",
      "image_url",
      "pretext",
      "text",
      "thumb_url",
      "title",
      "title_link",
      "ts",
    ], "the Go struct's fields; unknown keys gone");
    assert.deepEqual([attachment.id, attachment.fields, attachment.ts], [0, null, null]);
    assert.equal(attachment.actions[0].id, "ack");
    assert.match(attachment.actions[1].id, /^[a-z0-9]{26}$/, "a missing action id is generated");
    assert.equal(created.props.from_bot, "true");
    assert.deepEqual(created.metadata.embeds, [{ type: "message_attachment" }]);
    const reads = [
      created,
      (await rest(s, s.world.alice, "GET", `/posts/${created.id}`)).body,
      (await rest(s, s.world.alice, "GET", `/channels/${created.channel_id}/posts`)).body
        .posts[created.id],
      (await rest(s, s.world.alice, "POST", "/posts/ids", [created.id])).body[0],
      JSON.parse(
        (await socket.next((f) => f.event === "posted")).data.post,
      ),
    ];
    for (const post of reads) {
      const text = JSON.stringify(post);
      assert.equal(text.includes("integration"), false, text);
      assert.equal(text.includes("s3cr3t"), false, text);
      assert.deepEqual(post.props.attachments[0].actions.map((a: { id: string }) => a.id), [
        "ack",
        attachment.actions[1].id,
      ]);
    }
    assert.deepEqual(reads[3].metadata, {}, "POST /posts/ids prepares no embeds");
  } finally {
    await socket.close();
    await stub.stop();
    await s.stop();
  }
});

Deno.test("a click posts the clicker and the context to the integration, unsigned", async () => {
  const s = await startScenario({ startBot: false });
  const stub = new IntegrationStub();
  try {
    const post = await buttonPost(s, stub);
    const clicked = await s.server.clickButton(s.world.alice.user.id, post.id, "ack");
    assert.equal(clicked.status, 200, JSON.stringify(clicked.body));
    assert.equal(clicked.body.status, "OK");
    assert.match(clicked.body.trigger_id, /^[a-z0-9]{26}$/);
    assert.equal(stub.calls.length, 1);
    const [call] = stub.calls;
    assert.equal(call.path, "/hook");
    assert.equal(call.headers["content-type"], "application/json");
    assert.equal(call.headers["user-agent"], "Mattermost-Bot/1.1");
    assert.equal(call.headers["authorization"], undefined);
    const { trigger_id: trigger, ...rest } = call.body;
    assert.deepEqual(rest, {
      user_id: s.world.alice.user.id,
      user_name: "alice",
      channel_id: post.channel_id,
      channel_name: [s.world.alice.user.id, s.world.bot.user.id].sort().join("__"),
      team_id: "",
      team_domain: "",
      post_id: post.id,
      type: "button",
      data_source: "",
      context: { n: 7 },
    });
    const decoded = atob(trigger).split(":");
    assert.deepEqual(
      decoded.slice(0, 2),
      [clicked.body.trigger_id, s.world.alice.user.id],
      "the integration's trigger id is the clicker's, signed",
    );
  } finally {
    await stub.stop();
    await s.stop();
  }
});

Deno.test("the integration's answer replaces the post and tells the clicker alone", async () => {
  const s = await startScenario({ startBot: false });
  const stub = new IntegrationStub();
  const [aliceSocket, botSocket] = await Promise.all(
    [s.world.alice, s.world.bot].map((p) => EventSocket.open(s, p)),
  );
  try {
    const post = await buttonPost(s, stub);
    stub.answer = () =>
      Response.json({
        update: { message: "Confirmed", props: { attachments: [{ text: "done" }] } },
        ephemeral_text: "Thanks <https://example.com/drill|see the plan>",
        goto_location: "https://example.com",
      });
    const clicked = await s.server.clickButton(s.world.alice.user.id, post.id, "ack");
    assert.equal(clicked.status, 200);
    const after = (await rest(s, s.world.alice, "GET", `/posts/${post.id}`)).body;
    assert.equal(after.message, "Confirmed");
    assert.ok(after.edit_at > 0);
    assert.equal(after.props.attachments[0].text, "done");
    assert.equal("from_bot" in after.props, false, "the update's props replace them all");
    for (const socket of [aliceSocket, botSocket]) {
      const edited = await socket.next((f) => f.event === "post_edited");
      assert.equal(JSON.parse(edited.data.post).message, "Confirmed");
    }
    const ephemeral = await aliceSocket.next((f) => f.event === "ephemeral_message");
    const shown = JSON.parse(ephemeral.data.post);
    assert.deepEqual(
      [shown.user_id, shown.root_id, shown.type, shown.message, shown.channel_id],
      [
        s.world.alice.user.id,
        post.id,
        "system_ephemeral",
        "Thanks [see the plan](https://example.com/drill)",
        post.channel_id,
      ],
    );
    assert.equal(ephemeral.broadcast.user_id, s.world.alice.user.id);
    const marker = await rest(s, s.world.alice, "POST", "/posts", {
      channel_id: post.channel_id,
      message: "marker",
    });
    await botSocket.next((f) =>
      f.event === "posted" && JSON.parse(f.data.post).id === marker.body.id
    );
    assert.equal(botSocket.events("ephemeral_message").length, 0, "the bot sees no ephemeral");

    // The buttons are gone with the old props: a fresh post for the next click.
    const second = await buttonPost(s, stub);
    stub.answer = () => Response.json({ update: { props: { kept: "no" } } });
    assert.equal((await s.server.clickButton(s.world.alice.user.id, second.id, "ack")).status, 200);
    const emptied = (await rest(s, s.world.alice, "GET", `/posts/${second.id}`)).body;
    assert.equal(emptied.message, "", "an update without a message empties it");
  } finally {
    await aliceSocket.close();
    await botSocket.close();
    await stub.stop();
    await s.stop();
  }
});

Deno.test("an update without props keeps them; a message-only answer keeps the buttons", async () => {
  const s = await startScenario({ startBot: false });
  const stub = new IntegrationStub();
  try {
    const post = await buttonPost(s, stub);
    stub.answer = () => Response.json({ update: { message: "Seen by alice" } });
    assert.equal((await s.server.clickButton(s.world.alice.user.id, post.id, "ack")).status, 200);
    const after = (await rest(s, s.world.alice, "GET", `/posts/${post.id}`)).body;
    assert.equal(after.message, "Seen by alice");
    assert.equal(after.props.from_bot, "true");
    assert.equal(after.props.attachments[0].actions[0].id, "ack");
    stub.answer = () => new Response("", { status: 200 });
    assert.equal((await s.server.clickButton(s.world.alice.user.id, post.id, "ack")).status, 200);
    assert.equal(
      (await rest(s, s.world.alice, "GET", `/posts/${post.id}`)).body.message,
      "Seen by alice",
    );
  } finally {
    await stub.stop();
    await s.stop();
  }
});

Deno.test("clicks refused: a failing or silent integration, a missing action, a stranger", async () => {
  const s = await startScenario({ startBot: false });
  const stub = new IntegrationStub();
  const click = (post: { id: string }, action = "ack", who = s.world.alice) =>
    s.server.clickButton(who.user.id, post.id, action);
  const integrationError = [400, "api.post.do_action.action_integration.app_error"];
  try {
    const post = await buttonPost(s, stub);
    for (
      const answer of [
        () => new Response("boom", { status: 500 }),
        () => Response.json({}, { status: 201 }),
        () => new Response("not json"),
        () => Response.json({ update: { message: 5 } }),
      ]
    ) {
      stub.answer = answer;
      const r = await click(post);
      assert.deepEqual([r.status, r.body.id], integrationError);
    }
    assert.equal(
      (await rest(s, s.world.alice, "GET", `/posts/${post.id}`)).body.message,
      "Please confirm",
    );
    const missing = await click(post, "nosuchaction");
    assert.deepEqual([missing.status, missing.body.id], [
      404,
      "api.post.do_action.action_id.app_error",
    ]);
    const stranger = await click(post, "ack", s.world.bob);
    assert.deepEqual([stranger.status, stranger.body.id], [
      403,
      "api.context.permissions.app_error",
    ]);
    const unreachable = await click(await buttonPost(s, stub, "http://127.0.0.1:1/hook"));
    assert.deepEqual([unreachable.status, unreachable.body.id], integrationError);
    // 127.0.0.2 is loopback too, but not named in AllowedUntrustedInternalConnections.
    const calls = stub.calls.length;
    const forbidden = await click(await buttonPost(s, stub, stub.url("/hook", "127.0.0.2")));
    assert.deepEqual([forbidden.status, forbidden.body.id], integrationError);
    assert.equal(stub.calls.length, calls, "the server never connected");
    await rest(s, s.world.bot, "DELETE", `/posts/${post.id}`);
    const deleted = await click(post);
    assert.deepEqual([deleted.status, deleted.body.id], [404, "app.post.get.app_error"]);
    const [gone] = (await rest(s, s.world.alice, "POST", "/posts/ids", [post.id])).body;
    assert.ok(gone.delete_at > 0);
    assert.deepEqual([gone.message, gone.metadata], ["", {}], "a deleted post comes emptied");
  } finally {
    await stub.stop();
    await s.stop();
  }
});

Deno.test("a patch with props replaces them all; new attachments mark the post edited", async () => {
  const s = await startScenario({ startBot: false });
  const stub = new IntegrationStub();
  try {
    const post = await buttonPost(s, stub);
    assert.equal(post.edit_at, 0);
    const { bot, alice } = s.world;
    const sameProps = await rest(s, bot, "PUT", `/posts/${post.id}/patch`, {
      props: { mine: "1" },
    });
    assert.equal(sameProps.status, 200, JSON.stringify(sameProps.body));
    assert.deepEqual(sameProps.body.props, { mine: "1" }, "from_bot and the buttons are gone");
    assert.notEqual(sameProps.body.edit_at, 0, "the attachments changed: edited");
    const again = await rest(s, bot, "PUT", `/posts/${post.id}/patch`, {
      props: {
        mine: "2",
        from_bot: "true",
        attachments: [{
          text: "1 acknowledged",
          actions: [{
            id: "ack",
            name: "Ack",
            integration: { url: stub.url(), context: { n: 8 } },
          }],
        }],
      },
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const read = (await rest(s, alice, "GET", `/posts/${post.id}`)).body;
    assert.equal(read.message, "Please confirm", "the message is kept");
    assert.equal(read.props.from_bot, "true");
    assert.equal(read.props.attachments[0].text, "1 acknowledged");
    assert.equal(JSON.stringify(read).includes("integration"), false);
    const clicked = await s.server.clickButton(alice.user.id, post.id, "ack");
    assert.equal(clicked.status, 200);
    assert.deepEqual(stub.calls.at(-1)?.body.context, { n: 8 }, "the new context is used");
    const wrong = await rest(s, bot, "PUT", `/posts/${post.id}/patch`, { props: "x" });
    assert.equal(wrong.status, 400);
  } finally {
    await stub.stop();
    await s.stop();
  }
});
