/**
 * Reactions and interactive buttons: the emulator's switches (emu.config) and the hostile or
 * rare cases the pins on both backends (tests/*_pins_test.ts) do not reach.
 */

import assert from "node:assert/strict";
import { AppError } from "./mod.ts";
import { withWorld, type World } from "./testing.ts";

async function api(w: World, token: string, method: string, path: string, body?: unknown) {
  const r = await fetch(`${w.emu.url}/api/v4${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text === "" ? undefined : JSON.parse(text) };
}

/** A local integration: records bodies, answers with `answer()`. */
function integration(answer: () => Response | Promise<Response> = () => Response.json({})) {
  const calls: Record<string, unknown>[] = [];
  const server = Deno.serve({ hostname: "0.0.0.0", port: 0, onListen() {} }, async (req) => {
    calls.push(await req.json());
    return await current.answer();
  });
  const current = {
    calls,
    answer,
    url: (host = "127.0.0.1") => `http://${host}:${server.addr.port}/hook`,
    stop: () => server.shutdown(),
  };
  return current;
}

/** A post of the bot's in its DM with alice, with one button `go` posting to `url`. */
function buttonPost(w: World, url: string, action: Record<string, unknown> = {}, props = {}) {
  return w.emu.store.createPost(w.bot.user.id, {
    channel_id: w.dm.id,
    message: "ask",
    props: {
      ...props,
      attachments: [{
        actions: [{ id: "go", name: "Go", type: "button", integration: { url }, ...action }],
      }],
    },
  });
}

Deno.test("the emulator reaches any integration; AllowedUntrustedInternalConnections refuses the unnamed", async () => {
  const hook = integration();
  try {
    await withWorld(async (w) => {
      const click = (url: string) =>
        w.emu.store.clickAction(w.alice.user.id, buttonPost(w, url).id, "go");
      await click(hook.url("127.0.0.2"));
      assert.equal(hook.calls.length, 1, "no allowlist by default");
      w.emu.config.allowedUntrustedInternalConnections = "";
      await assert.rejects(click(hook.url()), (e: AppError) => e.statusCode === 400);
      w.emu.config.allowedUntrustedInternalConnections = "10.0.0.0/8, 127.0.0.0/8";
      await click(hook.url("127.0.0.2"));
      w.emu.config.allowedUntrustedInternalConnections = "localhost";
      await click(hook.url("localhost"));
      await assert.rejects(click(hook.url("127.0.0.1")), AppError, "names match exactly");
      assert.equal(hook.calls.length, 3);
      await assert.rejects(click("ftp://127.0.0.1/x"), AppError);
      await assert.rejects(click("not a url"), AppError);
    });
  } finally {
    await hook.stop();
  }
});

Deno.test("an integration slower than OutgoingIntegrationRequestsTimeout is a 400", async () => {
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const hook = integration(async () => {
    await held;
    return Response.json({});
  });
  try {
    await withWorld(async (w) => {
      w.emu.config.outgoingIntegrationRequestsTimeoutMs = 100;
      const post = buttonPost(w, hook.url());
      const r = await api(w, w.alice.token, "POST", `/posts/${post.id}/actions/go`, {});
      assert.deepEqual([r.status, r.body.id], [
        400,
        "api.post.do_action.action_integration.app_error",
      ]);
    });
  } finally {
    release();
    await hook.stop();
  }
});

Deno.test("a menu's choice goes in the context; a cookie the server never gave is refused", async () => {
  const hook = integration();
  try {
    await withWorld(async (w) => {
      const post = buttonPost(w, hook.url(), {
        type: "select",
        data_source: "users",
        integration: { url: hook.url(), context: { k: 1 } },
      });
      const path = `/posts/${post.id}/actions/go`;
      const r = await api(w, w.alice.token, "POST", path, { selected_option: "opt" });
      assert.equal(r.status, 200);
      assert.deepEqual([hook.calls[0].type, hook.calls[0].data_source, hook.calls[0].context], [
        "select",
        "users",
        { k: 1, selected_option: "opt" },
      ]);
      const cookie = await api(w, w.alice.token, "POST", path, { cookie: "forged" });
      assert.equal(cookie.status, 400);
      const badId = await api(w, w.alice.token, "POST", `/posts/${post.id}/actions/a-b`, {});
      assert.deepEqual([badId.status, badId.body.id], [404, "api.context.404.app_error"]);
    });
  } finally {
    await hook.stop();
  }
});

Deno.test("an answer keeps override props for the update and the ephemeral; files not named go", async () => {
  const hook = integration();
  try {
    await withWorld(async (w) => {
      const file = w.emu.store.uploadFile(w.bot.user.id, w.dm.id, "a.txt", new Uint8Array(2));
      const post = w.emu.store.createPost(w.bot.user.id, {
        channel_id: w.dm.id,
        message: "with a file",
        file_ids: [file.id],
        props: {
          override_username: "Announcer",
          attachments: [{ actions: [{ id: "go", name: "Go", integration: { url: hook.url() } }] }],
        },
      });
      assert.ok(JSON.stringify(w.emu.store.storedPost(post.id)).includes(hook.url()));
      hook.answer = () =>
        Response.json({
          update: { message: "done", props: { override_username: "Other", add_channel_member: 1 } },
          ephemeral_text: "noted",
        });
      await w.emu.store.clickAction(w.alice.user.id, post.id, "go");
      const after = w.emu.store.allPosts().find((p) => p.id === post.id)!;
      assert.deepEqual(after.props, { override_username: "Announcer" });
      assert.deepEqual(after.file_ids, [], "the update named no files");
      assert.ok(w.emu.store.getFile(file.id)!.delete_at > 0);
    });
  } finally {
    await hook.stop();
  }
});

Deno.test("a system post with a button cannot be updated by its integration", async () => {
  const hook = integration(() => Response.json({ update: { message: "x" } }));
  try {
    await withWorld(async (w) => {
      const post = w.emu.store.createPost(w.bot.user.id, {
        channel_id: w.dm.id,
        message: "system",
        type: "system_generic",
        props: { attachments: [{ actions: [{ id: "go", integration: { url: hook.url() } }] }] },
      });
      await assert.rejects(
        w.emu.store.clickAction(w.alice.user.id, post.id, "go"),
        (e: AppError) => e.id === "api.post.update_post.system_message.app_error",
      );
    });
  } finally {
    await hook.stop();
  }
});

Deno.test("reactions: the distinct-emoji limit, admins remove others', archived channels, names", async () => {
  await withWorld(async (w) => {
    const s = w.emu.store;
    const post = s.createPost(w.alice.user.id, { channel_id: w.town.id, message: "r" });
    w.emu.config.uniqueEmojiReactionLimitPerPost = 2;
    s.addReaction(w.alice.user.id, post.id, "smile");
    s.addReaction(w.bob.user.id, post.id, "eyes");
    s.addReaction(w.bot.user.id, post.id, "smile");
    assert.throws(
      () => s.addReaction(w.bob.user.id, post.id, "tada"),
      (e: AppError) => e.id === "app.reaction.save.save.too_many_reactions",
    );
    const admin = s.createUser({ username: "root", roles: "system_user system_admin" });
    const byAdmin = await api(
      w,
      admin.token,
      "DELETE",
      `/users/${w.bob.user.id}/posts/${post.id}/reactions/eyes`,
    );
    assert.equal(byAdmin.status, 200);
    assert.deepEqual(s.reactionsTo(post.id).map((r) => r.emoji_name), ["smile", "smile"]);
    const badName = await api(
      w,
      w.bob.token,
      "DELETE",
      `/users/me/posts/${post.id}/reactions/a.b`,
    );
    assert.equal(badName.status, 404, "outside the route's pattern");
    const long = await api(
      w,
      w.bob.token,
      "DELETE",
      `/users/me/posts/${post.id}/reactions/${"a".repeat(65)}`,
    );
    assert.deepEqual([long.status, long.body.id], [400, "api.context.invalid_url_param.app_error"]);
    s.archiveChannel(w.town.id);
    assert.throws(
      () => s.addReaction(w.alice.user.id, post.id, "eyes"),
      (e: AppError) => e.statusCode === 403 && e.id.includes("archived_channel"),
    );
    assert.throws(() => s.removeReaction(w.alice.user.id, post.id, "smile"), AppError);
  });
});

Deno.test("RestrictDirectMessage is a switch on emu.config, changed while the emulator runs", async () => {
  await withWorld(async (w) => {
    const s = w.emu.store;
    const loner = s.createUser({ username: "loner" });
    const dm = s.directChannel(w.bot.user.id, loner.user.id);
    const mine = s.createPost(loner.user.id, { channel_id: dm.id, message: "hi" });
    w.emu.config.restrictDirectMessage = "team";
    assert.throws(
      () => s.createPost(w.bot.user.id, { channel_id: dm.id, message: "no" }),
      (e: AppError) => e.id === "api.post.create_post.can_not_post_in_restricted_dm.error",
    );
    assert.throws(() => s.addReaction(w.bot.user.id, mine.id, "smile"), AppError);
    assert.throws(() => s.editPost(loner.user.id, mine.id, "edited"), AppError);
    const fresh = await api(w, loner.token, "POST", "/channels/direct", [
      loner.user.id,
      w.alice.user.id,
    ]);
    assert.equal(fresh.status, 403);
    w.emu.config.restrictDirectMessage = "any";
    s.createPost(w.bot.user.id, { channel_id: dm.id, message: "yes" });
  });
});
