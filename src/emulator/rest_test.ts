import assert from "node:assert/strict";
import type { Post, PostList } from "@mattermost/types/posts";
import type { FileUploadResponse } from "@mattermost/types/files";
import { clientFor, withWorld, type World } from "./testing.ts";

type ClientErrorLike = { status_code?: number; server_error_id?: string };

async function rejectsWith(p: Promise<unknown>, status: number, id?: string) {
  await assert.rejects(p, (e: ClientErrorLike) => {
    assert.equal(e.status_code, status);
    if (id) assert.equal(e.server_error_id, id);
    return true;
  });
}

function draft(p: Partial<Post>): Post {
  return p as Post;
}

function api(w: World, path: string, token?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetch(`${w.emu.url}/api/v4${path}`, { ...init, headers });
}

function upload(w: World, token: string, channelId: string, files: Record<string, Uint8Array>) {
  const form = new FormData();
  form.append("channel_id", channelId);
  for (const [name, bytes] of Object.entries(files)) {
    form.append("files", new Blob([bytes as BlobPart]), name);
  }
  return clientFor(w.emu, token).uploadFile(form) as Promise<FileUploadResponse>;
}

Deno.test("auth: missing or unknown token is a 401 JSON AppError; ping needs none", async () => {
  await withWorld(async (w) => {
    for (const token of [undefined, "not-a-token"]) {
      const res = await api(w, "/users/me", token);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("content-type"), "application/json");
      const body = await res.json();
      assert.equal(body.id, "api.context.session_expired.app_error");
      assert.equal(body.status_code, 401);
      assert.equal(typeof body.request_id, "string");
      assert.equal(body.detailed_error, "");
    }
    await rejectsWith(
      clientFor(w.emu, "bogus").getMe(),
      401,
      "api.context.session_expired.app_error",
    );
    const ping = await api(w, "/system/ping");
    assert.equal(ping.status, 200);
    assert.equal((await ping.json()).status, "OK");
  });
});

Deno.test("users: me, by id, by username, by ids", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const me = await c.getMe();
    assert.equal(me.id, w.bot.user.id);
    assert.equal(me.is_bot, true);
    const alice = await c.getUser(w.alice.user.id);
    assert.equal(alice.username, "alice");
    assert.equal("notify_props" in alice, false);
    assert.equal((await c.getUserByUsername("bob")).id, w.bob.user.id);
    await rejectsWith(c.getUserByUsername("nobody"), 404, "app.user.get_by_username.app_error");
    await rejectsWith(c.getUser("x".repeat(26)), 404, "app.user.missing.app_error");
    await rejectsWith(c.getUser("short"), 400, "api.context.invalid_url_param.app_error");
    const many = await c.getProfilesByIds([w.alice.user.id, w.bob.user.id, "y".repeat(26)]);
    assert.deepEqual(many.map((u) => u.username).sort(), ["alice", "bob"]);
  });
});

Deno.test("teams: by name, by id, membership (404 for a non-member, 403 for an outsider)", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const team = await c.getTeamByName("acme");
    assert.equal(team.id, w.team.id);
    assert.equal((await c.getTeam(w.team.id)).name, "acme");
    assert.equal((await c.getTeamMember(w.team.id, w.alice.user.id)).user_id, w.alice.user.id);
    const carol = w.emu.store.createUser({ username: "carol" });
    await rejectsWith(
      c.getTeamMember(w.team.id, carol.user.id),
      404,
      "app.team.get_member.missing.app_error",
    );
    const outsider = clientFor(w.emu, carol.token);
    await rejectsWith(
      outsider.getTeamMember(w.team.id, carol.user.id),
      403,
      "api.context.permissions.app_error",
    );
    await rejectsWith(outsider.getTeamByName("acme"), 403);
    await rejectsWith(c.getTeamByName("nope"), 404, "app.team.get_by_name.missing.app_error");
    assert.deepEqual((await c.getMyTeams()).map((t) => t.id), [w.team.id]);
  });
});

Deno.test("team channels page through public, non-archived channels by display name", async () => {
  await withWorld(async (w) => {
    for (let i = 0; i < 5; i++) {
      w.emu.store.createChannel({
        team_id: w.team.id,
        name: `c${i}`,
        display_name: `C${i}`,
        type: "O",
      });
    }
    const archived = w.emu.store.createChannel({ team_id: w.team.id, name: "old", type: "O" });
    w.emu.store.archiveChannel(archived.id);
    const c = clientFor(w.emu, w.bot.token);
    const names: string[] = [];
    for (let page = 0; page < 10; page++) {
      const chunk = await c.getChannels(w.team.id, page, 3);
      names.push(...chunk.map((ch) => ch.name));
      if (chunk.length < 3) break;
    }
    assert.deepEqual(names, ["c0", "c1", "c2", "c3", "c4", "news", "town-square"]);
    const capped = await api(w, `/teams/${w.team.id}/channels?per_page=500`, w.bot.token);
    assert.equal((await capped.json()).length, 7);
    const outsider = w.emu.store.createUser({ username: "carol" });
    await rejectsWith(clientFor(w.emu, outsider.token).getChannels(w.team.id), 403);
  });
});

Deno.test("my channels include private channels and DMs; reads follow membership", async () => {
  await withWorld(async (w) => {
    const alice = clientFor(w.emu, w.alice.token);
    const mine = await alice.getMyChannels(w.team.id);
    assert.deepEqual(
      mine.map((c) => c.name).sort(),
      [w.dm.name, "news", "secret", "town-square"].sort(),
    );
    const bot = clientFor(w.emu, w.bot.token);
    assert.equal((await bot.getChannel(w.news.id)).name, "news");
    await rejectsWith(bot.getChannel(w.secret.id), 403);
    await rejectsWith(
      bot.getChannelByName(w.team.id, "secret"),
      404,
      "app.channel.get_by_name.missing.app_error",
    );
    assert.equal((await bot.getChannelByName(w.team.id, "news")).id, w.news.id);
    assert.equal((await bot.getChannelMember(w.town.id, w.alice.user.id)).user_id, w.alice.user.id);
    await rejectsWith(bot.getChannelMember(w.news.id, w.bot.user.id), 403);
    await rejectsWith(
      alice.getChannelMember(w.news.id, w.bot.user.id),
      404,
      "app.channel.get_member.missing.app_error",
    );
    assert.equal((await bot.getChannelMembers(w.town.id)).length, 3);
    await rejectsWith(bot.getChannel("z".repeat(26)), 404, "app.channel.get.existing.app_error");
  });
});

Deno.test("direct channel: get-or-create with sorted name, 201", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const dm = await c.createDirectChannel([w.bot.user.id, w.bob.user.id]);
    assert.equal(dm.type, "D");
    assert.equal(dm.name, [w.bot.user.id, w.bob.user.id].sort().join("__"));
    assert.equal(dm.team_id, "");
    assert.equal((await c.createDirectChannel([w.bob.user.id, w.bot.user.id])).id, dm.id);
    await rejectsWith(c.createDirectChannel([w.alice.user.id, w.bob.user.id]), 403);
  });
});

Deno.test("posting: membership, post:channels role, archived channel", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const post = await c.createPost(
      draft({ channel_id: w.town.id, message: "hello", props: { k: 1 } }),
    );
    assert.equal(post.message, "hello");
    assert.equal(post.props.k, 1);
    assert.equal(post.props.from_bot, "true");
    assert.equal(post.user_id, w.bot.user.id);
    assert.deepEqual(post.file_ids, []);
    assert.deepEqual(post.metadata, {});
    await rejectsWith(
      c.createPost(draft({ channel_id: w.news.id, message: "x" })),
      403,
      "api.context.permissions.app_error",
    );
    await rejectsWith(c.createPost(draft({ channel_id: w.secret.id, message: "x" })), 403);
    w.emu.store.grantPostAllPublic(w.bot.user.id);
    assert.equal(
      (await c.createPost(draft({ channel_id: w.news.id, message: "x" }))).channel_id,
      w.news.id,
    );
    await rejectsWith(c.createPost(draft({ channel_id: w.secret.id, message: "x" })), 403);
    const mine = await upload(w, w.bot.token, w.town.id, { "a.txt": new Uint8Array([1]) });
    await rejectsWith(
      c.createPost(
        draft({ channel_id: w.news.id, message: "x", file_ids: [mine.file_infos[0].id] }),
      ),
      403,
    );
    w.emu.store.archiveChannel(w.town.id);
    await rejectsWith(
      c.createPost(draft({ channel_id: w.town.id, message: "x" })),
      400,
      "api.post.create_post.can_not_post_to_deleted.error",
    );
  });
});

Deno.test("posting: message and file id limits", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const longest = "é".repeat(16_383);
    assert.equal(
      (await c.createPost(draft({ channel_id: w.town.id, message: longest }))).message,
      longest,
    );
    await rejectsWith(
      c.createPost(draft({ channel_id: w.town.id, message: "😀".repeat(16_384) })),
      400,
      "model.post.is_valid.message_length.app_error",
    );
    const ids = Array.from({ length: 11 }, () => "a".repeat(26));
    ids.forEach((_, i) => (ids[i] = ids[i].slice(0, 24) + String(i).padStart(2, "0")));
    await rejectsWith(
      c.createPost(draft({ channel_id: w.town.id, message: "x", file_ids: ids })),
      400,
      "model.post.is_valid.file_ids.app_error",
    );
    const ten = await c.createPost(
      draft({ channel_id: w.town.id, message: "x", file_ids: ids.slice(0, 10) }),
    );
    assert.deepEqual(ten.file_ids, []);
  });
});

Deno.test("files attach only for their uploader, once; others are silently dropped", async () => {
  await withWorld(async (w) => {
    const bot = clientFor(w.emu, w.bot.token);
    const mine = await upload(w, w.bot.token, w.town.id, {
      "a.png": new Uint8Array([1, 2]),
      "b.txt": new Uint8Array([3]),
    });
    assert.deepEqual(mine.client_ids, []);
    assert.equal(mine.file_infos.length, 2);
    const [a, b] = mine.file_infos;
    assert.equal(a.mime_type, "image/png");
    assert.equal(a.size, 2);
    assert.equal(a.user_id, w.bot.user.id);
    const theirs = await upload(w, w.alice.token, w.dm.id, { "c.txt": new Uint8Array([9]) });
    const post = await bot.createPost({
      channel_id: w.town.id,
      message: "files",
      file_ids: [a.id, theirs.file_infos[0].id, b.id],
    } as Post);
    // Sorted by id, as Post.PreSave leaves them.
    assert.deepEqual(post.file_ids, [a.id, b.id].sort());
    assert.deepEqual(post.metadata.files.map((f) => f.id), [a.id, b.id].sort());
    assert.equal(w.emu.store.getFile(a.id)?.post_id, post.id);
    const again = await bot.createPost(
      draft({ channel_id: w.town.id, message: "again", file_ids: [a.id] }),
    );
    assert.deepEqual(again.file_ids, []);
  });
});

Deno.test("uploads: 403 for non-members, 413 over maxFileSize; downloads follow the post", async () => {
  await withWorld(async (w) => {
    await rejectsWith(upload(w, w.bot.token, w.news.id, { "a.txt": new Uint8Array([1]) }), 403);
    await rejectsWith(
      upload(w, w.bot.token, w.town.id, { "big.bin": new Uint8Array(1025) }),
      413,
      "api.file.upload_file.too_large_detailed.app_error",
    );
    const bytes = new TextEncoder().encode("report");
    const up = await upload(w, w.bot.token, w.town.id, { "r.txt": bytes });
    const id = up.file_infos[0].id;
    const get = (token: string) => api(w, `/files/${id}`, token);
    const own = await get(w.bot.token);
    assert.equal(own.status, 200);
    assert.deepEqual(new Uint8Array(await own.arrayBuffer()), bytes);
    const early = await get(w.alice.token);
    assert.equal(early.status, 403);
    await early.body?.cancel();
    await clientFor(w.emu, w.bot.token).createPost(
      draft({ channel_id: w.town.id, message: "f", file_ids: [id] }),
    );
    const later = await get(w.alice.token);
    assert.equal(later.status, 200);
    await later.body?.cancel();
    const carol = w.emu.store.createUser({ username: "carol" });
    const outsider = await get(carol.token);
    assert.equal(outsider.status, 403);
    await outsider.body?.cancel();
    const info = await api(w, `/files/${id}/info`, w.alice.token);
    assert.equal(info.headers.get("content-type"), "application/json");
    assert.equal((await info.json()).name, "r.txt");
  }, { maxFileSize: 1024 });
});

Deno.test("channel posts: pages newest first with cursors, since returns changes", async () => {
  await withWorld(async (w) => {
    const c = clientFor(w.emu, w.bot.token);
    const made: Post[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        w.emu.store.createPost(w.alice.user.id, { channel_id: w.town.id, message: `m${i}` }),
      );
    }
    const first: PostList = await c.getPosts(w.town.id, 0, 2);
    assert.deepEqual(first.order, [made[4].id, made[3].id]);
    assert.equal(first.next_post_id, "");
    assert.equal(first.prev_post_id, made[2].id);
    const second: PostList = await c.getPosts(w.town.id, 1, 2);
    assert.deepEqual(second.order, [made[2].id, made[1].id]);
    const before: PostList = await c.getPostsBefore(w.town.id, made[2].id, 0, 10);
    // Older still: the members' system_join_channel posts (the server writes them too).
    const joins = w.emu.store.postsIn(w.town.id).filter((p) => p.type === "system_join_channel")
      .map((p) => p.id).reverse();
    assert.equal(joins.length, 3);
    assert.deepEqual(before.order, [made[1].id, made[0].id, ...joins]);
    const since: PostList = await c.getPostsSince(w.town.id, made[2].create_at);
    assert.deepEqual(since.order, [made[4].id, made[3].id]);
    assert.equal(since.next_post_id, "");
    await rejectsWith(c.deletePost(made[4].id), 403);
    const byAlice = clientFor(w.emu, w.alice.token);
    await byAlice.deletePost(made[4].id);
    const afterDelete: PostList = await c.getPostsSince(w.town.id, made[2].create_at);
    assert.ok(afterDelete.posts[made[4].id].delete_at > 0);
    const page: PostList = await c.getPosts(w.town.id, 0, 60);
    assert.equal(page.order.includes(made[4].id), false);
    const outsider = w.emu.store.createUser({ username: "carol" });
    await rejectsWith(clientFor(w.emu, outsider.token).getPosts(w.town.id), 403);
    const news: PostList = await clientFor(w.emu, w.bot.token).getPosts(w.news.id);
    assert.deepEqual(news.order.map((id) => news.posts[id].type), ["system_join_channel"]);
  });
});

Deno.test("posts: get and delete follow author and membership rules", async () => {
  await withWorld(async (w) => {
    const post = w.emu.store.createPost(w.alice.user.id, {
      channel_id: w.town.id,
      message: "mine",
    });
    const bot = clientFor(w.emu, w.bot.token);
    assert.equal((await bot.getPost(post.id)).message, "mine");
    await rejectsWith(bot.deletePost(post.id), 403);
    const res = await clientFor(w.emu, w.alice.token).deletePost(post.id);
    assert.equal(res.status, "OK");
    await rejectsWith(bot.getPost(post.id), 404, "app.post.get.app_error");
    const own = (posts: Post[]) => posts.filter((p) => !p.type.startsWith("system_"));
    assert.equal(own(w.emu.store.postsIn(w.town.id)).length, 0);
    assert.equal(own(w.emu.store.allPosts()).length, 1);
    const secretPost = w.emu.store.createPost(w.alice.user.id, {
      channel_id: w.secret.id,
      message: "s",
    });
    await rejectsWith(bot.getPost(secretPost.id), 403);
  });
});

Deno.test("store.createPost throws the REST error for violations", async () => {
  await withWorld((w) => {
    assert.throws(
      () => w.emu.store.createPost(w.bot.user.id, { channel_id: w.secret.id, message: "x" }),
      (e: { id?: string; statusCode?: number }) =>
        e.statusCode === 403 && e.id === "api.context.permissions.app_error",
    );
    return Promise.resolve();
  });
});

Deno.test("unknown API paths are JSON 404s", async () => {
  await withWorld(async (w) => {
    const res = await api(w, "/nothing/here", w.bot.token);
    assert.equal(res.status, 404);
    assert.equal((await res.json()).id, "api.context.404.app_error");
  });
});

Deno.test("posts: patch follows patchPost (own post, gone = 403, archived = 400, post_edited)", async () => {
  await withWorld(async (w) => {
    const post = w.emu.store.createPost(w.bot.user.id, { channel_id: w.town.id, message: "v1" });
    const patch = (token: string, id: string, body: unknown) =>
      api(w, `/posts/${id}/patch`, token, { method: "PUT", body: JSON.stringify(body) });
    const ok = await patch(w.bot.token, post.id, { message: "v2" });
    assert.equal(ok.status, 200);
    const edited = await ok.json();
    assert.equal(edited.message, "v2");
    assert.ok(edited.edit_at > 0);
    // Someone else's post needs edit_others_posts (an admin).
    const other = await patch(w.alice.token, post.id, { message: "v3" });
    assert.equal(other.status, 403);
    await other.body?.cancel();
    // A deleted post answers 403, as a missing edit_post permission (GetSinglePost fails).
    await clientFor(w.emu, w.bot.token).deletePost(post.id);
    const gone = await patch(w.bot.token, post.id, { message: "v4" });
    assert.equal(gone.status, 403);
    assert.equal((await gone.json()).id, "api.context.permissions.app_error");
    const second = w.emu.store.createPost(w.bot.user.id, { channel_id: w.town.id, message: "a" });
    w.emu.store.archiveChannel(w.town.id);
    const archived = await patch(w.bot.token, second.id, { message: "b" });
    assert.equal(archived.status, 400);
    assert.equal(
      (await archived.json()).id,
      "api.post.update_post.can_not_update_post_in_deleted.error",
    );
  });
});

Deno.test("posts: by ids with reply counts, reactions and deleted ones; stats count members", async () => {
  await withWorld(async (w) => {
    const root = w.emu.store.createPost(w.bot.user.id, { channel_id: w.town.id, message: "r" });
    w.emu.store.createPost(w.alice.user.id, {
      channel_id: w.town.id,
      message: "reply",
      root_id: root.id,
    });
    w.emu.store.addReaction(w.alice.user.id, root.id, "+1");
    w.emu.store.addReaction(w.bob.user.id, root.id, "+1");
    w.emu.store.addReaction(w.bob.user.id, root.id, "+1"); // the same reaction once
    const gone = w.emu.store.createPost(w.bot.user.id, { channel_id: w.town.id, message: "x" });
    await clientFor(w.emu, w.bot.token).deletePost(gone.id);
    const ids = (token: string, body: unknown) =>
      api(w, "/posts/ids", token, { method: "POST", body: JSON.stringify(body) });
    const res = await ids(w.bot.token, [root.id, gone.id]);
    assert.equal(res.status, 200);
    const posts = await res.json() as Post[];
    const byId = new Map(posts.map((p) => [p.id, p]));
    assert.equal(byId.get(root.id)?.reply_count, 1);
    assert.equal(byId.get(root.id)?.metadata.reactions?.length, 2);
    // model.Post's has_reactions (omitempty); not in @mattermost/types' Post.
    assert.equal((byId.get(root.id) as unknown as { has_reactions?: boolean }).has_reactions, true);
    assert.ok((byId.get(gone.id)?.delete_at ?? 0) > 0, "deleted posts are included");
    const none = await ids(w.bot.token, ["abcdefghijklmnopqrstuvwxyz"]);
    assert.equal(none.status, 404);
    await none.body?.cancel();
    const tooMany = await ids(w.bot.token, Array.from({ length: 1001 }, (_, i) => `id${i}`));
    assert.equal(tooMany.status, 400);
    assert.equal((await tooMany.json()).id, "api.post.posts_by_ids.invalid_body.request_error");
    const stats = await api(w, `/channels/${w.town.id}/stats`, w.bot.token);
    assert.equal((await stats.json()).member_count, 3);
    const secret = await api(w, `/channels/${w.secret.id}/stats`, w.bot.token);
    assert.equal(secret.status, 403);
    await secret.body?.cancel();
  });
});

Deno.test("unread counters: a user's post marks it read for them, a bot's does not; view catches up", async () => {
  await withWorld(async (w) => {
    const alice = clientFor(w.emu, w.alice.token);
    const bot = clientFor(w.emu, w.bot.token);
    const member = async (c: typeof bot) =>
      (await c.getMyChannelMembers(w.team.id)).find((m) => m.channel_id === w.dm.id)!;
    const channel = async () => (await bot.getMyChannels(w.team.id)).find((c) => c.id === w.dm.id)!;

    const p1 = await alice.createPost(draft({ channel_id: w.dm.id, message: "hi" }));
    assert.equal((await channel()).total_msg_count, 1);
    assert.equal((await channel()).last_post_at, p1.create_at);
    // CreatePostAsUser marked it viewed for alice (not a bot): her count follows the channel.
    assert.equal((await member(alice)).msg_count, 1);
    assert.equal((await member(alice)).last_viewed_at, p1.create_at);
    assert.equal((await member(bot)).msg_count, 0);

    // The bot answers: from_bot is set, so its own count stays behind (MarkChannelsAsViewed skipped).
    const r1 = await bot.createPost(draft({ channel_id: w.dm.id, message: "hello" }));
    assert.equal(r1.props.from_bot, "true");
    assert.equal((await channel()).total_msg_count, 2);
    assert.equal((await member(bot)).msg_count, 0);
    assert.equal((await member(bot)).last_viewed_at, 0);
    assert.equal((await member(alice)).msg_count, 1);

    // POST /channels/members/me/view: msg_count = total, last_viewed_at = last_post_at.
    const viewed = await bot.viewMyChannel(w.dm.id) as unknown as {
      status: string;
      last_viewed_at_times: Record<string, number>;
    };
    assert.equal(viewed.status, "OK");
    assert.deepEqual(viewed.last_viewed_at_times, { [w.dm.id]: r1.create_at });
    assert.equal((await member(bot)).msg_count, 2);
    assert.equal((await member(bot)).last_viewed_at, r1.create_at);

    // A system post under the bot's id is saved but not counted (IsJoinLeaveMessage).
    w.emu.store.createPost(w.bot.user.id, {
      channel_id: w.town.id,
      message: "postbot joined the channel",
      type: "system_join_channel",
    });
    const town = (await bot.getMyChannels(w.team.id)).find((c) => c.id === w.town.id)!;
    assert.equal(town.total_msg_count, 0);
    assert.ok(town.last_post_at > 0);

    // Validation and permissions of the view route.
    const res = await api(w, "/channels/members/me/view", w.bot.token, {
      method: "POST",
      body: JSON.stringify({ channel_id: "not-an-id" }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).id, "api.context.invalid_body_param.app_error");
    const other = await api(w, `/channels/members/${w.alice.user.id}/view`, w.bot.token, {
      method: "POST",
      body: JSON.stringify({ channel_id: w.dm.id }),
    });
    assert.equal(other.status, 403);
    await other.body?.cancel();
    await rejectsWith(alice.getMyChannelMembers("z".repeat(26)), 403);

    // create_at over REST only for system admins; the store's seeding back-dates.
    const old = Date.now() - 600_000;
    const ignored = await alice.createPost(
      draft({ channel_id: w.dm.id, message: "late", create_at: old }),
    );
    assert.ok(ignored.create_at > old);
    const seeded = w.emu.store.createPost(w.alice.user.id, {
      channel_id: w.dm.id,
      message: "from the past",
      create_at: old,
    });
    assert.equal(seeded.create_at, old);
    assert.ok((await channel()).last_post_at >= ignored.create_at, "last_post_at never goes back");
  });
});

Deno.test("posts: deleting a root takes its replies only; reply counts skip deleted replies; channel posts in time order", async () => {
  await withWorld(async (w) => {
    const s = w.emu.store;
    const post = (message: string, extra: { root_id?: string; create_at?: number } = {}) =>
      s.createPost(w.alice.user.id, { channel_id: w.town.id, message, ...extra });
    const root = post("root");
    const first = post("first reply", { root_id: root.id });
    post("second reply", { root_id: root.id });
    const other = post("another root");
    const otherReply = post("its reply", { root_id: other.id });
    const early = post("back-dated", { create_at: root.create_at - 60_000 });
    const c = clientFor(w.emu, w.alice.token);
    await c.deletePost(first.id);
    const replies = (id: string) => s.postsIn(w.town.id).find((p) => p.id === id)?.reply_count;
    assert.equal(replies(root.id), 1, "the deleted reply is not counted");
    assert.equal(replies(other.id), 1);
    await c.deletePost(root.id);
    const live = s.postsIn(w.town.id).map((p) => p.message);
    assert.ok(!live.includes("root") && !live.includes("second reply"), live.join(", "));
    assert.ok(live.includes("another root") && live.includes("its reply"), live.join(", "));
    const ids = s.postsIn(w.town.id).map((p) => p.id);
    assert.ok(ids.indexOf(early.id) < ids.indexOf(other.id), "oldest first, by create_at");
    assert.ok(ids.indexOf(other.id) < ids.indexOf(otherReply.id));
  });
});

Deno.test("status: set by hand (own or as admin), read by anyone; @here counts only the online", async () => {
  await withWorld(async (w) => {
    const put = (token: string, userId: string, body: unknown) =>
      api(w, `/users/${userId}/status`, token, { method: "PUT", body: JSON.stringify(body) });
    const status = async (userId: string) =>
      (await (await api(w, `/users/${userId}/status`, w.alice.token)).json()).status;
    const mentions = () => w.emu.store.channelMember(w.town.id, w.bob.user.id)!.mention_count;
    const bob = w.bob.user.id;

    assert.equal(await status(bob), "offline");
    for (
      const [token, body, code, name] of [
        [w.bob.token, { user_id: w.alice.user.id, status: "online" }, 400, "user_id"],
        [w.alice.token, { user_id: bob, status: "online" }, 403, undefined],
        [w.bob.token, { user_id: bob, status: "sleeping" }, 400, "status"],
      ] as const
    ) {
      const res = await put(token, bob, body);
      assert.equal(res.status, code);
      const err = await res.json();
      if (name) assert.match(err.message, new RegExp(name));
    }

    // @all and @channel count for every member but the poster; @here only for those online.
    const alice = clientFor(w.emu, w.alice.token);
    await alice.createPost(draft({ channel_id: w.town.id, message: "@here anyone?" }));
    assert.equal(mentions(), 0);
    await alice.createPost(draft({ channel_id: w.town.id, message: "\u{105C0}@all" }));
    assert.equal(mentions(), 1);
    const res = await put(w.bob.token, bob, { user_id: bob, status: "online" });
    assert.equal((await res.json()).manual, true);
    assert.equal(await status(bob), "online");
    await alice.createPost(draft({ channel_id: w.town.id, message: "@here anyone?" }));
    assert.equal(mentions(), 2);
    await alice.createPost(draft({ channel_id: w.town.id, message: "`@here` &#64;all" }));
    assert.equal(mentions(), 2);
  });
});
