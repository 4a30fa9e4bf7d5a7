import assert from "node:assert/strict";
import { join } from "node:path";
import { ChannelsStore } from "./channels/channels_file.ts";
import { A, B } from "./channels/fixtures_test.ts";
import { ChannelsSharing, decideChannelsSync, SHARED_CHANNELS_NAME } from "./channels_sync.ts";
import { testOnBothEngines } from "./database/testing.ts";
import type { Database } from "./database/port.ts";
import { type FenceSource, NEVER, SOLE_INSTANCE } from "./database/fencing.ts";
import { SharedFiles } from "./storage/shared_files.ts";

const LOCAL = `# ours\n[groups]\nEng = ["${A}"]\n`;
const STORED = `# theirs\n[groups]\nEng = ["${A}"]\nOps = ["${B}"]\n`;

function stored(content: string, writtenAt: number) {
  return { name: SHARED_CHANNELS_NAME, content, writtenAt, writtenBy: "other" };
}

Deno.test("newest wins: the decision for each case", () => {
  const local = { text: LOCAL, missing: false, modifiedAt: 1000 };
  const missing = { text: "", missing: true, modifiedAt: undefined };
  assert.deepEqual(decideChannelsSync(local, undefined), {
    kind: "store_local",
    why: "none_stored",
  });
  assert.deepEqual(decideChannelsSync(missing, undefined), {
    kind: "nothing",
    why: "nothing_to_store",
  });
  assert.deepEqual(decideChannelsSync(local, stored(LOCAL, 5000)), {
    kind: "nothing",
    why: "same_text",
  });
  assert.equal(decideChannelsSync(local, stored(STORED, 1001)).kind, "take_stored");
  assert.equal(decideChannelsSync(missing, stored(STORED, 1)).kind, "take_stored");
  assert.deepEqual(decideChannelsSync(local, stored(STORED, 1000)), {
    kind: "store_local",
    why: "local_newer",
  });
  assert.deepEqual(decideChannelsSync(local, stored(STORED, 999)), {
    kind: "store_local",
    why: "local_newer",
  });
});

/** channels.toml holding `text` in a temporary directory, loaded, and its sharing. */
async function withSharing(
  db: Database,
  text: string | undefined,
  fn: (s: { path: string; store: ChannelsStore; sharing: ChannelsSharing }) => Promise<void>,
  fence: FenceSource = SOLE_INSTANCE,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postbot-sync-" });
  try {
    const path = join(dir, "channels.toml");
    if (text !== undefined) await Deno.writeTextFile(path, text);
    const loaded = await ChannelsStore.load(path);
    if (!loaded.ok) assert.fail(loaded.error.message);
    const sharing = new ChannelsSharing(loaded.value, new SharedFiles(db, fence), "me");
    sharing.attach();
    await fn({ path, store: loaded.value, sharing });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function mtimeOf(path: string): Promise<number> {
  return (await Deno.stat(path)).mtime!.getTime();
}

testOnBothEngines("becoming active with no stored copy stores the local file", async (db) => {
  await withSharing(db, LOCAL, async ({ sharing }) => {
    assert.deepEqual(await sharing.onActive(), { kind: "store_local", why: "none_stored" });
    const copy = await new SharedFiles(db, SOLE_INSTANCE).read(SHARED_CHANNELS_NAME);
    assert.equal(copy?.content, LOCAL);
    assert.equal(copy?.writtenBy, "me");
    assert.deepEqual(await sharing.onActive(), { kind: "nothing", why: "same_text" });
  });
});

testOnBothEngines("a newer stored copy replaces the local file and is used", async (db) => {
  await withSharing(db, LOCAL, async ({ path, store, sharing }) => {
    const files = new SharedFiles(db, SOLE_INSTANCE);
    await files.write(stored(STORED, (await mtimeOf(path)) + 60_000));
    assert.equal((await sharing.onActive()).kind, "take_stored");
    assert.equal(await Deno.readTextFile(path), STORED, "the whole text, comments kept");
    assert.deepEqual([...store.config.groups.keys()], ["Eng", "Ops"]);
    assert.equal((await files.read(SHARED_CHANNELS_NAME))?.writtenBy, "other");
  });
});

testOnBothEngines("a local file edited since the stored copy is stored", async (db) => {
  await withSharing(db, LOCAL, async ({ path, sharing }) => {
    const files = new SharedFiles(db, SOLE_INSTANCE);
    await files.write(stored(STORED, (await mtimeOf(path)) - 60_000));
    assert.deepEqual(await sharing.onActive(), { kind: "store_local", why: "local_newer" });
    assert.equal(await Deno.readTextFile(path), LOCAL);
    assert.equal((await files.read(SHARED_CHANNELS_NAME))?.content, LOCAL);
  });
});

testOnBothEngines("a stored copy startup would refuse leaves the local file", async (db) => {
  await withSharing(db, LOCAL, async ({ path, store, sharing }) => {
    await new SharedFiles(db, SOLE_INSTANCE).write(stored("[groups\n", Date.now() + 60_000));
    assert.equal((await sharing.onActive()).kind, "failed");
    assert.equal(await Deno.readTextFile(path), LOCAL);
    assert.deepEqual([...store.config.groups.keys()], ["Eng"]);
  });
});

testOnBothEngines("a command's write is stored, or answered with a warning", async (db) => {
  await withSharing(db, LOCAL, async ({ path, store }) => {
    const saved = await store.addGroups("groups", [{ name: "Ops", channelIds: [B] }]);
    assert.equal(saved.ok && saved.warning, undefined);
    const copy = await new SharedFiles(db, SOLE_INSTANCE).read(SHARED_CHANNELS_NAME);
    assert.equal(copy?.content, await Deno.readTextFile(path));
  });
  await withSharing(db, LOCAL, async ({ store }) => {
    const saved = await store.addGroups("groups", [{ name: "Late", channelIds: [B] }]);
    assert.equal(saved.ok, true, "the file is written all the same");
    assert.match(saved.warning ?? "", /other instances will not see it until/);
    assert.match(saved.warning ?? "", /no longer the active one/);
    const copy = await new SharedFiles(db, SOLE_INSTANCE).read(SHARED_CHANNELS_NAME);
    assert.doesNotMatch(copy?.content ?? "", /Late/);
  }, () => NEVER);
});
