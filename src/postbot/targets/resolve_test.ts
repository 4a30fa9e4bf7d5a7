import assert from "node:assert/strict";
import { channelsOf } from "../broadcast/model.ts";
import type { Channel } from "@mattermost/types/channels";
import { RestTransport, Secret } from "@postbot/framework";
import { type Emulator, startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld } from "@postbot/mattermost-emulator/testing";
import { ChannelCache } from "../channel_cache.ts";
import type { ChannelsConfig } from "../channels/parse.ts";
import { MAX_ANSWER_LENGTH, MAX_TOKENS, tokenize } from "./choose.ts";
import type { Resolution } from "./resolution.ts";
import { resolveTargets } from "./resolve.ts";

/** A team with channels of every kind the resolution rules distinguish. */
interface World {
  emu: Emulator;
  cache: ChannelCache;
  /** Channels by name. */
  ch: Record<string, Channel>;
  /** Channels the sender (alice) is a member of. */
  aliceIn: Set<string>;
}

async function withWorld(fn: (w: World) => Promise<void>): Promise<void> {
  const emu = await startEmulator();
  try {
    const s = emu.store;
    // The shared world brings town-square (bot and alice), news (alice) and secret (private,
    // alice); the channels below add every other kind the rules tell apart.
    const { bot, alice, team, town, news, secret } = seedWorld(emu);
    const ch: Record<string, Channel> = { "town-square": town, news, secret };
    const aliceIn = new Set<string>([town.id, news.id, secret.id]);
    const make = (
      name: string,
      display: string,
      type: "O" | "P",
      members: { bot?: boolean; alice?: boolean },
    ) => {
      const c = s.createChannel({ team_id: team.id, name, display_name: display, type });
      if (members.bot) s.addChannelMember(c.id, bot.user.id);
      if (members.alice) {
        s.addChannelMember(c.id, alice.user.id);
        aliceIn.add(c.id);
      }
      ch[name] = c;
    };
    make("announcements", "Announcements", "O", { bot: true });
    make("office-berlin", "Office Berlin", "O", { bot: true });
    make("office-paris", "Office Paris", "O", { bot: true });
    make("office-rome", "Office Rome", "O", { bot: true });
    make("random", "Random", "O", { bot: true, alice: true });
    make("bot-only", "Bot Only", "O", { bot: true });
    make("no-bot", "No Bot Here", "O", { alice: true });
    make("old-news", "Old News", "O", { bot: true });
    make("managers", "Managers", "P", { bot: true, alice: true });
    s.archiveChannel(ch["old-news"].id);
    const transport = new RestTransport({
      serverUrl: emu.url,
      token: new Secret(bot.token),
      backoff: { initialMs: 5, maxMs: 20 },
    });
    const cache = new ChannelCache({
      transport,
      teamId: team.id,
      botUserId: bot.user.id,
      ttlMs: 60_000,
    });
    await cache.refresh();
    await fn({ emu, cache, ch, aliceIn });
  } finally {
    await emu.stop();
  }
}

/** The test world's channels.toml, as the parsed model. */
function config(w: World, extra: Partial<ChannelsConfig> = {}): ChannelsConfig {
  return {
    whitelist: ["town-square", "announcements"],
    groups: new Map([
      ["All offices", [w.ch["office-berlin"].id, w.ch["office-paris"].id, w.ch["office-rome"].id]],
      ["Outreach", [w.ch["no-bot"].id, w.ch["office-berlin"].id]],
    ]),
    privateGroups: new Map([["Managers", [w.ch.managers.id]]]),
    lists: new Map(),
    aliases: new Map([["all", "All offices"], ["news", "announcements"]]),
    ...extra,
  };
}

async function resolve(w: World, answer: string, cfg: ChannelsConfig = config(w)) {
  const asked: string[] = [];
  const result = await resolveTargets(answer, {
    config: cfg,
    cache: w.cache,
    senderIsMember: (id) => {
      asked.push(id);
      return Promise.resolve(w.aliceIn.has(id));
    },
    viewer: {
      userId: "alice",
      admin: false,
      canSee: (c) =>
        Promise.resolve((c.type ?? w.cache.byId(c.id)?.type) === "O" || w.aliceIn.has(c.id)),
    },
    auditChannelId: "",
  });
  return { result, asked };
}

async function resolved(w: World, answer: string, cfg?: ChannelsConfig): Promise<Resolution> {
  const { result } = await resolve(w, answer, cfg);
  if (!result.ok) {
    assert.fail(
      `expected "${answer}" to resolve, got:\n${result.error.map((p) => p.message).join("\n")}`,
    );
  }
  return result.value;
}

async function refused(w: World, answer: string, cfg?: ChannelsConfig): Promise<string[]> {
  const { result } = await resolve(w, answer, cfg);
  if (result.ok) {
    assert.fail(
      `expected "${answer}" to be refused, got ${
        channelsOf(result.value.targets).map((t) => t.name)
      }`,
    );
  }
  return result.error.map((p) => p.message);
}

const names = (r: Resolution) => channelsOf(r.targets).map((t) => t.name);

Deno.test("tokenize splits on commas, trims and drops empty tokens", () => {
  assert.deepEqual(tokenize(" a , b,,  c d ,"), ["a", "b", "c d"]);
  assert.deepEqual(tokenize(" , ,"), []);
});

Deno.test("resolveTargets", async (t) => {
  await withWorld(async (w) => {
    await t.step("an alias expands to its group, in the group's order", async () => {
      const r = await resolved(w, "all");
      assert.deepEqual(names(r), ["office-berlin", "office-paris", "office-rome"]);
      assert.deepEqual(r.targets[0].via, ["all"]);
      assert.deepEqual(r.targets[0].displayName, "Office Berlin");
    });

    await t.step("an alias can name a whitelisted channel", async () => {
      assert.deepEqual(names(await resolved(w, "NEWS")), ["announcements"]);
    });

    await t.step("tokens are trimmed and case-insensitive", async () => {
      const r = await resolved(w, "  ALL OFFICES ,Town Square,  ~Announcements ");
      assert.deepEqual(names(r), [
        "office-berlin",
        "office-paris",
        "office-rome",
        "town-square",
        "announcements",
      ]);
    });

    await t.step("an alias wins over a group of the same name", async () => {
      const cfg = config(w, {
        groups: new Map([["rome", [w.ch["office-rome"].id]], ["Paris", [w.ch["office-paris"].id]]]),
        aliases: new Map([["rome", "Paris"]]),
      });
      assert.deepEqual(names(await resolved(w, "Rome", cfg)), ["office-paris"]);
    });

    await t.step("a group wins over a channel of the same name", async () => {
      const cfg = config(w, {
        groups: new Map([["random", [w.ch["office-rome"].id]]]),
        aliases: new Map(),
      });
      assert.deepEqual(names(await resolved(w, "random", cfg)), ["office-rome"]);
    });

    await t.step("a raw channel id is case-insensitive too", async () => {
      const cfg = config(w, { whitelist: [w.ch["bot-only"].id] });
      const r = await resolved(w, w.ch["bot-only"].id.toUpperCase(), cfg);
      assert.deepEqual(names(r), ["bot-only"]);
    });

    await t.step("private groups are usable by name", async () => {
      const r = await resolved(w, "managers");
      assert.deepEqual(names(r), ["managers"]);
      assert.equal(channelsOf(r.targets)[0].type, "P");
    });

    await t.step("a channel reached through several tokens is sent to once", async () => {
      const r = await resolved(
        w,
        `all, Office Berlin, ${w.ch["office-berlin"].id}, All offices, outreach`,
        config(w, { whitelist: ["town-square", "office-berlin"] }),
      );
      const berlin = channelsOf(r.targets).filter((t) => t.name === "office-berlin");
      assert.equal(berlin.length, 1);
      assert.deepEqual(berlin[0].via, [
        "all",
        "Office Berlin",
        w.ch["office-berlin"].id,
        "All offices",
        "outreach",
      ]);
      assert.equal(new Set(channelsOf(r.targets).map((t) => t.channelId)).size, r.targets.length);
    });

    await t.step("a channel that is not whitelisted is refused by name", async () => {
      const problems = await refused(w, "town-square, random");
      assert.equal(problems.length, 1);
      assert.match(problems[0], /~random is not on the whitelist/);
    });

    await t.step("a non-whitelisted channel found by display name is refused by name", async () => {
      const problems = await refused(w, "Bot Only");
      assert.match(problems[0], /~bot-only is not on the whitelist/);
    });

    await t.step("unknown names come back with suggestions", async () => {
      const problems = await refused(w, "anouncements, Al offices, zzzqqq");
      assert.equal(problems.length, 3);
      assert.match(problems[0], /`anouncements`.*Did you mean `announcements`/);
      assert.match(problems[1], /`Al offices`.*Did you mean `All offices`/);
      assert.match(problems[2], /I don't know `zzzqqq`\.$/);
    });

    await t.step("suggestions never reveal private groups or unlisted channels", async () => {
      const problems = await refused(w, "managrs, secrt, bot-onl");
      for (const p of problems) {
        assert.doesNotMatch(p, /`managers`|`Managers`|`secret`|`bot-only`/, p);
      }
    });

    await t.step("a raw id of a whitelisted channel is accepted", async () => {
      const r = await resolved(w, w.ch.announcements.id);
      assert.deepEqual(names(r), ["announcements"]);
    });

    await t.step("a raw id of a grouped channel is accepted", async () => {
      const { result, asked } = await resolve(w, w.ch["office-rome"].id);
      assert.ok(result.ok);
      assert.deepEqual(names(result.value), ["office-rome"]);
      assert.deepEqual(asked, [], "no membership check needed for a grouped channel");
    });

    await t.step("a raw id of a channel the sender is in is accepted", async () => {
      const r = await resolved(w, w.ch.random.id);
      assert.deepEqual(names(r), ["random"]);
    });

    await t.step("a raw id is refused when the sender is not a member", async () => {
      const { result, asked } = await resolve(w, w.ch["bot-only"].id);
      assert.equal(result.ok, false);
      assert.match(result.ok ? "" : result.error[0].message, /You are not a member of ~bot-only/);
      assert.deepEqual(asked, [w.ch["bot-only"].id]);
    });

    await t.step("a raw id is refused when the bot cannot post there", async () => {
      const problems = await refused(w, w.ch["no-bot"].id);
      assert.match(problems[0], /I am not a member of ~no-bot/);
    });

    await t.step("a raw id of an archived channel is refused", async () => {
      const problems = await refused(w, w.ch["old-news"].id);
      assert.match(problems[0], /~old-news .* is archived/);
    });

    await t.step("a raw id of a private channel the bot cannot see is refused", async () => {
      const problems = await refused(w, w.ch.secret.id);
      assert.match(problems[0], /is not a channel I can see/);
      assert.doesNotMatch(problems[0], /Secret|~secret/);
    });

    await t.step("a group with a channel the bot is not in keeps it, with a warning", async () => {
      const r = await resolved(w, "outreach");
      assert.deepEqual(names(r), ["no-bot", "office-berlin"]);
      assert.equal(channelsOf(r.targets)[0].botIsMember, false);
      assert.ok(r.warnings.some((x) => /not a member of ~no-bot/.test(x)), r.warnings.join("\n"));
    });

    await t.step("archived channels in a group are skipped with a warning", async () => {
      const cfg = config(w, {
        groups: new Map([["Mixed", [w.ch["old-news"].id, w.ch["office-rome"].id]]]),
      });
      const r = await resolved(w, "mixed", cfg);
      assert.deepEqual(names(r), ["office-rome"]);
      assert.ok(r.warnings.some((x) => /~old-news .*archived/.test(x)), r.warnings.join("\n"));
    });

    await t.step("a group of only unusable channels is refused", async () => {
      const cfg = config(w, { groups: new Map([["Gone", [w.ch["old-news"].id]]]) });
      const problems = await refused(w, "gone", cfg);
      assert.match(problems[0], /None of those names leads to a channel/);
    });

    await t.step("an alias whose target vanished says so", async () => {
      const cfg = config(w, { aliases: new Map([["old", "Nowhere"]]) });
      const problems = await refused(w, "old", cfg);
      assert.match(problems[0], /alias for "Nowhere".*channels\.toml/);
    });

    await t.step("empty, oversized and too many tokens are refused with the limit", async () => {
      assert.match((await refused(w, " , , "))[0], /at least one/);
      const long = "a".repeat(MAX_ANSWER_LENGTH + 1);
      assert.match((await refused(w, long))[0], new RegExp(`up to ${MAX_ANSWER_LENGTH}`));
      const many = Array.from({ length: MAX_TOKENS + 1 }, (_, i) => `x${i}`).join(",");
      assert.match((await refused(w, many))[0], new RegExp(`up to ${MAX_TOKENS}`));
    });

    await t.step("control characters and SQL-looking text are just unknown names", async () => {
      const problems = await refused(w, "'; DROP TABLE broadcasts; --, \u0000\u0007bell\u001b[31m");
      assert.equal(problems.length, 2);
      assert.match(problems[0], /I don't know `'; DROP TABLE broadcasts; --`/);
      for (const p of problems) assert.doesNotMatch(p, /\p{Cc}/u);
    });
  });
});

Deno.test("resolveTargets: cache misses and archived whitelisted channels", async (t) => {
  await withWorld(async (w) => {
    const s = w.emu.store;
    const teamId = w.ch["town-square"].team_id;
    const botId = s.userByName("postbot")!.id;

    await t.step(
      "a whitelisted channel created after the sweep works, with a refresh hint",
      async () => {
        const fresh = s.createChannel({ team_id: teamId, name: "launch", type: "O" });
        s.addChannelMember(fresh.id, botId);
        const cfg = config(w, { whitelist: ["town-square", "launch"] });
        const r = await resolved(w, "launch", cfg);
        assert.deepEqual(names(r), ["launch"]);
        assert.match(r.warnings.join("\n"), /newer than my channel list; send `!refresh_channels`/);
      },
    );

    await t.step("a group channel created after the sweep also gets the hint", async () => {
      const late = s.createChannel({ team_id: teamId, name: "late-office", type: "O" });
      s.addChannelMember(late.id, botId);
      const cfg = config(w, { groups: new Map([["Late", [late.id]]]) });
      const r = await resolved(w, "late", cfg);
      assert.deepEqual(names(r), ["late-office"]);
      assert.match(r.warnings.join("\n"), /!refresh_channels/);
    });

    await t.step("cached channels need no hint", async () => {
      const r = await resolved(w, "town-square");
      assert.doesNotMatch(r.warnings.join("\n"), /!refresh_channels/);
    });

    await t.step("an archived whitelisted channel is refused by name", async () => {
      const cfg = config(w, { whitelist: ["town-square", "old-news"] });
      const problems = await refused(w, "old-news", cfg);
      assert.match(problems.join("\n"), /~old-news is archived/);
    });
  });
});
