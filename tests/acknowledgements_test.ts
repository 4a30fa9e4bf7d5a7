/**
 * Asking for acknowledgement, through the bot process on either backend: `yes ack` at the
 * preview; an Acknowledge button when ACTIONS_URL is set (the server calls the bot back on
 * HEALTH_PORT), a :white_check_mark: reaction otherwise; each person counted once, only
 * recipients counted, the count kept on the post; forged clicks refused; the token never
 * shown to a reader; reactions given while the bot was down read back at its start.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import { type Person, type Scenario, startScenario } from "@postbot/harness";
import { showingBotOutput, withLog } from "./support/broadcasts.ts";
import { EventSocket, rest } from "./support/server_probe.ts";
import {
  acknowledgements,
  actionIds,
  attachmentText,
  broadcastWith,
  buttonEnv,
  copyFor,
  copyIn,
  genuineToken,
  waitForAcks,
  WITH_RANDOM,
} from "./support/follow_up.ts";

/** A system admin of the server, in the team but in none of the world's channels. */
async function sysop(s: Scenario): Promise<Person> {
  const admin = await s.server.createUser({
    username: "sysop",
    roles: "system_admin system_user",
  });
  await s.server.addTeamMember(s.world.team.id, admin.user.id);
  return admin;
}

/** The post as `person` reads it, three ways: by id, in its channel, among posts by ids. */
async function readsOf(s: Scenario, person: Person, post: Post): Promise<unknown[]> {
  return [
    (await rest(s, person, "GET", `/posts/${post.id}`)).body,
    (await rest(s, person, "GET", `/channels/${post.channel_id}/posts`)).body,
    (await rest(s, person, "POST", "/posts/ids", [post.id])).body,
  ];
}

Deno.test("acknowledged by button: once per person, counted on the post; the token is never shown", async () => {
  const { env } = buttonEnv();
  const s = await startScenario({ env });
  const socket = await EventSocket.open(s, s.world.bob);
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const sent = await broadcastWith(
        s.dm(alice),
        "New safety rule: helmets on the floor",
        "@bob, ~town-square",
        "yes ack",
      );
      assert.match(sent.sending, /asking for acknowledgement/);
      assert.match(sent.report, /asked to acknowledge it \(with a button\)/);
      const mine = await copyFor(s, bob, sent.id);
      assert.equal(mine.message, "New safety rule: helmets on the floor");
      assert.deepEqual(actionIds(mine), ["postbotack"]);
      assert.match(attachmentText(mine), /click \*\*Acknowledge\*\*/);
      const square = await copyIn(s, s.world.channels["town-square"].id, sent.id);

      // The server keeps the button's integration (URL and token) to itself.
      const token = await genuineToken(s, sent.id, `p:${bob.user.id}`);
      const posted = await socket.next((f) =>
        f.event === "posted" && JSON.parse(f.data.post).id === mine.id
      );
      for (const read of [...await readsOf(s, bob, mine), posted]) {
        const text = JSON.stringify(read);
        assert.equal(text.includes(token), false, "the token reached a reader");
        assert.equal(text.includes("integration"), false, text.slice(0, 300));
        assert.equal(text.includes("/actions/ack"), false);
      }

      const clicked = await s.server.clickButton(bob.user.id, mine.id, "postbotack");
      assert.equal(clicked.status, 200, JSON.stringify(clicked.body));
      await waitForAcks(s, sent.id, [`${bob.user.id}:button`]);
      const done = await s.waitFor(async () => {
        const p = (await rest(s, bob, "GET", `/posts/${mine.id}`)).body;
        return /You acknowledged this/.test(attachmentText(p)) ? p : undefined;
      });
      assert.deepEqual(actionIds(done), [], "the button is gone once acknowledged");
      assert.equal(done.message, mine.message, "the message is kept");
      assert.equal(done.props.postbot_broadcast_id, sent.id);

      for (const person of [carol, alice, carol]) {
        const r = await s.server.clickButton(person.user.id, square.id, "postbotack");
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      await waitForAcks(s, sent.id, [bob, carol, alice].map((p) => `${p.user.id}:button`));
      await s.waitFor(async () =>
        /2 acknowledged so far/.test(
          attachmentText((await rest(s, carol, "GET", `/posts/${square.id}`)).body),
        )
      );
      const status = await s.dm(alice).ask(`!status ${sent.id}`);
      assert.match(status, /Acknowledged:\*\* 1 of 1 person reached directly, 2 members/);
    });
  } finally {
    await socket.close();
    await s.stop();
  }
});

Deno.test("forged clicks are refused; a click by someone the post was not for is not counted", async () => {
  const { env, actions } = buttonEnv();
  const s = await startScenario({ env, channelsToml: WITH_RANDOM });
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const sent = await broadcastWith(s.dm(alice), "Sign the policy", "@bob, @carol", "yes ack");
      const bobs = await copyFor(s, bob, sent.id);
      const carols = await copyFor(s, carol, sent.id);
      const bobToken = await genuineToken(s, sent.id, `p:${bob.user.id}`);
      const click = (fields: Record<string, unknown>) => ({
        user_id: bob.user.id,
        user_name: "bob",
        channel_id: bobs.channel_id,
        post_id: bobs.id,
        trigger_id: "x",
        type: "button",
        context: { broadcast: sent.id, recipient: `p:${bob.user.id}`, token: bobToken },
        ...fields,
      });
      const post = async (body: string | Uint8Array<ArrayBuffer>, method = "POST") => {
        const r = await fetch(actions, { method, body: method === "GET" ? undefined : body });
        await r.body?.cancel();
        return r.status;
      };
      const forged: [string, string | Uint8Array<ArrayBuffer>, number][] = [
        ["no context", JSON.stringify(click({ context: undefined })), 400],
        ["no token", JSON.stringify(click({ context: { broadcast: sent.id } })), 400],
        [
          "a wrong token",
          JSON.stringify(
            click({
              context: { broadcast: sent.id, recipient: `p:${bob.user.id}`, token: "A".repeat(43) },
            }),
          ),
          403,
        ],
        ["bob's token on carol's post", JSON.stringify(click({ post_id: carols.id })), 403],
        [
          "bob's token for carol",
          JSON.stringify(
            click({
              post_id: carols.id,
              context: { broadcast: sent.id, recipient: `p:${carol.user.id}`, token: bobToken },
            }),
          ),
          403,
        ],
        [
          "another broadcast's",
          JSON.stringify(click({ context: { ...click({}).context, broadcast: "zzzzzzzz" } })),
          403,
        ],
        ["not JSON", "user_id=bob&post_id=x", 400],
        ["an array", "[1,2]", 400],
        ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 400],
        ["a huge body", JSON.stringify(click({ pad: "x".repeat(40_000) })), 413],
      ];
      for (const [what, body, status] of forged) {
        assert.equal(await post(body), status, what);
      }
      assert.equal(await post("", "GET"), 405, "GET");
      assert.deepEqual(await acknowledgements(s, sent.id), [], "nothing forged was recorded");

      // bob's genuine token, replayed as carol's click: not counted.
      const replayed = await fetch(actions, {
        method: "POST",
        body: JSON.stringify(click({ user_id: carol.user.id, user_name: "carol" })),
      });
      assert.equal(replayed.status, 200);
      assert.match((await replayed.json()).ephemeral_text, /not sent to you.*not counted/);
      assert.deepEqual(await acknowledgements(s, sent.id), []);

      // A system admin may click a post in a channel they are not in: not a recipient.
      const square = await broadcastWith(s.dm(alice), "All hands", "~random", "yes ack");
      const admin = await sysop(s);
      const post2 = await copyIn(s, s.world.channels.random.id, square.id);
      const byAdmin = await s.server.clickButton(admin.user.id, post2.id, "postbotack");
      assert.equal(byAdmin.status, 200, JSON.stringify(byAdmin.body));
      const byBob = await s.server.clickButton(bob.user.id, post2.id, "postbotack");
      assert.equal(byBob.status, 200, JSON.stringify(byBob.body));
      await waitForAcks(s, square.id, [`${bob.user.id}:button`]);

      // The genuine click, as the server would send it, is taken.
      assert.equal(await post(JSON.stringify(click({}))), 200);
      await waitForAcks(s, sent.id, [`${bob.user.id}:button`]);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("acknowledged by reaction without ACTIONS_URL; others' reactions and other emojis do not count", async () => {
  const s = await startScenario({ channelsToml: WITH_RANDOM });
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob } = s.world;
      const sent = await broadcastWith(s.dm(alice), "Read the rota", "@bob, ~random", "yes ack");
      assert.match(sent.report, /by reacting with :white_check_mark:/);
      const mine = await copyFor(s, bob, sent.id);
      assert.deepEqual(actionIds(mine), [], "no button without ACTIONS_URL");
      assert.match(attachmentText(mine), /react with :white_check_mark:/);
      const random = await copyIn(s, s.world.channels.random.id, sent.id);
      const admin = await sysop(s);
      await s.server.addReaction(admin.user.id, random.id, "white_check_mark");
      await s.server.addReaction(bob.user.id, mine.id, "+1");
      await s.server.addReaction(s.world.bot.user.id, mine.id, "white_check_mark");
      await s.server.addReaction(alice.user.id, random.id, "white_check_mark");
      await waitForAcks(s, sent.id, [`${alice.user.id}:reaction`]);
      await s.server.addReaction(bob.user.id, mine.id, "white_check_mark");
      await waitForAcks(s, sent.id, [`${alice.user.id}:reaction`, `${bob.user.id}:reaction`]);
      await s.waitFor(async () =>
        /You acknowledged this/.test(
          attachmentText((await rest(s, bob, "GET", `/posts/${mine.id}`)).body),
        )
      );
      await s.waitFor(async () =>
        /1 acknowledged so far/.test(
          attachmentText((await rest(s, alice, "GET", `/posts/${random.id}`)).body),
        )
      );
      // Removing the reaction does not take the acknowledgement back.
      await s.server.removeReaction(bob.user.id, mine.id, "white_check_mark");
      assert.equal((await acknowledgements(s, sent.id)).length, 2);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("reactions given while the bot was down are read back when it starts", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const sent = await broadcastWith(
        s.dm(alice),
        "Fire drill at 3pm",
        "@bob, @carol",
        "yes ack important",
      );
      const bobs = await copyFor(s, bob, sent.id);
      const carols = await copyFor(s, carol, sent.id);
      await s.bot.stop();
      await s.server.addReaction(bob.user.id, bobs.id, "white_check_mark");
      await s.server.addReaction(carol.user.id, carols.id, "tada");
      await s.startBot();
      await waitForAcks(s, sent.id, [`${bob.user.id}:reaction`]);
      await s.waitFor(async () =>
        /You acknowledged this/.test(
          attachmentText((await rest(s, bob, "GET", `/posts/${bobs.id}`)).body),
        )
      );
      // The priority label survives the props being written again.
      const after = (await rest(s, bob, "GET", `/posts/${bobs.id}`)).body;
      assert.equal(after.metadata.priority?.priority, "important");
      // And the socket hears the next one.
      await s.server.addReaction(carol.user.id, carols.id, "white_check_mark");
      await waitForAcks(s, sent.id, [`${bob.user.id}:reaction`, `${carol.user.id}:reaction`]);
      assert.equal(
        await withLog(s, async (db) =>
          Number(
            ((await db.query("SELECT COUNT(*) AS n FROM acknowledgements"))[0] as { n: number }).n,
          )),
        2,
      );
    });
  } finally {
    await s.stop();
  }
});
