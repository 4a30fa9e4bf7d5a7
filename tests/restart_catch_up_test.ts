/**
 * Catch-up after a restart answers what was missed, once, whatever the local database holds:
 * the conversation in Mattermost is the truth. A database restored from a backup or a brand
 * new one must not make the bot answer old DMs again (or run an old `!run` again); DMs sent
 * while it was down are answered once, and late commands with side effects are explained
 * instead of carried out. The DM channels to read are picked from the unread counts, so a
 * restart reads only the channels that got something.
 */

import assert from "node:assert/strict";
import type { ServerChannel } from "@mattermost/types/channels";
import type { Post } from "@mattermost/types/posts";
import type { Emulator } from "@postbot/mattermost-emulator";
import {
  emulatorOnly,
  type Person,
  type Scenario,
  type ScenarioWorld,
  sqliteOnly,
  startScenario,
} from "@postbot/harness";
import { emptyStore, storeRows } from "./support/store.ts";

const TYPES = new URL("../src/tasks/types.ts", import.meta.url).href;

/** A task that leaves a trace in a channel, so runs can be counted from outside. */
function tickTask(channelId: string): string {
  return `import type { Client4, TaskContext } from ${JSON.stringify(TYPES)};
export async function run(_client: Client4, ctx: TaskContext): Promise<void> {
  await ctx.post(${JSON.stringify(channelId)}, "tick");
}
`;
}

const DB_FILES = ["broadcast_log.db", "broadcast_log.db-wal", "broadcast_log.db-shm"];

/** Extra team members `user0`… created before the bot starts. */
function withUsers(count: number, into: Person[]) {
  return (emu: Emulator, world: ScenarioWorld) => {
    for (let i = 0; i < count; i++) {
      const { user, token } = emu.store.createUser({ username: `user${i}` });
      emu.store.addTeamMember(world.team.id, user.id);
      into.push({ user, token });
    }
  };
}

function dmOf(s: Scenario, person: Person): string {
  return s.emu.store.directChannel(person.user.id, s.world.bot.user.id).id;
}

/** Bot posts in the DM that answer `post` (replies name the post they answer). */
function answersTo(s: Scenario, person: Person, post: Post): Post[] {
  return s.emu.store.postsIn(dmOf(s, person)).filter((p) =>
    p.user_id === s.world.bot.user.id && p.props?.reply_to_post_id === post.id
  );
}

async function answered(s: Scenario, person: Person, post: Post): Promise<Post> {
  return await s.emu.waitFor(() => answersTo(s, person, post)[0], {
    timeoutMs: 20_000,
    message: `no answer to "${post.message}" from @${person.user.username}`,
  });
}

async function copyDb(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for (const name of DB_FILES) {
    await Deno.remove(`${to}/${name}`).catch(() => {});
    await Deno.copyFile(`${from}/${name}`, `${to}/${name}`).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
}

/** GET /channels/{id}/posts requests (channel reads) made since request number `from`. */
function channelReads(s: Scenario, from: number): string[] {
  return s.emu.requests.slice(from)
    .filter((r) => r.method === "GET" && /^\/api\/v4\/channels\/[a-z0-9]{26}\/posts$/.test(r.path))
    .map((r) => r.path.split("/")[4]);
}

/** How many times the bot said it started the `!run` in `post`. */
function runningAnswers(s: Scenario, person: Person, post: Post): number {
  return answersTo(s, person, post).filter((p) => /Running `tick`/.test(p.message)).length;
}

function ticks(s: Scenario): number {
  return s.emu.store.postsIn(s.world.channels["town-square"].id)
    .filter((p) => p.message === "tick").length;
}

Deno.test(
  "database restored from a backup: nothing answered twice, no task run twice, misses once",
  {
    ignore:
      emulatorOnly("makes the bot's views fail with a fault rule and reads the request log") ||
      sqliteOnly("restores the SQLite file from a copy taken while the bot was stopped"),
  },
  async () => {
    const users: Person[] = [];
    const s = await startScenario({ seed: withUsers(6, users) });
    const backup = `${s.dir}/backup`;
    try {
      // The bot cannot mark anything read (a server refusing it, or an older postbot that never
      // did): every DM channel looks unread at restart, so only the conversation can tell.
      s.emu.faults.failRequests({
        method: "POST",
        path: "/channels/members/{user_id}/view",
        status: 500,
        times: 100_000,
      });
      await s.bot.stop();
      await copyDb(s.dir, backup);
      await Deno.mkdir(`${s.dir}/tasks`, { recursive: true });
      await Deno.writeTextFile(
        `${s.dir}/tasks/tick.ts`,
        tickTask(s.world.channels["town-square"].id),
      );
      await s.startBot();

      const asked = new Map<Person, Post>();
      for (const person of users) {
        const post = await s.dm(person).send("!help");
        await answered(s, person, post);
        asked.set(person, post);
      }
      const alice = s.world.alice;
      const run = await s.dm(alice).send("!run tick");
      await answered(s, alice, run);
      await s.emu.waitFor(() => ticks(s) === 1 || undefined, { timeoutMs: 30_000 });

      await s.bot.stop();
      await copyDb(backup, s.dir);
      // Sent while the bot was down: these are the real misses.
      const missed = [
        await s.dm(users[0]).send("!probe-while-down"),
        await s.dm(users[1]).send("!probe-while-down"),
      ];
      const missedRun = await s.dm(alice).send("!run tick");
      const from = s.emu.requests.length;
      await s.startBot();
      await answered(s, users[0], missed[0]);
      await answered(s, users[1], missed[1]);
      // A marker after everything: once answered, every queue has drained.
      for (const person of [...users, alice]) {
        await answered(s, person, await s.dm(person).send("!probe-end"));
      }

      assert.ok(channelReads(s, from).length >= users.length, "the DM channels were read");
      for (const [person, post] of asked) {
        assert.equal(answersTo(s, person, post).length, 1, `@${person.user.username}'s !help`);
      }
      assert.equal(answersTo(s, users[0], missed[0]).length, 1);
      assert.equal(answersTo(s, users[1], missed[1]).length, 1);
      // A !run that arrives while tasks are still being inspected starts once they are.
      for (const post of [run, missedRun]) {
        await s.emu.waitFor(() => runningAnswers(s, alice, post) > 0 || undefined, {
          timeoutMs: 30_000,
        });
      }
      assert.equal(runningAnswers(s, alice, run), 1);
      assert.equal(runningAnswers(s, alice, missedRun), 1);
      await s.emu.waitFor(() => ticks(s) === 2 || undefined, { timeoutMs: 30_000 });

      // Once more, this time without touching the database: still nothing runs again.
      await s.bot.stop();
      await s.startBot();
      await answered(s, alice, await s.dm(alice).send("!probe-last"));
      assert.equal(ticks(s), 2, "the old !run ran once, the missed one once");
      assert.equal(runningAnswers(s, alice, missedRun), 1);
    } finally {
      await s.stop();
    }
  },
);

Deno.test("new database: old history is not answered again; system posts are not answers", {
  ignore: emulatorOnly("seeds an older bot's history and a system post straight into the store"),
}, async () => {
  const users: Person[] = [];
  const s = await startScenario({ seed: withUsers(3, users) });
  try {
    const { bob, carol } = s.world;
    const asked: [Person, Post][] = [];
    for (const person of users) {
      const post = await s.dm(person).send("!help");
      await answered(s, person, post);
      asked.push([person, post]);
    }
    await s.bot.stop();
    // History written by an older postbot: an answer without reply_to_post_id, never viewed.
    const store = s.emu.store;
    const old = store.createPost(carol.user.id, { channel_id: dmOf(s, carol), message: "hello?" });
    store.createPost(s.world.bot.user.id, { channel_id: dmOf(s, carol), message: "Where to?" });
    // A system post under the bot's id after bob's DM is not an answer to it.
    const unanswered = store.createPost(bob.user.id, {
      channel_id: dmOf(s, bob),
      message: "!probe-system",
    });
    store.createPost(s.world.bot.user.id, {
      channel_id: dmOf(s, bob),
      message: "postbot joined the team.",
      type: "system_join_team",
    });
    await emptyStore(s);
    await s.startBot();

    await answered(s, bob, unanswered);
    for (const person of [...users, carol, bob]) {
      await answered(s, person, await s.dm(person).send("!probe-end"));
    }
    for (const [person, post] of asked) {
      assert.equal(answersTo(s, person, post).length, 1, `@${person.user.username}'s !help`);
    }
    assert.equal(answersTo(s, bob, unanswered).length, 1);
    assert.equal(answersTo(s, carol, old).length, 0, "carol's old DM was answered by the old bot");
    const carolBot = store.postsIn(dmOf(s, carol)).filter((p) => p.user_id === s.world.bot.user.id);
    assert.equal(carolBot.length, 2, "the old answer and the one to !probe-end");
  } finally {
    await s.stop();
  }
});

Deno.test("late commands with side effects are explained, not run; late harmless ones answered", {
  ignore: emulatorOnly("back-dates posts, which a real server allows only to system admins"),
}, async () => {
  const s = await startScenario();
  try {
    const { alice } = s.world;
    const dm = dmOf(s, alice);
    await s.bot.stop();
    const minutesAgo = (m: number) => Date.now() - m * 60_000;
    const store = s.emu.store;
    const lateAlias = store.createPost(alice.user.id, {
      channel_id: dm,
      message: '!add_alias late "All offices"',
      create_at: minutesAgo(10),
    });
    const lateHelp = store.createPost(alice.user.id, {
      channel_id: dm,
      message: "!help",
      create_at: minutesAgo(9),
    });
    const freshAlias = store.createPost(alice.user.id, {
      channel_id: dm,
      message: '!add_alias fresh "All offices"',
    });
    await s.startBot();

    const held = await answered(s, alice, lateAlias);
    assert.match(held.message, /`!add_alias late "All offices"` reached me only now/);
    assert.match(held.message, /10 minutes ago, while I was away/);
    assert.match(held.message, /please send it again/);
    assert.match((await answered(s, alice, lateHelp)).message, /Commands/);
    await answered(s, alice, freshAlias);
    assert.doesNotMatch(s.channelsToml(), /late/, "the late !add_alias was not run");
    assert.match(s.channelsToml(), /^"fresh" = "All offices"/m, "the recent one was");
    // Sending it again works.
    const again = await answered(s, alice, await s.dm(alice).send('!add_alias late "All offices"'));
    assert.match(again.message, /Saved/);
    assert.match(s.channelsToml(), /^"late" = "All offices"/m);
  } finally {
    await s.stop();
  }
});

Deno.test("restart reads only the DM channels with something new (unread counts)", {
  ignore: emulatorOnly("counts the channel reads in the emulator's request log"),
}, async () => {
  const users: Person[] = [];
  const s = await startScenario({ seed: withUsers(30, users) });
  try {
    for (const person of users) await answered(s, person, await s.dm(person).send("!help"));
    // The bot marks each DM read once it is handled; wait for the last one.
    const botMember = (person: Person) =>
      s.emu.store.channelMember(dmOf(s, person), s.world.bot.user.id)!;
    await s.emu.waitFor(
      () =>
        users.every((p) =>
          botMember(p).msg_count ===
            (s.emu.store.channel(dmOf(s, p)) as ServerChannel).total_msg_count
        ) ||
        undefined,
      { timeoutMs: 20_000, message: "the bot did not mark its DMs read" },
    );
    await s.bot.stop();
    const missed = [
      await s.dm(users[3]).send("!probe-one"),
      await s.dm(users[17]).send("!probe-two"),
    ];
    const from = s.emu.requests.length;
    await s.startBot();
    await answered(s, users[3], missed[0]);
    await answered(s, users[17], missed[1]);

    const reads = channelReads(s, from);
    assert.deepEqual(reads.sort(), [dmOf(s, users[3]), dmOf(s, users[17])].sort());
    const memberLists = s.emu.requests.slice(from)
      .filter((r) => /^\/api\/v4\/users\/me\/teams\/[a-z0-9]{26}\/channels\/members$/.test(r.path));
    assert.equal(memberLists.length, 1);
    for (const person of users) {
      const botPosts = s.emu.store.postsIn(dmOf(s, person))
        .filter((p) => p.user_id === s.world.bot.user.id);
      const expected = person === users[3] || person === users[17] ? 2 : 1;
      assert.equal(botPosts.length, expected, `@${person.user.username}`);
    }
  } finally {
    await s.stop();
  }
});

Deno.test("a DM marked read before the bot saw it is read after a kill -9 anyway (unsettled)", {
  ignore: emulatorOnly("holds REST answers and silences the bot's socket"),
}, async () => {
  // While `held`, every REST answer waits for the gate: the bot's reply is created but its
  // answer hangs, so the view that follows comes after the next DM.
  let held = false;
  let gate = Promise.withResolvers<void>();
  const s = await startScenario({
    emulator: { delay: (ms) => held ? gate.promise : new Promise((r) => setTimeout(r, ms)) },
  });
  try {
    const { alice } = s.world;
    await answered(s, alice, await s.dm(alice).send("!help"));
    const dbHas = async (sql: string) => (await storeRows(s, sql)).length > 0;
    held = true;
    s.emu.faults.latencyMs = 1;
    const first = s.emu.store.createPost(alice.user.id, {
      channel_id: dmOf(s, alice),
      message: "!probe-first",
    });
    await s.emu.waitFor(() => answersTo(s, alice, first)[0], { timeoutMs: 20_000 });
    // The bot's socket goes quiet: it will not hear of this one.
    s.emu.faults.silentSockets = true;
    const unseen = s.emu.store.createPost(alice.user.id, {
      channel_id: dmOf(s, alice),
      message: "!probe-unseen",
    });
    held = false;
    s.emu.faults.latencyMs = 0;
    gate.resolve();
    gate = Promise.withResolvers<void>();
    await s.waitFor(
      async () => (await dbHas("SELECT 1 FROM unsettled_channels")) || undefined,
      {
        timeoutMs: 20_000,
        message: "the bot did not notice the post under its mark",
      },
    );
    const member = s.emu.store.channelMember(dmOf(s, alice), s.world.bot.user.id)!;
    const channel = s.emu.store.channel(dmOf(s, alice)) as ServerChannel;
    assert.equal(member.msg_count, channel.total_msg_count, "the counts say: nothing unread");
    assert.equal(answersTo(s, alice, unseen).length, 0);
    await s.bot.kill();
    s.emu.faults.silentSockets = false;

    await s.startBot();
    await answered(s, alice, unseen);
    await answered(s, alice, await s.dm(alice).send("!probe-end"));
    assert.equal(answersTo(s, alice, unseen).length, 1);
    assert.equal(answersTo(s, alice, first).length, 1);
    await s.waitFor(
      async () => !(await dbHas("SELECT 1 FROM unsettled_channels")) || undefined,
      {
        timeoutMs: 20_000,
        message: "the channel stayed unsettled after everything was handled",
      },
    );
  } finally {
    gate.resolve();
    await s.stop();
  }
});

/** Bot posts answering `post` in `person`'s DM, through the backend (both server kinds). */
async function serverAnswersTo(s: Scenario, person: Person, post: Post): Promise<Post[]> {
  return (await s.postsIn(s.dmChannel(person).id)).filter((p) =>
    p.user_id === s.world.bot.user.id && p.props?.reply_to_post_id === post.id
  );
}

async function serverAnswered(s: Scenario, person: Person, post: Post): Promise<void> {
  await s.waitFor(async () => (await serverAnswersTo(s, person, post)).length > 0, {
    timeoutMs: 30_000,
    message: `no answer to "${post.message}" from @${person.user.username}`,
  });
}

/** The bot's unread counters for a DM, read over REST with its own token (both servers). */
async function botCounts(s: Scenario, person: Person) {
  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${s.url}/api/v4${path}`, {
      headers: { Authorization: `Bearer ${s.world.bot.token}` },
    });
    assert.equal(r.status, 200, path);
    return await r.json() as T;
  };
  const dm = s.dmChannel(person).id;
  const members = await get<{ channel_id: string; msg_count: number }[]>(
    `/users/me/teams/${s.world.team.id}/channels/members`,
  );
  const channel = await get<ServerChannel>(`/channels/${dm}`);
  return {
    msgCount: members.find((m) => m.channel_id === dm)?.msg_count ?? -1,
    total: channel.total_msg_count,
  };
}

Deno.test("new database on either server: answered DMs stay answered, a DM sent while down is answered once", async () => {
  const s = await startScenario();
  try {
    const { alice, bob, carol } = s.world;
    const asked: [Person, Post][] = [];
    for (const person of [alice, bob]) {
      const post = await s.dm(person).send("!help");
      await serverAnswered(s, person, post);
      asked.push([person, post]);
    }
    // The bot marks a DM read once handled: its msg_count catches up with the channel's.
    for (const person of [alice, bob]) {
      await s.waitFor(async () => {
        const c = await botCounts(s, person);
        return c.msgCount === c.total;
      }, { timeoutMs: 20_000, message: "the bot did not mark its DM read" });
    }
    await s.bot.stop();
    // An older postbot's exchange: answered without reply_to_post_id and never marked read.
    const old = await s.server.createPost(carol.user.id, {
      channel_id: s.dmChannel(carol).id,
      message: "hello?",
    });
    await s.server.createPost(s.world.bot.user.id, {
      channel_id: s.dmChannel(carol).id,
      message: "Where should I send this?",
    });
    // The server does not count a bot's own post as read by it (CreatePostAsUser, from_bot).
    const carolCounts = await botCounts(s, carol);
    assert.ok(carolCounts.msgCount < carolCounts.total, JSON.stringify(carolCounts));
    const whileDown = await s.dm(bob).send("!probe-while-down");
    await emptyStore(s);
    await s.startBot();

    await serverAnswered(s, bob, whileDown);
    for (const person of [alice, bob, carol]) {
      await serverAnswered(s, person, await s.dm(person).send("!probe-end"));
    }
    for (const [person, post] of asked) {
      assert.equal((await serverAnswersTo(s, person, post)).length, 1, person.user.username);
    }
    assert.equal((await serverAnswersTo(s, bob, whileDown)).length, 1);
    assert.equal((await serverAnswersTo(s, carol, old)).length, 0);
    assert.equal((await s.botPostsIn(s.dmChannel(carol).id)).length, 2, "old answer + !probe-end");
  } finally {
    await s.stop();
  }
});
