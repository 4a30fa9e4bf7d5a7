/**
 * Hostile input, generated: random, oversized, Unicode, control-character and TOML-injection
 * text sent to every command and every wizard step. The bot never crashes, answers every
 * message with a clear text (no stack trace, no "undefined", no "[object Object]", no
 * "something went wrong"), channels.toml stays valid — byte for byte unchanged whenever an
 * edit was refused, and never changed outside the table the command edits — and the
 * database stays sound, with no broadcast sent unless the sender said yes.
 *
 * The bot runs in this process against the emulator; the messages go through the emulator's
 * REST API as real users' posts, so they arrive as WebSocket events like any DM.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { Post } from "@mattermost/types/posts";
import type { RunningPostbot } from "../src/postbot/app.ts";
import {
  type ChannelsConfig,
  parseChannelsToml,
  sameChannelsConfig,
} from "../src/postbot/channels/parse.ts";
import { type Person, type Scenario, startScenario } from "@postbot/harness";
import { postAs } from "@postbot/harness/bot";
import { startInProcess } from "./support/in_process.ts";
import { integrity } from "./support/broadcasts.ts";
import { storeCount } from "./support/store.ts";

const MAX_RUNES = 16_383;

/** Fragments that have broken parsers, formatters and chat clients before. */
const NASTY = [
  '"] \n[groups]\nevil = ["abcdefghijklmnopqrstuvwxyz"]',
  '"x" = ["abcdefghijklmnopqrstuvwxyz"]\n[aliases]\nall = "evil"',
  "'''",
  '"""',
  "\\",
  '\\"',
  "\\u0000",
  "= [",
  "[[groups]]",
  "#",
  "\n",
  "\r\n",
  "\u0007",
  "\u001b[2J",
  "\u202e",
  "\u200b",
  "\ufeff",
  "\ud800",
  "\udfff",
  "𝕏",
  "👩‍👩‍👧",
  "e\u0301",
  "~town-square",
  "@channel",
  "<script>alert(1)</script>",
  "${x}",
  "%s%n",
  "`",
  "```",
  "**",
  "\t",
  ",",
  ", , ,",
  "cancel",
  "no",
  "yes!",
  "All offices",
  "all",
  "Engineering",
  "Managers",
  "town-square",
  "secret",
  "no-bot",
  // Names the server refuses to look up (400), unlike a name that is merely free (404).
  "_town-square",
  "-x",
];

/**
 * No U+0000: Mattermost cannot store it (PostgreSQL refuses it; the post fails with 500), so
 * no message the bot receives can hold one.
 */
const noNul = (text: string) => !text.includes("\u0000");

const piece = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 10 }),
  fc.constantFrom(...NASTY),
).filter(noNul);

/** The first `max` runes. */
function clip(text: string, max = MAX_RUNES): string {
  const runes = Array.from(text);
  return runes.length > max ? runes.slice(0, max).join("") : text;
}

/** Words that would make a reply check ambiguous when echoed back. */
const AMBIGUOUS = /undefined|\[object|NaN|went wrong/i;

/** Hostile text: mostly short mixtures, sometimes as long as a post may be. */
const hostile = fc.oneof(
  { weight: 5, arbitrary: fc.array(piece, { maxLength: 8 }).map((p) => p.join("")) },
  {
    weight: 1,
    arbitrary: fc.tuple(piece, fc.integer({ min: 200, max: 4_000 }))
      .map(([p, n]) => clip((p === "" ? "x" : p).repeat(n))),
  },
).filter((t) => !AMBIGUOUS.test(t));

/** A message the wizard must answer (Mattermost refuses blank posts anyway). */
const message = hostile.filter((t) => t.trim() !== "");

/** Answers that would send a broadcast; the properties never say yes. */
function isYes(text: string): boolean {
  return ["yes", "y"].includes(text.trim().toLowerCase().replace(/[.!]+$/, ""));
}

class Harness {
  readonly s: Scenario;
  readonly bot: RunningPostbot;
  readonly #toml: string;

  constructor(s: Scenario, bot: RunningPostbot) {
    this.s = s;
    this.bot = bot;
    this.#toml = `${s.dir}/channels.toml`;
  }

  dmChannel(person: Person): string {
    return this.s.dmChannel(person).id;
  }

  botPosts(person: Person): Promise<Post[]> {
    return this.s.botPostsIn(this.dmChannel(person));
  }

  /** The bot's live posts in every channel of the world (what an !undo would delete). */
  async liveChannelPosts(): Promise<number> {
    let n = 0;
    for (const c of Object.values(this.s.world.channels)) {
      n += (await this.s.botPostsIn(c.id)).length;
    }
    return n;
  }

  /** Posts `text` as `person` and returns the bot's answer (its first post after it). */
  async send(person: Person, text: string): Promise<string> {
    const before = (await this.botPosts(person)).length;
    await postAs(this.s.url, person.token, this.dmChannel(person), text);
    const reply = await this.s.waitFor(async () => (await this.botPosts(person))[before], {
      timeoutMs: 20_000,
      message: `no answer to ${JSON.stringify(clip(text, 200))}`,
    });
    assertClear(reply.message, text);
    return reply.message;
  }

  tomlText(): string {
    return Deno.readTextFileSync(this.#toml);
  }

  /** The file parses, and the bot's in-memory configuration is what the file says. */
  tomlConfig(): ChannelsConfig {
    const parsed = parseChannelsToml(this.tomlText(), "channels.toml");
    assert.ok(parsed.ok, `channels.toml became invalid: ${JSON.stringify(parsed)}`);
    assert.ok(
      sameChannelsConfig(parsed.value, this.bot.channels.config),
      "the bot's configuration differs from channels.toml",
    );
    return parsed.value;
  }

  /**
   * The store reads whole (`PRAGMA integrity_check` on SQLite); returns how many broadcasts
   * were recorded. Read through a connection of its own to the bot's database, as an operator
   * would.
   */
  async checkDatabase(): Promise<number> {
    assert.equal(await integrity(this.s), "ok");
    return await storeCount(this.s, "SELECT COUNT(*) AS n FROM broadcasts");
  }

  /** Ends any wizard step the run left open, so runs stay independent. */
  reset(): void {
    for (const p of [this.s.world.alice, this.s.world.bob]) this.bot.sessions.delete(p.user.id);
  }
}

/** The reply is a message written for a person, not a crash. */
function assertClear(reply: string, input: string): void {
  const shown = clip(input, 80);
  assert.ok(reply.trim() !== "", `empty reply to ${JSON.stringify(shown)}`);
  assert.doesNotMatch(
    reply,
    /undefined|\[object Object\]|NaN/,
    `reply to ${JSON.stringify(shown)}`,
  );
  assert.doesNotMatch(reply, /^\s*at .+:\d+:\d+\)?$/m, "a stack trace");
  assert.doesNotMatch(reply, /went wrong on my side/, `crashed on ${JSON.stringify(shown)}`);
}

async function withHarness(body: (h: Harness) => Promise<void>): Promise<void> {
  const s = await startScenario({
    startBot: false,
    env: { BROADCAST_ATTRIBUTION: "footer", CHANNEL_CACHE_TTL_SECONDS: "3600" },
  });
  let bot: RunningPostbot | undefined;
  try {
    bot = await startInProcess(s);
    await body(new Harness(s, bot));
  } finally {
    await bot?.stop();
    await s.stop();
  }
}

Deno.test("property: hostile input to the bot never crashes it nor corrupts its files", async (t) => {
  await withHarness(async (h) => {
    const { alice, bob } = h.s.world;
    const help = await h.send(alice, "!help");
    const commands = [...help.matchAll(/^- `!([a-z_]+)/gm)].map((m) => m[1]);
    assert.ok(commands.includes("add_group") && commands.includes("history"), help);
    const channelIds = Object.values(h.s.world.channels).map((c) => c.id);
    // One delivered broadcast, so that !undo, !retry and !history have something to act on.
    await h.send(alice, "Welcome to the property test");
    await h.send(alice, "all");
    await h.send(alice, "yes");
    await h.s.waitFor(async () =>
      (await h.botPosts(alice)).some((p) => /Delivered to/.test(p.message))
    );

    await t.step("every command, any arguments, from an admin and a user", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(alice, bob),
          fc.constantFrom(...commands),
          fc.oneof(hostile, fc.constantFrom(...channelIds)),
          async (person, command, args) => {
            const textBefore = h.tomlText();
            const before = h.tomlConfig();
            const broadcasts = await h.checkDatabase();
            const reply = await h.send(person, clip(`!${command} ${args}`));
            const after = h.tomlConfig();
            if (!/^Saved/.test(reply)) {
              assert.equal(h.tomlText(), textBefore, `channels.toml changed: ${reply}`);
            } else {
              assert.equal(person, alice, "only an admin can change channels.toml");
              assert.deepEqual(after.whitelist, before.whitelist);
            }
            assert.equal(await h.checkDatabase(), broadcasts);
            h.reset();
          },
        ),
        { numRuns: 60 },
      );
    });

    await t.step("group names with TOML syntax are stored as names, or refused", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("add_group", "add_private_group"),
          fc.oneof(piece, fc.array(piece, { maxLength: 4 }).map((p) => p.join(""))),
          fc.constantFrom(...channelIds),
          async (command, name, id) => {
            const textBefore = h.tomlText();
            const before = h.tomlConfig();
            const line = `${JSON.stringify(name)} = ["${id}"]`;
            const reply = await h.send(alice, `!${command} ${line}`);
            const after = h.tomlConfig();
            if (/^Saved/.test(reply)) {
              const table = command === "add_group" ? after.groups : after.privateGroups;
              assert.deepEqual(table.get(name), [id], `group ${JSON.stringify(name)} not stored`);
              assert.deepEqual(after.whitelist, before.whitelist);
              assert.deepEqual([...after.aliases], [...before.aliases]);
            } else {
              assert.equal(h.tomlText(), textBefore, `channels.toml changed: ${reply}`);
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    await t.step("aliases with any text are stored as given, or refused", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(piece, fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter(noNul)),
          fc.constantFrom('"All offices"', "Engineering", "town-square", "nowhere", '"a"b"'),
          async (alias, target) => {
            const textBefore = h.tomlText();
            const before = h.tomlConfig();
            const reply = await h.send(alice, `!add_alias ${alias} ${target}`);
            const after = h.tomlConfig();
            if (/^Saved/.test(reply)) {
              assert.deepEqual([...after.groups], [...before.groups]);
              assert.deepEqual(after.whitelist, before.whitelist);
            } else {
              assert.equal(h.tomlText(), textBefore, `channels.toml changed: ${reply}`);
            }
          },
        ),
        { numRuns: 30 },
      );
    });

    await t.step("any first message starts a broadcast or says why not", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(alice, bob), message, async (person, text) => {
          const textBefore = h.tomlText();
          const broadcasts = await h.checkDatabase();
          await h.send(person, text);
          assert.equal(h.tomlText(), textBefore);
          assert.equal(await h.checkDatabase(), broadcasts);
          h.reset();
        }),
        { numRuns: 40 },
      );
    });

    await t.step("any answer to 'where to?' gives a preview or says what is wrong", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(alice, bob), message, async (person, answer) => {
          const broadcasts = await h.checkDatabase();
          assert.match(await h.send(person, "Draft for the targets step"), /Where should I send/);
          const reply = await h.send(person, answer);
          const state = h.bot.sessions.get(person.user.id);
          if (/Ready to send/.test(reply)) assert.equal(state?.kind, "confirming");
          else if (/^!|^(help|man|--help|-h)$/i.test(answer.trim()) || /^Cancelled/.test(reply)) {
            // A command, or `cancel`: answered as such.
          } else assert.equal(state?.kind, "choosing_targets", reply);
          assert.equal(await h.checkDatabase(), broadcasts);
          h.reset();
        }),
        { numRuns: 40 },
      );
    });

    await t.step("any answer but yes to the preview sends nothing", async () => {
      await fc.assert(
        fc.asyncProperty(
          message.filter((t) => !isYes(t)),
          async (answer) => {
            const broadcasts = await h.checkDatabase();
            await h.send(alice, "Draft for the confirmation step");
            assert.match(await h.send(alice, "all"), /Ready to send to 3 channels/);
            await h.send(alice, answer);
            assert.equal(await h.checkDatabase(), broadcasts, "nothing was sent");
            h.reset();
          },
        ),
        { numRuns: 30 },
      );
    });

    await t.step("any answer but yes to !undo deletes nothing", async () => {
      await fc.assert(
        fc.asyncProperty(
          message.filter((t) => !isYes(t)),
          async (answer) => {
            const live = await h.liveChannelPosts();
            assert.match(await h.send(alice, "!undo"), /yes|delete/i);
            await h.send(alice, answer);
            assert.equal(await h.liveChannelPosts(), live);
            h.reset();
          },
        ),
        { numRuns: 25 },
      );
    });

    // Every reply of the whole session, multi-part ones included, reads as a message.
    for (const person of [alice, bob]) {
      for (const post of await h.botPosts(person)) assertClear(post.message, "");
    }
    await h.checkDatabase();
    h.tomlConfig();
  });
});
