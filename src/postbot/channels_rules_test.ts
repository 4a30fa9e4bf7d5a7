import assert from "node:assert/strict";
import { join } from "node:path";
import type { CachedChannel } from "./channel_cache.ts";
import { channelsRules, resolveChannelEntry, resolveChannelNames } from "./channels_rules.ts";
import { EMPTY_CHANNELS_CONFIG } from "./channels/parse.ts";
import { ChannelsStore, type ChannelsWriteError } from "./channels/channels_file.ts";
import { A, B, C } from "./channels/fixtures_test.ts";

/** The audit channel of these tests, and the team's channels as the cache knows them. */
const AUDIT = C;
const CHANNELS = new Map<string, CachedChannel>([
  [AUDIT, {
    id: AUDIT,
    name: "bot-log",
    displayName: "Bot Log",
    type: "O",
    botIsMember: true,
    archived: false,
  }],
]);
const RULES = channelsRules({ auditChannelId: AUDIT, cache: { byId: (id) => CHANNELS.get(id) } });

/** channels.toml holding `text` in a fresh directory, loaded and guarded like at startup. */
async function guarded(
  text: string,
  fn: (store: ChannelsStore, path: string, violations: string[]) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postbot-rules-" });
  try {
    const path = join(dir, "channels.toml");
    await Deno.writeTextFile(path, text);
    const loaded = await ChannelsStore.load(path);
    if (!loaded.ok) assert.fail(loaded.error.message);
    const violations = loaded.value.guard(RULES).map((p) => p.message);
    await fn(loaded.value, path, violations);
    // Nothing but the file: no temporary file left behind.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["channels.toml"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function refusal(
  r: { ok: true } | { ok: false; error: ChannelsWriteError },
  kind: ChannelsWriteError["kind"],
): string {
  if (r.ok) assert.fail(`expected a ${kind} refusal`);
  assert.equal(r.error.kind, kind, r.error.message);
  assert.match(r.error.message, /Nothing was written/);
  return r.error.message;
}

Deno.test("a hand edit startup would refuse: every write names it and writes nothing", async () => {
  const shapes: [string, RegExp][] = [
    [
      `[groups]\nOffices = ["${A}"]\n\n[private_groups]\nLog = [\n  "${B}",\n  "${AUDIT}",\n]\n`,
      /channels\.toml:7:3: group "Log" in \[private_groups\] lists the audit channel/,
    ],
    [
      `whitelist = ["town-square", "BOT-LOG"]\n[groups]\nOffices = ["${A}"]\n`,
      /channels\.toml:1:29: the whitelist entry "BOT-LOG" names the audit channel/,
    ],
    [
      `whitelist = ["${AUDIT}"]\n[groups]\nOffices = ["${A}"]\n`,
      /channels\.toml:1:14: the whitelist entry "\w+" names the audit channel/,
    ],
    [
      `groups = { Offices = ["${A}"], Log = ["${AUDIT}"] }\n`,
      /channels\.toml:1:61: group "Log" in \[groups\] lists the audit channel/,
    ],
  ];
  for (const [text, where] of shapes) {
    await guarded(text, async (store, path, violations) => {
      // Startup refuses it: the same function, the same words.
      assert.equal(violations.length, 1, violations.join("\n"));
      assert.match(violations[0], where);
      const before = store.config;
      for (
        const attempt of [
          () => store.addGroups("groups", [{ name: "Berlin", channelIds: [B] }]),
          () => store.addGroups("private_groups", [{ name: "Board", channelIds: [A] }]),
          () => store.addAlias("offices", "Offices"),
        ]
      ) {
        const message = refusal(await attempt(), "invalid_file");
        assert.match(message, where);
        assert.match(message, /already has a problem the bot refuses at start/);
        assert.match(message, /BOT_LOG_CHANNEL_ID=\w+\), which must never receive broadcasts/);
        assert.equal(await Deno.readTextFile(path), text, "the file is byte-identical");
        assert.equal(store.config, before, "the refused file is not adopted either");
      }
      // Reloading does not adopt it either.
      const reloaded = await store.reload();
      assert.equal(reloaded.ok, false);
    });
  }
});

Deno.test("a write whose result startup would refuse is not made", async () => {
  const text = `whitelist = ["town-square"]\n[groups]\nOffices = ["${A}"]\n`;
  await guarded(text, async (store, path, violations) => {
    assert.deepEqual(violations, []);
    // The command refuses this itself; the store does not rely on it.
    for (const table of ["groups", "private_groups"] as const) {
      const message = refusal(
        await store.addGroups(table, [{ name: "Sneaky", channelIds: [B, AUDIT] }]),
        "refused_at_start",
      );
      assert.match(message, /the edit would give .*channels\.toml a problem the bot refuses/);
      assert.match(message, new RegExp(`group "Sneaky" in \\[${table}\\] lists the audit`));
      assert.equal(await Deno.readTextFile(path), text);
    }
    assert.equal(store.config.groups.has("Sneaky"), false);
    // A clean edit still goes through, and the result passes the rules.
    const saved = await store.addGroups("groups", [{ name: "Berlin", channelIds: [B] }]);
    assert.equal(saved.ok, true);
    assert.equal((await store.addAlias("berlin-office", "Berlin")).ok, true);
    assert.deepEqual(store.guard(RULES), []);
  });
});

Deno.test("without an audit channel the rules pass everything valid", () => {
  const none = channelsRules({ auditChannelId: "", cache: { byId: () => undefined } });
  const config = {
    whitelist: ["bot-log"],
    groups: new Map([["Log", [AUDIT]]]),
    privateGroups: new Map<string, string[]>(),
    lists: new Map(),
    aliases: new Map<string, string>(),
  };
  assert.deepEqual(none(config, "", "channels.toml"), []);
});

Deno.test("senders and approvers must be active people of the team, not bots", async () => {
  const person = (id: string, username: string, isBot = false) =>
    [id, { id, username, displayName: username, isBot }] as const;
  const team = new Map([person(A, "alice"), person(B, "robot", true)]);
  const rules = channelsRules({
    auditChannelId: "",
    cache: { byId: () => undefined },
    people: () => team,
  });
  const dir = await Deno.makeTempDir({ prefix: "postbot-rules-" });
  try {
    const path = join(dir, "channels.toml");
    await Deno.writeTextFile(
      path,
      `[groups.G]\nchannels = ["${C}"]\nsenders = ["@Alice", "${A}"]\n` +
        `approvers = ["alice", "robot", "ghost"]\n\n[everyone]\nsenders = ["${C}"]\n`,
    );
    const loaded = await ChannelsStore.load(path);
    if (!loaded.ok) assert.fail(loaded.error.message);
    const found = loaded.value.guard(rules).map((p) => p.message);
    assert.equal(found.length, 3, found.join("\n"));
    assert.match(found[0], /:4:\d+: group "G" in \[groups\]: approvers names "robot", who is not/);
    assert.match(found[1], /:4:\d+: .*approvers names "ghost"/);
    assert.match(found[2], /:7:\d+: \[everyone\]: senders names "z{26}"/);
    // Before the team is known, nobody is checked.
    const blind = channelsRules({ auditChannelId: "", cache: { byId: () => undefined } });
    assert.deepEqual(loaded.value.guard(blind), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("group channels by name: resolved in the team, an id first, unknown names refused", () => {
  const channel = (id: string, name: string): CachedChannel => ({
    id,
    name,
    displayName: name,
    type: "O",
    botIsMember: true,
    archived: false,
  });
  // A channel whose name looks like an id: an entry is an id first, then a name.
  const team = new Map([[A, channel(A, "town-square")], [B, channel(B, C)]]);
  const cache = {
    byId: (id: string) => team.get(id),
    find: (name: string) => [...team.values()].filter((c) => c.name === name),
  };
  assert.equal(resolveChannelEntry("town-square", cache), A);
  assert.equal(resolveChannelEntry("~Town-Square", cache), A);
  assert.equal(resolveChannelEntry(A, cache), A);
  assert.equal(resolveChannelEntry(C, cache), B);
  assert.equal(resolveChannelEntry("nowhere", cache), "nowhere");
  const config = {
    ...EMPTY_CHANNELS_CONFIG,
    groups: new Map([["G", ["town-square", "nowhere"]]]),
  };
  assert.deepEqual(resolveChannelNames(config, cache).groups.get("G"), [A, "nowhere"]);
  const text = `[groups]\nG = ["town-square", "nowhere"]\n`;
  const found = channelsRules({ auditChannelId: A, cache })(config, text, "channels.toml");
  assert.equal(found.length, 2);
  assert.match(found[0].message, /:2:\d+: group "G" in \[groups\] lists the audit channel/);
  assert.match(found[1].message, /:2:21: group "G" .* names the channel "nowhere", which is no/);
});
