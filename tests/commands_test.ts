/**
 * Every chat command end to end: a real postbot process against the emulator, users talking
 * to it in DMs. Good input does what it says; malformed, oversized and hostile input gets a
 * reply that says what was wrong and how to fix it, and leaves channels.toml byte-identical
 * and the broadcast log untouched. Also: what the bot ignores, and who may do what.
 *
 * One scenario is shared by independent steps (each leaves no wizard session behind); the
 * access-list step restarts the bot with other settings.
 */

import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { type DmUser, emulatorOnly, type Scenario, startScenario } from "@postbot/harness";
import { storeCount } from "./support/store.ts";

const BULK = 400;
const MAX_POST_RUNES = 16_383;

/** Mentions that would notify people: outside code spans and not defused. */
function activeMentions(text: string): string[] {
  const outsideCode = text.replace(/(`{3,})[\s\S]*?\1/g, "").replace(/`[^`\n]*`/g, "");
  return outsideCode.match(/@(channel|all|here)\b/g) ?? [];
}

/** Rows of the tables a command must never touch. */
async function logRows(s: Scenario): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of ["broadcasts", "deliveries", "broadcast_events", "sessions"]) {
    counts[table] = await storeCount(s, `SELECT COUNT(*) AS n FROM ${table}`);
  }
  return counts;
}

/** How many public channels the team has now (as any member can list them over REST). */
async function publicChannels(s: Scenario): Promise<number> {
  let n = 0;
  for (let page = 0;; page++) {
    const r = await fetch(
      `${s.url}/api/v4/teams/${s.world.team.id}/channels?page=${page}&per_page=200`,
      { headers: { Authorization: `Bearer ${s.world.alice.token}` } },
    );
    const list = await r.json() as unknown[];
    n += list.length;
    if (list.length < 200) return n;
  }
}

/** A channel created while the bot runs. */
const LATE_NEWS = (teamId: string) => ({
  team_id: teamId,
  name: "late-news",
  display_name: "Late News",
  type: "O" as const,
});

const EMPTY_LOG = { broadcasts: 0, deliveries: 0, broadcast_events: 0, sessions: 0 };

/** Sends `text`; the reply must match every pattern; nothing may change on disk. */
async function refused(
  s: Scenario,
  user: DmUser,
  text: string,
  ...patterns: RegExp[]
): Promise<string> {
  const before = s.channelsToml();
  const reply = await user.ask(text);
  for (const pattern of patterns) assert.match(reply, pattern, `reply to ${text.slice(0, 200)}`);
  assert.equal(s.channelsToml(), before, `channels.toml changed after ${text.slice(0, 200)}`);
  assert.deepEqual(await logRows(s), EMPTY_LOG);
  assert.deepEqual(activeMentions(reply), [], reply);
  assert.ok(Array.from(reply).length <= MAX_POST_RUNES);
  await assert.rejects(Deno.stat(`${s.dir}/channels.toml.tmp`), Deno.errors.NotFound);
  return reply;
}

/** Every line of `before` is still in `after`, in the same order (nothing rewritten). */
function assertSurgical(before: string, after: string): void {
  const lines = after.split("\n");
  let at = 0;
  for (const line of before.split("\n")) {
    const found = lines.indexOf(line, at);
    assert.ok(found >= 0, `line lost or moved: ${JSON.stringify(line)}\n---\n${after}`);
    at = found + 1;
  }
}

function toml(s: Scenario): Record<string, Record<string, unknown>> {
  return parse(s.channelsToml()) as Record<string, Record<string, unknown>>;
}

Deno.test("commands end to end", async (t) => {
  const s = await startScenario({
    bulkChannels: BULK,
    env: { ADMIN_USERS: "alice,carol" },
    prepare: async (server, world) => {
      // A second channel displayed as "Office Berlin": `!id Office Berlin` is ambiguous.
      world.channels["berlin-annex"] = await server.createChannel({
        team_id: world.team.id,
        name: "berlin-annex",
        display_name: "Office Berlin",
        type: "O",
      }, [world.bot.user.id]);
      // A display name that would ping everyone if a reply showed it unquoted.
      world.channels.party = await server.createChannel({
        team_id: world.team.id,
        name: "party",
        display_name: "@here *party* [x](http://e.vil)",
        type: "O",
      }, [world.bot.user.id]);
      // "late-news" is created after the bot started. A real server keeps it from the last
      // run: archive it, so the startup sweep does not see it (creating restores it).
      if (server.kind === "real") {
        await server.archiveChannel((await server.createChannel(LATE_NEWS(world.team.id))).id);
      }
    },
  });
  const { channels: ch, team } = s.world;
  const alice = s.dm(s.world.alice);
  const bob = s.dm(s.world.bob);
  const carol = s.dm(s.world.carol);
  const mallory = s.dm(s.world.outsider);
  try {
    await t.step({
      name: "startup sweep pages the public channels 200 at a time",
      ignore: emulatorOnly("reads the emulator's request log"),
      fn: () => {
        const pages = s.emu.requests.filter((r) =>
          r.method === "GET" && r.path === `/api/v4/teams/${team.id}/channels`
        );
        // 410 public channels: pages of 200, 200 and 10 (60 per page, the default, needs 7).
        assert.equal(pages.length, 3);
        assert.ok(pages.every((r) => r.status === 200));
      },
    });

    await t.step("!help and its spellings", async () => {
      const help = await alice.ask("!help");
      for (const command of ["!channels", "!id", "!get_groups", "!add_group", "!add_alias"]) {
        assert.match(help, new RegExp(`\`${command}\\b`), command);
      }
      assert.match(help, /!add_group[^\n]*administrators only/);
      for (const spelling of ["help", "HELP", "--help", "man", "!HELP", " !help   "]) {
        assert.equal(await alice.ask(spelling), help, spelling);
      }
    });

    await t.step("a message that only starts with a help word is not a command", async () => {
      const reply = await alice.ask("Help wanted in Berlin");
      assert.match(reply, /Where should I send this\?/);
      assert.match(await alice.ask("cancel"), /cancel/i);
      assert.deepEqual(await logRows(s), EMPTY_LOG);
    });

    await t.step("an unknown !command points to !help", async () => {
      await refused(s, alice, "!chanels", /don't know the command `!chanels`/, /`!help`/);
      await refused(s, alice, "!@channel now", /don't know the command/);
      await refused(s, alice, `!${"x".repeat(5_000)}`, /don't know the command `!x{39}…`/);
    });

    await t.step("!channels lists every channel, split into posts under the limit", async () => {
      await alice.send("!channels");
      const first = await alice.reply();
      const count = Number(/\*\*(\d+) channels\*\*/.exec(first)?.[1]);
      // Every public channel of the team (on the emulator: 8 seeded + berlin-annex + party +
      // bulk; a real server also keeps those of other tests), and the private managers and
      // bot-log.
      const publicCount = await publicChannels(s);
      if (s.server.kind === "emulator") assert.equal(publicCount, 8 + 2 + BULK);
      assert.equal(count, publicCount + 2);
      const parts = [first];
      const lines = () => parts.join("\n").split("\n").filter((l) => l.startsWith("- "));
      while (lines().length < count) parts.push(await alice.reply());
      assert.ok(parts.length >= 2, `expected a split, got ${parts.length} post(s)`);
      for (const part of parts) assert.ok(Array.from(part).length <= MAX_POST_RUNES);
      const text = parts.join("\n");
      for (const name of ["town-square", "managers", "bot-log", "no-bot", "bulk-0", "bulk-399"]) {
        assert.match(text, new RegExp(`~${name} · \`${ch[name].id}\``), name);
      }
      assert.match(text, /\*\*Managers\*\* · ~managers · `[a-z0-9]{26}` \(private\)/);
      assert.equal(text.includes(ch.secret.id), false, "a private channel the bot is not in");
      assert.equal(lines().length, count);
      assert.deepEqual(activeMentions(text), []);
      assert.match(
        text,
        /\*\*@\u200bhere \\\*party\\\* \\\[x\\\]\\\(http:\/\/e\.vil\\\)\*\* · ~party/,
      );
    });

    await t.step("!id finds by name or display name, ignoring case", async () => {
      assert.match(
        await alice.ask("!id town-square"),
        new RegExp(`Id: \`${ch["town-square"].id}\``),
      );
      assert.match(
        await alice.ask("!id TOWN SQUARE"),
        new RegExp(`Id: \`${ch["town-square"].id}\``),
      );
      assert.match(await alice.ask("!id ~Random"), new RegExp(`Id: \`${ch.random.id}\``));
      assert.match(await alice.ask("!ID managers"), new RegExp(`Id: \`${ch.managers.id}\``));
      const twins = await alice.ask("!id office berlin");
      assert.match(twins, /2 channels match `office berlin`; use the name to pick one/);
      assert.match(twins, new RegExp(`~office-berlin · \`${ch["office-berlin"].id}\``));
      assert.match(twins, new RegExp(`~berlin-annex · \`${ch["berlin-annex"].id}\``));
      assert.match(await alice.ask("!id office-berlin"), new RegExp(ch["office-berlin"].id));
      const party = await alice.ask("!id @HERE *party* [x](http://e.vil)");
      assert.match(party, new RegExp(`Id: \`${ch.party.id}\``));
      assert.deepEqual(activeMentions(party), []);
    });

    await t.step("!id: a miss suggests names; bad input is explained", async () => {
      await refused(
        s,
        alice,
        "!id town-sqare",
        /can't find a channel called `town-sqare`/,
        /Did you mean `town-square`/,
        /`!channels`/,
      );
      await refused(s, alice, "!id secret", /can't find a channel called `secret`/);
      await refused(s, alice, `!id ${ch.secret.id}`, /can't find a channel/);
      await refused(s, alice, "!id", /Which channel\? Send `!id <channel name>`/);
      await refused(
        s,
        alice,
        `!id ${"a".repeat(16_000)}`,
        /longer than any channel name/,
        /`!id <channel name>`/,
      );
      await refused(s, alice, "!id @channel", /can't find a channel called `@channel`/);
      await refused(s, alice, "!id `@all` **bold** [x](http://e.vil)", /can't find a channel/);
      await refused(s, alice, "!id \u0007\u001b[31mred\u0008", /can't find a channel/);
      await refused(s, alice, "!id 🚀 Ракета 中文", /can't find a channel called `🚀 Ракета 中文`/);
      await refused(s, alice, "!id town-square\n!add_group x = []", /can't find a channel/);
    });

    await t.step("!id: a channel created after startup is found live, with a hint", async () => {
      const late = await s.server.createChannel(LATE_NEWS(team.id));
      const reply = await alice.ask("!id late-news");
      assert.match(reply, new RegExp(`Id: \`${late.id}\``));
      assert.match(reply, /newer than my channel list; send `!refresh_channels`/);
      const refreshed = await alice.ask("!refresh_channels");
      assert.match(
        refreshed,
        new RegExp(
          `^Channel list reloaded: ${await publicChannels(
            s,
          )} public channels and 2 private channels in \\d+ ms\\.$`,
        ),
      );
      assert.doesNotMatch(await alice.ask("!id Late News"), /newer than my channel list/);
    });

    await t.step("!get_groups and !get_private_groups", async () => {
      const groups = await bob.ask("!get_groups");
      assert.match(
        groups,
        /\*\*All offices\*\* \(3 channels\): Office Berlin, Office Paris, Office Rome/,
      );
      assert.match(groups, /\*\*Engineering\*\* \(2 channels\): Engineering, Town Square/);
      assert.match(groups, /\*\*Aliases:\*\* `all` → All offices/);
      assert.doesNotMatch(groups, /Managers/);
      // bob is not in the private channel ~managers: it is counted, not named.
      const privateGroups = await bob.ask("!get_private_groups");
      assert.match(
        privateGroups,
        /\*\*1 private group:\*\*\n- \*\*Managers\*\* \(1 channel\): 1 private channel you are not/,
      );
      assert.match(
        await alice.ask("!get_private_groups"),
        /\*\*1 private group:\*\*\n- \*\*Managers\*\* \(1 channel\): Managers/,
      );
      assert.deepEqual(await logRows(s), EMPTY_LOG);
    });

    await t.step("!add_group adds several groups surgically; !add_private_group too", async () => {
      const before = s.channelsToml();
      const reply = await alice.ask(
        `!add_group "Paris and Rome" = ["${ch["office-paris"].id}", "${ch["office-rome"].id}"]\n` +
          `Randoms = ["${ch.random.id}"]`,
      );
      assert.match(reply, /Saved 2 groups to channels\.toml/);
      assert.match(reply, /\*\*Paris and Rome\*\*: Office Paris, Office Rome/);
      const after = s.channelsToml();
      assertSurgical(before, after);
      assert.match(after, /^# test channels$/m);
      const groups = toml(s).groups;
      assert.deepEqual(groups["Paris and Rome"], [ch["office-paris"].id, ch["office-rome"].id]);
      assert.deepEqual(groups.Randoms, [ch.random.id]);
      assert.equal(Object.keys(toml(s).aliases).length, 1);

      const privateReply = await alice.ask(
        "!add_private_group\n```\n" + `"Log readers" = ["${ch["bot-log"].id}"]\n` + "```",
      );
      assert.match(privateReply, /Saved 1 private group/);
      assert.deepEqual(toml(s).private_groups["Log readers"], [ch["bot-log"].id]);
      assertSurgical(after, s.channelsToml());
      assert.match(await bob.ask("!get_private_groups"), /Log readers/);
      assert.match(await bob.ask("!get_groups"), /Paris and Rome/);
      assert.deepEqual(await logRows(s), EMPTY_LOG);
    });

    await t.step("!add_group: malformed input is explained and nothing is written", async () => {
      const id = ch.engineering.id;
      await refused(s, alice, "!add_group", /nothing to add/, /Example:/);
      await refused(
        s,
        alice,
        `!add_group "Broken = ["${id}"]`,
        /Line 1, column \d+:/,
        /```\n"Broken = \[/,
        /Example:/,
      );
      await refused(
        s,
        alice,
        `!add_group Fine = ["${id}"]\nBroken = ["${id}"`,
        /Line 2, column \d+/,
        /Broken = \[/,
      );
      await refused(s, alice, `!add_group X = "${id}"`, /must be a list of channel ids/);
      await refused(s, alice, "!add_group X = []", /has no channel ids/);
      await refused(s, alice, "!add_group X = [42]", /not text/);
      await refused(
        s,
        alice,
        '!add_group X = ["town square"]',
        /not a channel id/,
        /26 lowercase letters/,
      );
      await refused(s, alice, `!add_group X = ["${id.toUpperCase()}"]`, /uppercase/);
      await refused(s, alice, "!add_group “Curly” = [“abc”]", /typographic quotes/);
      await refused(s, alice, `!add_group a.b = ["${id}"]`, /has a dot/);
      await refused(s, alice, `!add_group X = { id = "${id}" }`, /unknown key "id"/);
      await refused(s, alice, `!add_group X = ["${id}"]\nx = ["${id}"]`, /already given on line 1/);
    });

    await t.step("!add_group: ids the bot cannot see, and names already taken", async () => {
      const missing = "abcdefghijklmnopqrstuvwxyz";
      await refused(
        s,
        alice,
        `!add_group X = ["${ch.engineering.id}", "${missing}", "${ch.secret.id}"]`,
        /Nothing was saved: I can't see 2 channels in this team/,
        new RegExp(missing),
        new RegExp(ch.secret.id),
        /`!channels`/,
      );
      await refused(
        s,
        alice,
        `!add_group "ALL OFFICES" = ["${ch.engineering.id}"]`,
        /already taken/,
        /choose another name/,
      );
      await refused(
        s,
        alice,
        `!add_group all = ["${ch.engineering.id}"]`,
        /already taken/,
        /alias/,
      );
      await refused(s, alice, `!add_group Town-Square = ["${ch.engineering.id}"]`, /already taken/);
      await refused(
        s,
        alice,
        `!add_private_group Managers = ["${ch.engineering.id}"]`,
        /already taken/,
      );
    });

    await t.step("!add_group: oversized and hostile input", async () => {
      const id = ch.engineering.id;
      // As long as a post may be: 560 well-formed ids the bot cannot see.
      const ids = Array.from({ length: 560 }, (_, i) => `"${String(i).padStart(26, "q")}"`);
      const big = `!add_group Big = [${ids.join(",")}]`;
      assert.ok(big.length <= MAX_POST_RUNES && big.length > 16_000);
      await refused(s, alice, big, /can't see 560 channels/, /, …/);
      await refused(
        s,
        alice,
        `!add_group ${"N".repeat(200)} = ["${id}"]`,
        /200 characters long \(at most 100\)/,
      );
      await refused(s, alice, `!add_group ${"x".repeat(16_000)}`, /Line 1/);
      // TOML injection: a second table smuggled in after the group.
      await refused(
        s,
        alice,
        `!add_group "x" = ["${id}"]\n[aliases]\nevil = "x"`,
        /section headers like \[groups\] are not allowed/,
      );
      await refused(
        s,
        alice,
        `!add_group "x\\"]\\n[aliases]" = ["${id}"]`,
        /line break or another control character/,
      );
      await refused(s, alice, `!add_group "tab\\there" = ["${id}"]`, /control character/);
      await refused(s, alice, `!add_group "\\u0000" = ["${id}"]`, /control character/);
      await refused(s, alice, `!add_group x = ["${id}"] # \u0007`, /Line 1/);
      await refused(s, alice, `!add_group "@channel" = ["not an id"]`, /not a channel id/);
      await refused(s, alice, '!add_group "@all" = []', /has no channel ids/);
      await refused(s, alice, `!add_group "\\ud800" = ["${id}"]`, /Line 1/);
    });

    await t.step("!add_group: more than 20,000 characters (UTF-16) within one post", async () => {
      const emoji = `!add_group X = ["${"😀".repeat(10_100)}"]`;
      assert.ok(Array.from(emoji).length <= MAX_POST_RUNES && emoji.length > 20_000);
      await refused(s, alice, emoji, /the limit is 20,000/, /Split the groups over several/);
    });

    await t.step("!add_group accepts unicode and markdown in names, safely quoted", async () => {
      const before = s.channelsToml();
      const reply = await alice.ask(
        `!add_group "Büros 🚀 *all* @here" = ["${ch["office-rome"].id}"]`,
      );
      assert.match(reply, /Saved 1 group/);
      assert.deepEqual(activeMentions(reply), []);
      assertSurgical(before, s.channelsToml());
      assert.deepEqual(toml(s).groups["Büros 🚀 *all* @here"], [ch["office-rome"].id]);
      const listed = await bob.ask("!get_groups");
      assert.match(listed, /Büros 🚀 \\\*all\\\* @\u200bhere/);
      assert.deepEqual(activeMentions(listed), []);
    });

    await t.step(
      "!add_alias stores lowercase aliases for groups and whitelisted channels",
      async () => {
        const before = s.channelsToml();
        assert.match(
          await alice.ask("!add_alias ENG Engineering"),
          /Saved: `eng` now means Engineering/,
        );
        assert.match(
          await alice.ask('!add_alias pr "paris and rome"'),
          /Saved: `pr` now means Paris and Rome/,
        );
        assert.match(
          await alice.ask("!add_alias news announcements"),
          /Saved: `news` now means announcements/,
        );
        assert.match(
          await alice.ask("!add_alias ts Town Square"),
          /Saved: `ts` now means town-square/,
        );
        assertSurgical(before, s.channelsToml());
        assert.deepEqual({ ...toml(s).aliases }, {
          all: "All offices",
          eng: "Engineering",
          pr: "Paris and Rome",
          news: "announcements",
          ts: "town-square",
        });
        assert.match(await bob.ask("!get_groups"), /`eng` → Engineering/);
      },
    );

    await t.step("!add_alias: bad input is explained and nothing is written", async () => {
      await refused(
        s,
        alice,
        "!add_alias",
        /I need an alias and a target/,
        /!add_alias <alias> <target>/,
      );
      await refused(s, alice, "!add_alias lonely", /I need an alias and a target/);
      await refused(s, alice, '!add_alias x ""', /I need an alias and a target/);
      await refused(
        s,
        alice,
        '!add_alias x "Al offices"',
        /`Al offices` is neither a group nor a whitelisted channel/,
        /Did you mean `All offices`/,
      );
      await refused(
        s,
        alice,
        "!add_alias office-rome office-rome",
        /neither a group nor a whitelisted/,
      );
      await refused(s, alice, "!add_alias ALL Engineering", /alias "all" already exists/);
      await refused(s, alice, '!add_alias engineering "All offices"', /already the name of/);
      await refused(s, alice, "!add_alias town-square Engineering", /already the name of/);
      await refused(
        s,
        alice,
        "!add_alias a,b Engineering",
        /can't be an alias: it contains a comma/,
      );
      await refused(s, alice, `!add_alias ${"a".repeat(150)} Engineering`, /at most 100/);
      await refused(s, alice, "!add_alias a\u0007b Engineering", /control character/);
      await refused(s, alice, "!add_alias x @channel", /neither a group nor a whitelisted channel/);
      await refused(s, alice, `!add_alias x ${"y".repeat(16_000)}`, /neither a group nor/);
      await refused(
        s,
        alice,
        '!add_alias x Engineering"\n[groups]\nevil = ["x"]',
        /neither a group nor/,
      );
      await refused(s, alice, '!add_alias "my alias" Engineering', /one word/);
      await refused(s, alice, "!add_alias ~eng Engineering", /leading ~ marks a channel/);
      await refused(s, alice, "!add_alias @eng Engineering", /@ a person/);
    });

    await t.step("!history, !undo, !retry: bad input is explained", async () => {
      await refused(s, bob, "!history", /not sent any broadcasts yet/);
      await refused(s, bob, "!history lots", /takes a number of broadcasts, e.g. `!history 10`/);
      await refused(s, bob, "!history -1", /takes a number/);
      await refused(s, bob, `!history ${"9".repeat(16_000)}`, /takes a number/);
      await refused(s, bob, "!undo", /no broadcasts to undo/);
      await refused(s, bob, "!undo k3m9x2qa", /no broadcast `k3m9x2qa` of yours/, /`!history`/);
      await refused(s, bob, "!undo @channel; DROP TABLE broadcasts", /is not a broadcast id/);
      await refused(s, bob, "!retry", /Which broadcast\? Send `!retry <id>`/);
      await refused(s, bob, "!retry ../../etc/passwd", /is not a broadcast id/);
      await refused(s, bob, `!retry ${"x".repeat(16_000)}`, /is not a broadcast id/);
    });

    await t.step("channel messages and the bot's own posts get no answer", async () => {
      const townPosts = () => s.postsIn(ch["town-square"].id);
      const before = (await townPosts()).length;
      await s.server.createPost(s.world.alice.user.id, {
        channel_id: ch["town-square"].id,
        message: "!help",
      });
      await s.server.createPost(s.world.alice.user.id, {
        channel_id: ch.managers.id,
        message: "!channels",
      });
      await s.server.createPost(s.world.bot.user.id, {
        channel_id: alice.channel.id,
        message: "!help",
      });
      await s.server.createPost(s.world.bot.user.id, {
        channel_id: alice.channel.id,
        message: "hello",
      });
      assert.deepEqual(await alice.drain(), ["!help", "hello"]);
      // Alice's messages are handled in order: once this is answered, the channel posts were
      // handled (and dropped) too.
      assert.match(await alice.ask("!id random"), new RegExp(ch.random.id));
      assert.equal((await townPosts()).length, before + 1);
      assert.equal((await s.botPostsIn(ch["town-square"].id)).length, 0);
      assert.equal((await s.botPostsIn(ch.managers.id)).length, 0);
      // The bot's own two posts are in the DM, and nothing answered them.
      const own = (await alice.botPosts()).filter((p) =>
        p.message === "!help" || p.message === "hello"
      );
      assert.equal(own.length, 2);
      assert.deepEqual(await alice.drain(), []);
      assert.deepEqual(await logRows(s), EMPTY_LOG);
    });

    await t.step("access: outsiders refused, non-admins refused admin commands", async () => {
      await refused(s, mallory, "!help", /only work for members of the team \*\*staff\*\*/);
      await refused(s, mallory, `!add_group X = ["${ch.random.id}"]`, /only work for members/);
      await refused(s, mallory, "hello everyone", /only work for members/);
      await refused(
        s,
        bob,
        `!add_group X = ["${ch.random.id}"]`,
        /`!add_group`.*administrators \(ADMIN_USERS\)/,
      );
      await refused(s, bob, `!add_private_group X = ["${ch.random.id}"]`, /administrators/);
      await refused(s, bob, "!add_alias x Engineering", /`!add_alias`.*administrators/);
      assert.match(await bob.ask("!id random"), new RegExp(ch.random.id));
    });

    await t.step("concurrent !add_group from two admins: both land", async () => {
      const before = s.channelsToml();
      // The admins write at the same time; alice's alias comes after her group (two posts
      // sent at once may be stored in either order by a real server).
      await Promise.all([
        (async () => {
          await alice.send(`!add_group "Alice group" = ["${ch["office-berlin"].id}"]`);
          await alice.send(`!add_alias ag "Alice group"`);
        })(),
        carol.send(`!add_group "Carol group" = ["${ch["office-paris"].id}"]`),
      ]);
      assert.match(await alice.reply(), /Saved 1 group/);
      assert.match(await carol.reply(), /Saved 1 group/);
      assert.match(await alice.reply(), /Saved: `ag` now means Alice group/);
      const groups = toml(s).groups;
      assert.deepEqual(groups["Alice group"], [ch["office-berlin"].id]);
      assert.deepEqual(groups["Carol group"], [ch["office-paris"].id]);
      assert.equal(toml(s).aliases.ag, "Alice group");
      assertSurgical(before, s.channelsToml());
    });

    await t.step("ALLOWED_USERS: only those listed may use the bot", async () => {
      await s.bot.stop();
      await s.startBot({ ALLOWED_USERS: "alice,@Carol" });
      await refused(
        s,
        bob,
        "!help",
        /not on the list of people who may use this bot/,
        /ALLOWED_USERS/,
      );
      await refused(s, bob, `!add_group X = ["${ch.random.id}"]`, /ALLOWED_USERS/);
      assert.match(await carol.ask("!id random"), new RegExp(ch.random.id));
      assert.match(await alice.ask("!get_private_groups"), /Managers/);
      await refused(s, mallory, "!help", /only work for members/);
    });
  } finally {
    await s.stop();
  }
});
