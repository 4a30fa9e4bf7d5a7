import assert from "node:assert/strict";
import { withWorld, type World, WsProbe } from "./testing.ts";

/** The bot's socket asking to resume `connectionId` from `sequence` (the next seq it expects). */
function resumeAsBot(w: World, connectionId: string, sequence: number): Promise<WsProbe> {
  return WsProbe.open(
    w.emu,
    w.bot.token,
    `?connection_id=${connectionId}&sequence_number=${sequence}`,
  );
}

Deno.test("header auth: hello first (seq 0) with connection_id and server_version", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bot.token);
    const hello = await ws.event("hello");
    assert.equal(hello.seq, 0);
    assert.match(hello.data.connection_id, /^[a-z0-9]{26}$/);
    assert.equal(typeof hello.data.server_version, "string");
    assert.equal(hello.broadcast.user_id, w.bot.user.id);
    await w.emu.waitFor(() => w.emu.store.connectedSockets(w.bot.user.id) === 1);
    await ws.close();
    await w.emu.waitFor(() => w.emu.store.connectedSockets() === 0);
  });
});

Deno.test("posted: post is a JSON string, DM fields, increasing seq, only to members", async () => {
  await withWorld(async (w) => {
    const bot = await WsProbe.open(w.emu, w.bot.token);
    const bob = await WsProbe.open(w.emu, w.bob.token);
    await bot.event("hello");
    await bob.event("hello");
    const first = w.emu.store.createPost(w.alice.user.id, {
      channel_id: w.dm.id,
      message: "hi bot",
    });
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.town.id, message: "hi all" });
    const dmEvent = await bot.next((f) => f.event === "posted" && f.data.channel_type === "D");
    assert.equal(typeof dmEvent.data.post, "string");
    const post = JSON.parse(dmEvent.data.post);
    assert.equal(post.id, first.id);
    assert.equal(post.message, "hi bot");
    assert.equal(post.user_id, w.alice.user.id);
    assert.equal(dmEvent.data.sender_name, "@alice");
    assert.equal(dmEvent.data.channel_name, w.dm.name);
    assert.equal(dmEvent.data.team_id, "");
    assert.equal(dmEvent.data.set_online, true);
    assert.deepEqual(dmEvent.broadcast, {
      omit_users: null,
      user_id: "",
      channel_id: w.dm.id,
      team_id: "",
      connection_id: "",
      omit_connection_id: "",
    });
    const townEvent = await bot.next((f) => f.event === "posted" && f.data.channel_type === "O");
    assert.equal(townEvent.data.channel_display_name, "Town Square");
    assert.equal(townEvent.data.team_id, w.team.id);
    const seqs = bot.frames.filter((f) => "seq" in f).map((f) => f.seq);
    assert.deepEqual(seqs, [0, 1, 2]);
    await bob.next((f) => f.event === "posted");
    assert.equal(
      bob.frames.some((f) => f.event === "posted" && f.data.channel_type === "D"),
      false,
    );
    await bot.close();
    await bob.close();
  });
});

Deno.test("the bot's own REST posts come back as events; deletes emit post_deleted", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.alice.token);
    await ws.event("hello");
    const res = await fetch(`${w.emu.url}/api/v4/posts`, {
      method: "POST",
      headers: { Authorization: `Bearer ${w.alice.token}`, "Content-Type": "application/json" },
      body: JSON.stringify({ channel_id: w.dm.id, message: "x", pending_post_id: "p1" }),
    });
    assert.equal(res.status, 201);
    const created = await res.json();
    assert.equal(created.pending_post_id, "p1");
    const posted = await ws.event("posted");
    assert.equal(JSON.parse(posted.data.post).pending_post_id, "p1");
    w.emu.store.createPost(w.bot.user.id, { channel_id: w.dm.id, message: "dup" });
    const deleted = await fetch(`${w.emu.url}/api/v4/posts/${created.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${w.alice.token}` },
    });
    assert.deepEqual(await deleted.json(), { status: "OK" });
    const ev = await ws.event("post_deleted");
    assert.equal(JSON.parse(ev.data.post).id, created.id);
    assert.equal(ev.broadcast.contains_sanitized_data, true);
    await ws.close();
  });
});

Deno.test("direct_added goes to both users when a DM is created", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bob.token);
    await ws.event("hello");
    const dm = w.emu.store.directChannel(w.bob.user.id, w.bot.user.id);
    const ev = await ws.event("direct_added");
    assert.equal(ev.broadcast.channel_id, dm.id);
    assert.deepEqual(ev.data, { creator_id: w.bob.user.id, teammate_id: w.bot.user.id });
    await ws.close();
  });
});

Deno.test("ping gets pong with the same seq_reply", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bot.token);
    await ws.event("hello");
    ws.send({ action: "ping", seq: 7 });
    const pong = await ws.next((f) => f.seq_reply === 7);
    assert.equal(pong.status, "OK");
    assert.equal(pong.data.text, "pong");
    assert.equal(typeof pong.data.server_time, "number");
    await ws.close();
  });
});

Deno.test("challenge auth: hello (seq 0) arrives before the OK reply", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu);
    ws.send({ action: "ping", seq: 1 });
    const refused = await ws.next((f) => f.seq_reply === 1);
    assert.equal(refused.status, "FAIL");
    assert.equal(refused.error.id, "api.web_socket_router.not_authenticated.app_error");
    ws.send({ seq: 2, action: "authentication_challenge", data: { token: w.bot.token } });
    const ok = await ws.next((f) => f.seq_reply === 2);
    assert.equal(ok.status, "OK");
    const helloIndex = ws.frames.findIndex((f) => f.event === "hello");
    const okIndex = ws.frames.indexOf(ok);
    assert.ok(helloIndex >= 0 && helloIndex < okIndex);
    assert.equal(ws.frames[helloIndex].seq, 0);
    assert.equal(w.emu.store.connectedSockets(w.bot.user.id), 1);
    await ws.close();
  });
});

Deno.test("challenge with a bad token closes the socket", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu);
    ws.send({ seq: 1, action: "authentication_challenge", data: { token: "nope" } });
    assert.equal(await ws.waitClosed(), false);
  });
});

Deno.test("resume after dropSockets: missed events replayed, same seq line, no hello", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bot.token);
    const hello = await ws.event("hello");
    const cid = hello.data.connection_id;
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "one" });
    const one = await ws.event("posted");
    w.emu.faults.dropSockets();
    assert.equal(await ws.waitClosed(), false, "dropped without a close frame");
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "two" });
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "three" });
    const again = await resumeAsBot(w, cid, one.seq + 1);
    const frames = [await again.event("posted"), await again.event("posted", 5_000, 1)];
    assert.deepEqual(frames.map((f) => JSON.parse(f.data.post).message), ["two", "three"]);
    assert.deepEqual(frames.map((f) => f.seq), [one.seq + 1, one.seq + 2]);
    assert.equal(again.frames.some((f) => f.event === "hello"), false);
    await again.close();
  });
});

Deno.test("resume replays events the client never received while the socket was silent", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bot.token);
    const hello = await ws.event("hello");
    w.emu.faults.silentSockets = true;
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "lost in transit" });
    ws.send({ action: "ping", seq: 1 });
    const fresh = await WsProbe.open(w.emu, w.alice.token);
    fresh.send({ action: "ping", seq: 5 });
    assert.equal((await fresh.next((f) => f.seq_reply === 5)).data.text, "pong");
    assert.equal(ws.frames.length, 1, "a silent socket sends neither events nor pongs");
    await ws.close();
    const again = await resumeAsBot(w, hello.data.connection_id, 1);
    const replayed = await again.event("posted");
    assert.equal(replayed.seq, 1);
    assert.equal(JSON.parse(replayed.data.post).message, "lost in transit");
    await again.close();
    await fresh.close();
  });
});

Deno.test("restart with lost events: a new connection_id and seq 0 hello", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bot.token);
    const hello = await ws.event("hello");
    await w.emu.restart();
    assert.equal(await ws.waitClosed(), false, "dropped without a close frame");
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "during restart" });
    const again = await resumeAsBot(w, hello.data.connection_id, 1);
    const newHello = await again.event("hello");
    assert.equal(newHello.seq, 0);
    assert.notEqual(newHello.data.connection_id, hello.data.connection_id);
    // Events on one socket arrive in order: once this one is here, a replay would be too.
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "after restart" });
    await again.event("posted");
    const posted = again.frames.filter((f) => f.event === "posted");
    assert.deepEqual(posted.map((f) => JSON.parse(f.data.post).message), ["after restart"]);
    assert.equal(posted[0].seq, 1);
    await again.close();
  });
});

Deno.test("restart keeping events behaves like a drop; a stale sequence gets a new hello", async () => {
  await withWorld(async (w) => {
    const ws = await WsProbe.open(w.emu, w.bot.token);
    const hello = await ws.event("hello");
    for (let i = 0; i < 3; i++) {
      w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: `m${i}` });
    }
    await ws.next((f) => f.seq === 3);
    await w.emu.restart({ loseEvents: false });
    await ws.waitClosed();
    const lossless = await resumeAsBot(w, hello.data.connection_id, 4);
    w.emu.store.createPost(w.alice.user.id, { channel_id: w.dm.id, message: "next" });
    const next = await lossless.event("posted");
    assert.equal(next.seq, 4);
    assert.equal(lossless.frames[0], next);
    await lossless.close();
    await w.emu.waitFor(() => w.emu.store.connectedSockets() === 0);
    // forget nothing, but ask for a sequence the server never wrote
    const stale = await resumeAsBot(w, hello.data.connection_id, 99);
    const again = await stale.event("hello");
    assert.equal(again.seq, 0);
    assert.notEqual(again.data.connection_id, hello.data.connection_id);
    await stale.close();
  });
});

Deno.test("unknown connection ids start fresh; outages refuse upgrades", async () => {
  await withWorld(async (w) => {
    const ws = await resumeAsBot(w, "a".repeat(26), 3);
    assert.equal((await ws.event("hello")).seq, 0);
    await ws.close();
    w.emu.faults.networkDown = true;
    await assert.rejects(WsProbe.open(w.emu, w.bot.token));
    w.emu.faults.networkDown = false;
    const back = await WsProbe.open(w.emu, w.bot.token);
    assert.equal((await back.event("hello")).seq, 0);
    await back.close();
  });
});

Deno.test("leave_team goes to the team's other members and to the user; channels are left", async () => {
  await withWorld(async (w) => {
    const bot = await WsProbe.open(w.emu, w.bot.token);
    const bob = await WsProbe.open(w.emu, w.bob.token);
    await bot.event("hello");
    await bob.event("hello");
    w.emu.store.removeTeamMember(w.team.id, w.bob.user.id);
    const toTeam = await bot.event("leave_team");
    assert.deepEqual(toTeam.data, { user_id: w.bob.user.id, team_id: w.team.id });
    assert.equal(toTeam.broadcast.team_id, w.team.id);
    assert.deepEqual(toTeam.broadcast.omit_users, { [w.bob.user.id]: true });
    const toUser = await bob.event("leave_team");
    assert.equal(toUser.broadcast.user_id, w.bob.user.id);
    assert.equal(bob.frames.filter((f) => f.event === "leave_team").length, 1);
    assert.equal(w.emu.store.channelMember(w.town.id, w.bob.user.id), undefined);
    const removed = w.emu.store.postsIn(w.town.id).at(-1)!;
    assert.equal(removed.type, "system_remove_from_team");
    assert.equal(removed.user_id, w.bob.user.id);
    // The record stays, deleted: GET .../members/{user} answers it with delete_at set.
    const r = await fetch(`${w.emu.url}/api/v4/teams/${w.team.id}/members/${w.bob.user.id}`, {
      headers: { Authorization: `Bearer ${w.bot.token}` },
    });
    const member = await r.json();
    assert.ok(member.delete_at > 0);
    // Joining again works and is told to the user alone.
    w.emu.store.addTeamMember(w.team.id, w.bob.user.id);
    const added = await bob.event("added_to_team");
    assert.deepEqual(added.data, { team_id: w.team.id, user_id: w.bob.user.id });
    await bot.close();
    await bob.close();
  });
});

Deno.test("user_removed and user_added go to the channel's members and to the user", async () => {
  await withWorld(async (w) => {
    const alice = await WsProbe.open(w.emu, w.alice.token);
    const bob = await WsProbe.open(w.emu, w.bob.token);
    await alice.event("hello");
    await bob.event("hello");
    w.emu.store.addChannelMember(w.news.id, w.bob.user.id);
    const added = await alice.event("user_added");
    assert.equal(added.broadcast.channel_id, w.news.id);
    assert.equal(added.data.user_id, w.bob.user.id);
    assert.equal((await bob.event("user_added")).broadcast.user_id, w.bob.user.id);
    w.emu.store.removeChannelMember(w.news.id, w.bob.user.id, w.alice.user.id);
    const toChannel = await alice.event("user_removed");
    assert.deepEqual(toChannel.data, { user_id: w.bob.user.id, remover_id: w.alice.user.id });
    assert.equal(toChannel.broadcast.channel_id, w.news.id);
    const toUser = await bob.event("user_removed");
    assert.deepEqual(toUser.data, { channel_id: w.news.id, remover_id: w.alice.user.id });
    assert.equal(toUser.broadcast.user_id, w.bob.user.id);
    await alice.close();
    await bob.close();
  });
});

Deno.test("deactivation: user_updated with delete_at to everyone; the token stops working", async () => {
  await withWorld(async (w) => {
    const bot = await WsProbe.open(w.emu, w.bot.token);
    await bot.event("hello");
    w.emu.store.setUserActive(w.bob.user.id, false);
    const ev = await bot.event("user_updated");
    assert.equal(ev.data.user.id, w.bob.user.id);
    assert.ok(ev.data.user.delete_at > 0);
    assert.equal(ev.broadcast.contains_sanitized_data, true);
    const me = () =>
      fetch(`${w.emu.url}/api/v4/users/me`, {
        headers: { Authorization: `Bearer ${w.bob.token}` },
      });
    const refused = await me();
    await refused.body?.cancel();
    assert.equal(refused.status, 401);
    w.emu.store.setUserActive(w.bob.user.id, true);
    const back = await bot.next((f) => f.event === "user_updated" && f.data.user.delete_at === 0);
    assert.equal(back.data.user.id, w.bob.user.id);
    const works = await me();
    await works.body?.cancel();
    assert.equal(works.status, 200);
    await bot.close();
  });
});
