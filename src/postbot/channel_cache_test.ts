import assert from "node:assert/strict";
import { startEmulator } from "@postbot/mattermost-emulator";
import { seedWorld, type World } from "@postbot/mattermost-emulator/testing";
import { RestTransport, Secret } from "@postbot/framework";
import { ChannelCache } from "./channel_cache.ts";

/** A transport that remembers every path it was asked for, query included. */
class RecordingTransport extends RestTransport {
  readonly paths: string[] = [];
  override getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    this.paths.push(path);
    return super.getJson<T>(path, signal);
  }
  override getJsonObjects<T>(
    path: string,
    signal?: AbortSignal,
    background?: boolean,
  ): AsyncGenerator<T, void, undefined> {
    this.paths.push(path);
    return super.getJsonObjects<T>(path, signal, background);
  }
}

async function withCache(
  fn: (cache: ChannelCache, t: RecordingTransport, w: World) => Promise<void>,
  seed: (w: World) => void = () => {},
): Promise<void> {
  const emu = await startEmulator();
  try {
    const w = seedWorld(emu);
    seed(w);
    const t = new RecordingTransport({ serverUrl: emu.url, token: new Secret(w.bot.token) });
    const cache = new ChannelCache({
      transport: t,
      teamId: w.team.id,
      botUserId: w.bot.user.id,
      ttlMs: 3_600_000,
    });
    try {
      await fn(cache, t, w);
    } finally {
      cache.stop();
    }
  } finally {
    await emu.stop();
  }
}

/** A private channel the bot is a member of ("bot-private"). */
function addBotPrivateChannel(w: World): void {
  const mine = w.emu.store.createChannel({
    team_id: w.team.id,
    name: "bot-private",
    display_name: "Bot Private",
    type: "P",
  });
  w.emu.store.addChannelMember(mine.id, w.bot.user.id);
}

Deno.test("ChannelCache: sweeps public channels 200 per page, plus the bot's private ones", async () => {
  await withCache(async (cache, t, w) => {
    const summary = await cache.refresh();
    const pages = t.paths.filter((p) => p.startsWith(`/teams/${w.team.id}/channels?`));
    assert.deepEqual(
      pages,
      [0, 1, 2].map((n) => `/teams/${w.team.id}/channels?page=${n}&per_page=200`),
    );
    // seedWorld has 2 public channels (town-square, news) and 1 private (secret, bot not in).
    assert.equal(summary.publicChannels, 452);
    assert.equal(summary.privateChannels, 1);
    assert.equal(cache.size, 453);
    assert.equal(cache.byId(w.secret.id), undefined);
    assert.equal(cache.byId(w.news.id)?.botIsMember, false);
    assert.equal(cache.byId(w.town.id)?.botIsMember, true);
    assert.equal(cache.find("bot-private")[0]?.type, "P");
    assert.ok(cache.refreshedAt > 0);
    assert.equal(cache.fresh, true);
  }, (w) => {
    const s = w.emu.store;
    for (let i = 0; i < 450; i++) {
      s.createChannel({
        team_id: w.team.id,
        name: `bulk-${i}`,
        display_name: `Bulk ${i}`,
        type: "O",
      });
    }
    addBotPrivateChannel(w);
  });
});

Deno.test("ChannelCache.find: by name or display name, ignoring case and a leading ~", async () => {
  await withCache(async (cache, _t, w) => {
    await cache.refresh();
    assert.deepEqual(cache.find("town-square").map((c) => c.id), [w.town.id]);
    assert.deepEqual(cache.find("~TOWN-SQUARE").map((c) => c.id), [w.town.id]);
    assert.deepEqual(cache.find("  town square ").map((c) => c.id), [w.town.id]);
    const twins = cache.find("news");
    assert.deepEqual(twins.map((c) => c.id), [w.news.id]);
    const byDisplay = cache.find("Twin");
    assert.equal(byDisplay.length, 2);
    assert.deepEqual(cache.find("nope"), []);
  }, (w) => {
    for (const name of ["twin-a", "twin-b"]) {
      w.emu.store.createChannel({ team_id: w.team.id, name, display_name: "Twin", type: "O" });
    }
  });
});

Deno.test("ChannelCache: a channel created after the sweep is found live, then cached", async () => {
  await withCache(async (cache, t, w) => {
    await cache.refresh();
    const late = w.emu.store.createChannel({
      team_id: w.team.id,
      name: "late",
      display_name: "Late",
      type: "O",
    });
    assert.deepEqual(cache.find("late"), []);
    const byName = await cache.lookupByName("Late");
    assert.equal(byName?.id, late.id);
    assert.equal(byName?.botIsMember, false);
    const again = await cache.lookup(late.id);
    assert.deepEqual(again, { channel: byName, live: false });
    const before = t.paths.length;
    assert.equal(await cache.lookupByName("no such channel!"), undefined);
    assert.equal(t.paths.length, before, "an impossible name is not sent to the server");
    assert.equal(await cache.lookupByName("missing"), undefined);
    assert.equal(await cache.lookup("abcdefghijklmnopqrstuvwxyz"), undefined);
    assert.equal(await cache.lookup(w.secret.id), undefined);
  });
});

Deno.test("ChannelCache.lookup: channels of other teams and DMs are not ours", async () => {
  await withCache(async (cache, _t, w) => {
    const other = w.emu.store.createTeam({ name: "other" });
    w.emu.store.addTeamMember(other.id, w.bot.user.id);
    const foreign = w.emu.store.createChannel({ team_id: other.id, name: "x", type: "O" });
    assert.equal(await cache.lookup(foreign.id), undefined);
    assert.equal(await cache.lookup(w.dm.id), undefined);
  });
});

Deno.test("ChannelCache.refresh: concurrent calls share one sweep", async () => {
  await withCache(async (cache, t) => {
    const [a, b] = await Promise.all([cache.refresh(), cache.refresh()]);
    assert.equal(a, b);
    assert.equal(t.paths.filter((p) => p.includes("/users/")).length, 1);
  });
});

Deno.test("ChannelCache.refresh: the bot's DMs in its own channel list are read past, not kept", async () => {
  await withCache(async (cache, t, w) => {
    const summary = await cache.refresh();
    assert.deepEqual(t.paths.filter((p) => p.startsWith("/users/")), [
      `/users/${w.bot.user.id}/teams/${w.team.id}/channels`,
    ]);
    assert.deepEqual(summary, { ...summary, publicChannels: 2, privateChannels: 1 });
    assert.equal(cache.size, 3);
    assert.equal(cache.find("bot-private")[0]?.botIsMember, true);
    assert.equal(cache.byId(w.town.id)?.botIsMember, true);
    assert.equal(cache.byId(w.news.id)?.botIsMember, false);
    assert.equal(cache.byId(w.dm.id), undefined);
  }, (w) => {
    const s = w.emu.store;
    for (let i = 0; i < 300; i++) {
      const { user } = s.createUser({ username: `person-${i}` });
      s.directChannel(w.bot.user.id, user.id);
    }
    addBotPrivateChannel(w);
  });
});
