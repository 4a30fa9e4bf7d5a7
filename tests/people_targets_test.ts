/**
 * People as targets, through the bot process on either backend: `@username`, `members of`,
 * lists, `everyone`, a mix with channels; one DM per person (created once, remembered), the
 * files uploaded to it; the preview's counts and `who`; unreachable people reported with why;
 * `!status`, `!edit`, `!undo`, `!retry` per recipient; hostile answers.
 */

import assert from "node:assert/strict";
import type { Post } from "@mattermost/types/posts";
import {
  type Backend,
  emulatorOnly,
  type Person,
  type Scenario,
  type ScenarioWorld,
  sqliteOnly,
  startScenario,
} from "@postbot/harness";
import {
  assertRelayed,
  botPostsIn,
  broadcast,
  broadcastIdIn,
  showingBotOutput,
  testFiles,
  withLog,
} from "./support/broadcasts.ts";

/** The bot's copies of broadcast `id` in the DM of `person`. */
function copiesFor(s: Scenario, person: Person, id: string): Promise<Post[]> {
  return botPostsIn(s, s.dmChannel(person).id, id);
}

/** The DM channels the bot remembers, by user id. */
function rememberedDms(s: Scenario): Promise<Map<string, string>> {
  return withLog(s, async (db) =>
    new Map(
      ((await db.query("SELECT user_id, channel_id FROM direct_channels")) as {
        user_id: string;
        channel_id: string;
      }[]).map((r) => [r.user_id, r.channel_id]),
    ));
}

/** "Delivered to N of M people" -> [N, M]. */
function peopleCount(text: string): [number, number] {
  const m = /(\d+) of (\d+) (?:people|person)\b/.exec(text);
  if (m === null) assert.fail(`no people count in: ${text}`);
  return [Number(m[1]), Number(m[2])];
}

/** dave (an ordinary person) and helperbot (a bot), both in ~random and the team. */
async function addDaveAndABot(server: Backend, world: ScenarioWorld): Promise<void> {
  const dave = await server.createUser({ username: "dave" });
  const helper = await server.createUser({ username: "helperbot", is_bot: true });
  for (const p of [dave, helper]) {
    await server.addTeamMember(world.team.id, p.user.id);
    await server.addChannelMember(world.channels.random.id, p.user.id);
  }
  (world as { dave?: Person }).dave = dave;
}

function daveOf(s: Scenario): Person {
  return (s.world as unknown as { dave: Person }).dave;
}

Deno.test("a person named with @ gets one DM, with the files; the DM is opened once", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob } = s.world;
      const dm = s.dm(alice);
      const files = testFiles(2, "plan");
      const first = await broadcast(dm, "Your new desk is ready", "@bob", files);
      assert.match(first.preview, /Ready to send to 1 person/);
      assert.match(first.preview, /@bob/);
      assert.deepEqual(peopleCount(first.report), [1, 1]);
      await assertRelayed(s, s.dmChannel(bob).id, first.id, "Your new desk is ready", files);
      assert.equal((await rememberedDms(s)).get(bob.user.id), s.dmChannel(bob).id);

      const second = await broadcast(dm, "And a chair", "@BOB");
      assert.deepEqual(peopleCount(second.report), [1, 1]);
      assert.equal((await copiesFor(s, bob, second.id)).length, 1);
      assert.equal((await rememberedDms(s)).size, 1, "one DM channel remembered for bob");
      assert.match(await dm.ask(`!status ${second.id}`), /@bob: delivered/);
    });
  } finally {
    await s.stop();
  }
});

Deno.test("the DM channel is created once per person ever, not per broadcast", {
  ignore: emulatorOnly("counts the bot's POST /channels/direct in the emulator's request log"),
}, async () => {
  const s = await startScenario();
  try {
    const dm = s.dm(s.world.alice);
    const opens = () =>
      s.emu.requests.filter((r) =>
        r.method === "POST" && r.path === "/api/v4/channels/direct" &&
        r.userId === s.world.bot.user.id && r.status < 300
      ).length;
    await broadcast(dm, "One", "@carol");
    const after = opens();
    await broadcast(dm, "Two", "@carol");
    await s.bot.stop();
    await s.startBot();
    await broadcast(dm, "Three", "@carol");
    assert.equal(opens(), after, "no DM opened for carol after the first broadcast");
  } finally {
    await s.stop();
  }
});

Deno.test("members of a channel: its active people; bots and deactivated users left out", async () => {
  const s = await startScenario({ prepare: addDaveAndABot });
  const dave = daveOf(s);
  try {
    await showingBotOutput(s, async () => {
      await s.server.setUserActive(dave.user.id, false);
      const { bob } = s.world;
      const dm = s.dm(bob);
      await dm.send("Lunch is on me");
      await dm.replyMatching(/Where should I send this/);
      const preview = await dm.ask("members of ~random");
      // ~random: the bot, alice, bob, dave (deactivated), helperbot (a bot).
      assert.match(preview, /Ready to send to 2 people/);
      assert.doesNotMatch(preview, /@alice|@dave|@helperbot/, "counts, not names");
      assert.match(preview, /answer `who`/);
      const who = await dm.ask("who");
      assert.match(who, /@alice/);
      assert.match(who, /@bob/);
      assert.doesNotMatch(who, /dave|helperbot/);
      await dm.send("yes");
      const sending = await dm.replyMatching(/Sending broadcast/);
      // The announcement's count is worked out before delivery starts (nothing of the draft
      // is kept for it): still the preview's.
      assert.match(sending, /^Sending broadcast `\w+` to 2 people\u2026 I'll tell you/);
      const id = broadcastIdIn(sending);
      assert.deepEqual(peopleCount(await dm.replyMatching(/Delivered to/)), [2, 2]);
      for (const p of [s.world.alice, bob]) assert.equal((await copiesFor(s, p, id)).length, 1);
    });
  } finally {
    await s.server.setUserActive(dave.user.id, true);
    await s.stop();
  }
});

Deno.test("members of a private channel only for its members; unknown names refused", async () => {
  const s = await startScenario();
  try {
    const bob = s.dm(s.world.bob);
    await bob.send("Hello");
    await bob.replyMatching(/Where should I send this/);
    // ~managers is private and bob is not in it: it reads like no channel at all.
    const hidden = await bob.ask("members of ~managers");
    assert.match(hidden, /I know no channel or group by that name/);
    assert.doesNotMatch(hidden, /alice/);
    assert.match(await bob.ask("members of ~nosuch"), /I know no channel or group/);
    assert.match(await bob.ask("members of"), /members of which channel or group/);
    assert.match(await bob.ask("@"), /names nobody/);
    assert.match(await bob.ask("@nobody-here"), /I don't know `@nobody-here`/);
    assert.match(await bob.ask("@postbot"), /is a bot account/);
    // 10,000 entries do not fit in a post (16,383 characters): 5,000 do, and 100 names.
    assert.match(await bob.ask("@x,".repeat(5_000)), /characters long; I accept up to 4000/);
    assert.match(await bob.ask("@x,".repeat(101)), /That is 101 names; I accept up to 100/);
    assert.match(await bob.ask("everyone"), /Only administrators may send to `everyone`/);
    const alice = s.dm(s.world.alice);
    await alice.send("Managers only");
    await alice.replyMatching(/Where should I send this/);
    assert.match(await alice.ask("members of ~managers"), /Ready to send to 1 person/);
  } finally {
    await s.stop();
  }
});

const LISTS_TOML = `# people lists
whitelist = ["town-square"]

[groups]
Engineering = ["{{engineering}}", "{{town-square}}"]

[lists]
# the night shift
"Night shift" = ["bob", "@carol"]
`;

Deno.test("lists: listed, added by admins (comments kept), sent to as counts", async () => {
  const s = await startScenario({ channelsToml: LISTS_TOML });
  try {
    await showingBotOutput(s, async () => {
      const alice = s.dm(s.world.alice);
      assert.match(await alice.ask("!lists"), /\*\*Night shift\*\*: 2 people/);
      const members = await alice.ask("!lists night shift");
      assert.match(members, /@bob/);
      assert.match(members, /@carol/);
      assert.match(await alice.ask("!lists Day shift"), /There is no list/);

      assert.match(
        await alice.ask('!add_list "Day shift" = ["nosuchperson", "bob"]'),
        /Nothing was saved: 1 entry is not an active person of this team: `nosuchperson`/,
      );
      assert.match(
        await alice.ask('!add_list "Day\u200bshift" = ["bob"]'),
        /invisible formatting character/,
      );
      assert.match(
        await alice.ask('!add_list "Engineering" = ["bob"]'),
        /Nothing was saved: .*already taken/,
      );
      assert.match(await alice.ask('!add_list "Day shift" = ["alice", "@bob"]'), /Saved 1 list/);
      const toml = s.channelsToml();
      assert.match(toml, /# the night shift/);
      assert.match(toml, /"Day shift" = \["alice", "@bob"\]/);
      assert.match(await s.dm(s.world.bob).ask('!add_list "Mine" = ["bob"]'), /administrator/i);

      await alice.send("Night shift briefing moved to 22:00");
      await alice.replyMatching(/Where should I send this/);
      const preview = await alice.ask("Night shift, Day shift");
      assert.match(preview, /Ready to send to 3 people/);
      assert.doesNotMatch(preview, /@bob|@carol/, "a list is counted, not named");
      await alice.send("yes");
      const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
      assert.deepEqual(peopleCount(await alice.replyMatching(/Delivered to/)), [3, 3]);
      for (const p of [s.world.alice, s.world.bob, s.world.carol]) {
        assert.equal((await copiesFor(s, p, id)).length, 1, `@${p.user.username}`);
      }
    });
  } finally {
    await s.stop();
  }
});

Deno.test("everyone: administrators only, always through the guard", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const alice = s.dm(s.world.alice);
      await alice.send("The office is closed on Friday");
      await alice.replyMatching(/Where should I send this/);
      const preview = await alice.ask("everyone");
      const n = Number(/This reaches \*\*(\d+) people\*\*/.exec(preview)?.[1]);
      assert.ok(n >= 3, preview);
      assert.match(preview, new RegExp(`answer \\*\\*yes ${n}\\*\\*`));
      assert.match(await alice.ask("yes"), /bare yes is not enough/);
      assert.match(await alice.ask(`yes ${n + 1}`), /is not the number of recipients/);
      await alice.send(`yes ${n}`);
      const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
      assert.deepEqual(peopleCount(await alice.replyMatching(/Delivered to/, 60_000)), [n, n]);
      for (const p of [s.world.alice, s.world.bob, s.world.carol]) {
        assert.equal((await copiesFor(s, p, id)).length, 1, `@${p.user.username}`);
      }
      assert.equal((await copiesFor(s, s.world.outsider, id)).length, 0, "not in the team");
    });
  } finally {
    await s.stop();
  }
});

Deno.test("a mix of channels and people; a person reached twice gets one DM", async () => {
  const s = await startScenario();
  try {
    await showingBotOutput(s, async () => {
      const { alice, bob, carol } = s.world;
      const dm = s.dm(alice);
      const r = await broadcast(
        dm,
        "Release 2.0 is out",
        "Engineering, @bob, members of ~office-berlin, @carol",
      );
      // Engineering: ~engineering, ~town-square; people: bob, carol (named), alice (member of
      // ~office-berlin with the bot; the real server's ~town-square holds the whole team).
      assert.match(r.preview, /Ready to send to 2 channels and 3 people/);
      assert.match(r.preview, /@bob, @carol, 1 more person through/);
      assert.match(r.report, /Delivered to 2 of 2 channels and 3 of 3 people/);
      for (const p of [alice, bob, carol]) assert.equal((await copiesFor(s, p, r.id)).length, 1);
      for (const c of ["engineering", "town-square"]) {
        assert.equal((await botPostsIn(s, s.world.channels[c].id, r.id)).length, 1);
      }
    });
  } finally {
    await s.stop();
  }
});

Deno.test("unreachable people are reported; status, edit, retry and undo per recipient", async () => {
  const s = await startScenario();
  const { alice, bob, carol } = s.world;
  try {
    await showingBotOutput(s, async () => {
      const dm = s.dm(alice);
      await dm.send("Quarterly numbers are in");
      await dm.replyMatching(/Where should I send this/);
      assert.match(await dm.ask("@bob, @carol, town-square"), /1 channel and 2 people/);
      await s.server.setUserActive(carol.user.id, false);
      await dm.send("yes");
      const id = broadcastIdIn(await dm.replyMatching(/Sending broadcast/));
      const report = await dm.replyMatching(/Delivered to/);
      assert.match(report, /Delivered to 1 of 1 channel and 1 of 2 people/);
      assert.match(report, /@carol: not sent: @carol's account is deactivated/);
      assert.equal((await copiesFor(s, carol, id)).length, 0);

      const status = await dm.ask(`!status ${id}`);
      assert.match(status, /~town-square \(Town Square\): delivered/);
      assert.match(status, /@bob: delivered/);
      assert.match(status, /@carol: not delivered \(not sent: @carol's account is deactivated\)/);

      await s.server.setUserActive(carol.user.id, true);
      assert.match(await dm.ask(`!retry ${id}`), /Retrying broadcast/);
      assert.match(await dm.replyMatching(/Retry finished/), /1 of 1 channel and 2 of 2 people/);
      assert.equal((await copiesFor(s, carol, id)).length, 1);
      assert.equal((await copiesFor(s, bob, id)).length, 1, "bob not sent twice");

      await dm.send(`!edit ${id}`);
      await dm.replyMatching(/new text/i);
      await dm.send("Quarterly numbers are in (corrected)");
      await dm.replyMatching(/Change broadcast/);
      const edited = await dm.ask("yes");
      assert.match(
        edited,
        /Edited broadcast `[a-z0-9]+` in 3 of 3 recipients \(1 channel and 2 people\)/,
      );
      assert.match((await copiesFor(s, bob, id))[0].message, /corrected/);

      await dm.send(`!undo ${id}`);
      assert.match(await dm.replyMatching(/Delete broadcast/), /@bob/);
      assert.match(
        await dm.ask("yes"),
        /Deleted broadcast `[a-z0-9]+` from 1 channel and 2 people/,
      );
      for (const p of [bob, carol]) assert.equal((await copiesFor(s, p, id)).length, 0);
    });
  } finally {
    await s.server.setUserActive(carol.user.id, true);
    await s.stop();
  }
});

Deno.test("a DM the server refuses is reported with the reason", {
  ignore: emulatorOnly("the emulator's fault switch refuses POST /channels/direct"),
}, async () => {
  const s = await startScenario();
  try {
    s.emu.faults.failRequests({ method: "POST", path: "/channels/direct", status: 403 });
    const r = await broadcast(s.dm(s.world.alice), "Hello", "@bob");
    assert.match(r.report, /Delivered to 0 of 1 person/);
    assert.match(r.report, /@bob: the server refused a direct message to @bob \(HTTP 403/);
    assert.equal((await rememberedDms(s)).size, 0);
  } finally {
    await s.stop();
  }
});

/** Crew members: with the world, under the team limit of 50 (MaxUsersPerTeam). */
const PEOPLE = 40;

Deno.test("a broadcast to people interrupted by SIGKILL: nobody gets it twice", {
  ignore: emulatorOnly("emulated latency keeps the broadcast running long enough to kill") ||
    sqliteOnly(
      "one process: the rest is recorded as not sent; on PostgreSQL the next active resumes it (high_availability_test.ts)",
    ),
}, async () => {
  const crew: Person[] = [];
  const names = Array.from({ length: PEOPLE }, (_, i) => `crew${String(i).padStart(2, "0")}`);
  const s = await startScenario({
    channelsToml: `[lists]\nCrew = [${names.map((n) => `"${n}"`).join(", ")}]\n`,
    env: { BROADCAST_CONCURRENCY: "4" },
    prepare: async (server, world) => {
      for (const username of names) {
        const p = await server.createUser({ username });
        await server.addTeamMember(world.team.id, p.user.id);
        crew.push(p);
      }
    },
  });
  try {
    await showingBotOutput(s, async () => {
      const alice = s.dm(s.world.alice);
      const holders = (id: string) =>
        crew.filter((p) => {
          const copies = s.emu.store.postsIn(s.dmChannel(p).id).filter((post) =>
            post.user_id === s.world.bot.user.id && post.props?.postbot_broadcast_id === id
          ).length;
          assert.ok(copies <= 1, `@${p.user.username} has ${copies} copies`);
          return copies === 1;
        });
      await alice.send("Muster at the gate", testFiles(1, "map"));
      await alice.replyMatching(/Where should I send this/);
      assert.match(await alice.ask("crew"), new RegExp(`Ready to send to ${PEOPLE} people`));
      s.emu.faults.latencyMs = 30;
      await alice.send("yes");
      const id = broadcastIdIn(await alice.replyMatching(/Sending broadcast/));
      await s.emu.waitFor(() => holders(id).length >= 8, { timeoutMs: 30_000 });
      await s.bot.kill();
      s.emu.faults.latencyMs = 0;
      const got = holders(id).length;
      assert.ok(got > 0 && got < PEOPLE, `killed after ${got} of ${PEOPLE}`);

      await s.startBot();
      const report = await alice.replyMatching(/postbot was restarted while delivering/);
      assert.deepEqual(peopleCount(report), [got, PEOPLE]);
      assert.equal(holders(id).length, got, "recovery sent nothing");
      assert.match(await alice.ask(`!retry ${id}`), /Retrying broadcast/);
      assert.deepEqual(
        peopleCount(await alice.replyMatching(/Retry finished/, 60_000)),
        [PEOPLE, PEOPLE],
      );
      assert.equal(holders(id).length, PEOPLE);
      assert.equal((await rememberedDms(s)).size, PEOPLE, "one DM channel per person");
    });
  } finally {
    await s.stop();
  }
});

Deno.test("scheduled: people resolved again when it goes out; the audit line names nobody", async () => {
  const env: Record<string, string> = {};
  const s = await startScenario({
    env,
    prepare: (_server, world) => {
      env.BOT_LOG_CHANNEL_ID = world.channels["bot-log"].id;
    },
  });
  const { alice, bob, carol, channels } = s.world;
  try {
    await showingBotOutput(s, async () => {
      const dm = s.dm(alice);
      await dm.send("Team offsite: secret-word-42");
      await dm.replyMatching(/Where should I send this/);
      // ~engineering holds bob now; carol joins before it goes out.
      assert.match(await dm.ask("members of ~engineering, @alice"), /Ready to send to 2 people/);
      const id = broadcastIdIn(await dm.ask("in 3 s"));
      await s.server.addChannelMember(channels.engineering.id, carol.user.id);
      assert.match(await dm.replyMatching(/is going out now/, 30_000), /to 3 people/);
      assert.deepEqual(peopleCount(await dm.replyMatching(/Delivered to/, 30_000)), [3, 3]);
      for (const p of [alice, bob, carol]) assert.equal((await copiesFor(s, p, id)).length, 1);

      const audits = async () =>
        (await botPostsIn(s, channels["bot-log"].id)).map((p) => p.message);
      const line = await s.waitFor(async () =>
        (await audits()).find((m) => m.startsWith(`**Broadcast** \`${id}\``))
      );
      assert.match(line, /3 of 3 recipients \(3 people\) delivered/);
      assert.match(line, /withheld: people \(direct messages\) are among its recipients/);
      assert.doesNotMatch(line, /secret-word-42|@bob|@carol|bob|carol/);
      const scheduled = (await audits()).find((m) => m.startsWith("**Scheduled**"))!;
      assert.doesNotMatch(scheduled, /secret-word-42|bob|carol/);
    });
  } finally {
    await s.server.removeChannelMember(channels.engineering.id, carol.user.id);
    await s.stop();
  }
});
