import assert from "node:assert/strict";
import { A, B, C } from "./fixtures_test.ts";
import { join } from "node:path";
import { parse } from "smol-toml";
import { type ChannelsConfig, channelsFileError } from "./parse.ts";
import { ChannelsStore, type ChannelsStoreFs, type ChannelsWriteError } from "./channels_file.ts";

const EXAMPLE = `# Channels anyone may target by name
whitelist = ["town-square", "announcements"]

[groups]            # public groups: listed to every user
"All offices" = ["${A}", "${B}"]   # ids are 26 lowercase alphanumerics
Engineering = ["${A}"]

# --- private ---
[private_groups]    # usable by name, never listed in the wizard
"Managers" = ["${C}"]

[aliases]           # lowercase alias -> group name or whitelisted channel name
all = "All offices"
`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "postbot-channels-" });
  try {
    await fn(dir);
  } finally {
    await Deno.chmod(dir, 0o755).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

/** channels.toml in `dir` holding {@link EXAMPLE}, and a store loaded from it. */
async function exampleStore(dir: string): Promise<{ path: string; store: ChannelsStore }> {
  const path = join(dir, "channels.toml");
  await Deno.writeTextFile(path, EXAMPLE);
  return { path, store: await loaded(path) };
}

async function loaded(path: string, fs?: Partial<ChannelsStoreFs>): Promise<ChannelsStore> {
  const r = await ChannelsStore.load(path, { fs });
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

function expectOk<T>(r: { ok: true; value: T } | { ok: false; error: ChannelsWriteError }): T {
  if (!r.ok) assert.fail(`${r.error.kind}: ${r.error.message}`);
  return r.value;
}

function expectErr(
  r: { ok: true; value: ChannelsConfig } | { ok: false; error: ChannelsWriteError },
  kind: ChannelsWriteError["kind"],
): ChannelsWriteError {
  if (r.ok) assert.fail(`expected a ${kind} error`);
  assert.equal(r.error.kind, kind, r.error.message);
  assert.ok(r.error.message.includes(r.error.file), "the message names the file");
  return r.error;
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("a missing file is an empty config, and the first write creates it", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    const store = await loaded(path);
    assert.equal(store.missing, true);
    assert.equal(store.path, path);
    assert.equal(store.config.groups.size, 0);
    assert.deepEqual(store.config.whitelist, []);

    const config = expectOk(await store.addGroups("groups", [{ name: "Eng", channelIds: [A] }]));
    assert.deepEqual([...config.groups], [["Eng", [A]]]);
    assert.equal(store.missing, false);
    assert.equal(await Deno.readTextFile(path), `[groups]\n"Eng" = ["${A}"]\n`);
    assert.deepEqual(await entries(dir), ["channels.toml"]);
  });
});

Deno.test("addGroups inserts surgically and keeps every other byte", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    assert.equal(store.missing, false);

    const config = expectOk(
      await store.addGroups("groups", [
        { name: "Sales", channelIds: [B, C, B] },
        { name: 'Ops "night" \\ [#]', channelIds: [A] },
      ]),
    );
    assert.equal(
      await Deno.readTextFile(path),
      EXAMPLE.replace(
        `Engineering = ["${A}"]\n`,
        `Engineering = ["${A}"]\n"Sales" = ["${B}", "${C}"]\n"Ops \\"night\\" \\\\ [#]" = ["${A}"]\n`,
      ),
    );
    assert.deepEqual(config.groups.get("Sales"), [B, C]);
    assert.deepEqual(config.groups.get('Ops "night" \\ [#]'), [A]);
    assert.equal(store.config, config);

    expectOk(await store.addGroups("private_groups", [{ name: "Board", channelIds: [C] }]));
    assert.ok(
      (await Deno.readTextFile(path)).includes(
        `"Managers" = ["${C}"]\n"Board" = ["${C}"]\n\n[aliases]`,
      ),
    );
    assert.deepEqual(await entries(dir), ["channels.toml"]);
  });
});

Deno.test("a missing table is created; CRLF, BOM and a missing final newline are kept", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    const original = `\ufeffwhitelist = ["town-square"]\r\n# end`;
    await Deno.writeTextFile(path, original);
    const store = await loaded(path);
    expectOk(await store.addGroups("private_groups", [{ name: "Board", channelIds: [C] }]));
    assert.equal(
      await Deno.readTextFile(path),
      `${original}\r\n\r\n[private_groups]\r\n"Board" = ["${C}"]\r\n`,
    );
    const bytes = await Deno.readFile(path);
    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], "BOM kept");
  });
});

Deno.test("a name already used, in any table or case, is refused with a hint", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const cases: [string, RegExp][] = [
      ["engineering", /group "Engineering" in \[groups\]/],
      ["MANAGERS", /group "Managers" in \[private_groups\]/],
      ["All", /alias "all"/],
      ["Town-Square", /whitelisted channel "town-square"/],
    ];
    for (const [name, what] of cases) {
      const e = expectErr(
        await store.addGroups("private_groups", [
          { name: "Fresh", channelIds: [A] },
          { name, channelIds: [A] },
        ]),
        "name_taken",
      );
      assert.match(e.message, what);
      assert.match(e.message, /choose another name, or edit .*channels\.toml by hand/);
      assert.equal(await Deno.readTextFile(path), EXAMPLE, "nothing written");
    }
    assert.equal(store.config.groups.has("Fresh"), false);
  });
});

Deno.test("invalid requests are refused before touching the file", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const bad = [
      [{ name: "x", channelIds: ["no pe"] }],
      [{ name: "x", channelIds: [] }],
      [{ name: "a\nb", channelIds: [A] }],
      [{ name: "", channelIds: [A] }],
      [{ name: "x", channelIds: [A] }, { name: "X", channelIds: [B] }],
    ];
    for (const defs of bad) {
      expectErr(await store.addGroups("groups", defs), "invalid_request");
    }
    assert.equal(await Deno.readTextFile(path), EXAMPLE);
    assert.equal(expectOk(await store.addGroups("groups", [])), store.config);
  });
});

Deno.test("hand edits made since loading are kept by the next write", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const edited = EXAMPLE.replace("[aliases]", `Design = ["${B}"]  # by hand\n\n[aliases]`);
    await Deno.writeTextFile(path, edited);

    // The hand-added name is now taken.
    expectErr(
      await store.addGroups("groups", [{ name: "design", channelIds: [A] }]),
      "name_taken",
    );
    assert.equal(store.config.privateGroups.has("Design"), true, "re-read adopted");

    const config = expectOk(await store.addGroups("groups", [{ name: "QA", channelIds: [A] }]));
    assert.deepEqual(config.privateGroups.get("Design"), [B]);
    assert.deepEqual(config.groups.get("QA"), [A]);
    assert.equal(
      await Deno.readTextFile(path),
      edited.replace(`Engineering = ["${A}"]\n`, `Engineering = ["${A}"]\n"QA" = ["${A}"]\n`),
    );
  });
});

Deno.test("a file broken by hand: load reports the place, writes refuse and keep it", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const broken = EXAMPLE.replace(`Engineering = ["${A}"]`, `Engineering = ["${A}", "oo ps"]`);
    await Deno.writeTextFile(path, broken);

    const load = await ChannelsStore.load(path);
    assert.ok(!load.ok);
    assert.equal(load.error.line, 6);
    assert.equal(load.error.column, 46);
    assert.ok(load.error.message.startsWith(`${path}:6:46: `), load.error.message);
    assert.match(load.error.message, /"oo ps" is not a Mattermost channel id/);

    const e = expectErr(
      await store.addGroups("groups", [{ name: "QA", channelIds: [A] }]),
      "invalid_file",
    );
    assert.equal(e.fileError?.line, 6);
    assert.match(e.message, /must be fixed by hand/);
    assert.equal(await Deno.readTextFile(path), broken, "byte-identical");
    assert.equal(store.config.groups.get("Engineering")?.length, 1, "last good config kept");

    await Deno.writeTextFile(path, "[groups\n");
    const syntax = await ChannelsStore.load(path);
    assert.ok(!syntax.ok);
    assert.equal(syntax.error.line, 1);
    assert.equal(typeof syntax.error.column, "number");
    expectErr(await store.addAlias("x", "Engineering"), "invalid_file");
    assert.equal(await Deno.readTextFile(path), "[groups\n");
    assert.deepEqual(await entries(dir), ["channels.toml"]);
  });
});

Deno.test("20 concurrent addGroups all land", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const names = Array.from({ length: 20 }, (_, i) => `Team ${i}`);
    const results = await Promise.all(
      names.map((name, i) =>
        store.addGroups(i % 2 ? "groups" : "private_groups", [{ name, channelIds: [A] }])
      ),
    );
    for (const r of results) expectOk(r);
    const onDisk = parse(await Deno.readTextFile(path)) as Record<string, Record<string, unknown>>;
    for (const [i, name] of names.entries()) {
      assert.deepEqual(onDisk[i % 2 ? "groups" : "private_groups"][name], [A], name);
    }
    assert.equal(Object.keys(onDisk.groups).length + Object.keys(onDisk.private_groups).length, 23);
    assert.equal(store.config.groups.size + store.config.privateGroups.size, 23);
    assert.ok((await Deno.readTextFile(path)).startsWith(EXAMPLE.slice(0, 200)));
  });
});

Deno.test("two concurrent commands for the same name: one wins, one is told", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    const store = await loaded(path);
    const [first, second] = await Promise.all([
      store.addGroups("groups", [{ name: "Eng", channelIds: [A] }]),
      store.addGroups("private_groups", [{ name: "ENG", channelIds: [B] }]),
    ]);
    expectOk(first);
    expectErr(second, "name_taken");
    assert.equal(await Deno.readTextFile(path), `[groups]\n"Eng" = ["${A}"]\n`);
  });
});

Deno.test("a temp file that cannot be created: error, file byte-identical", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    await Deno.mkdir(`${path}.tmp`); // occupies the temp name
    const e = expectErr(
      await store.addGroups("groups", [{ name: "QA", channelIds: [A] }]),
      "write_failed",
    );
    assert.match(e.message, /channels\.toml\.tmp/);
    assert.match(e.message, /The file was not changed/);
    assert.equal(await Deno.readTextFile(path), EXAMPLE);
    assert.ok((await Deno.stat(`${path}.tmp`)).isDirectory, "not ours: left alone");
    assert.equal(store.config.groups.has("QA"), false);
  });
});

Deno.test("a read-only directory: error, file byte-identical (root may write anyway)", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    await Deno.chmod(dir, 0o555);
    // Privileged users (root) ignore directory permissions: probe instead of asking for uid.
    const privileged = await Deno.writeTextFile(join(dir, "probe"), "").then(
      () => Deno.remove(join(dir, "probe")).then(() => true),
      () => false,
    );
    const r = await store.addGroups("groups", [{ name: "QA", channelIds: [A] }]);
    if (privileged) {
      // root ignores directory permissions; the write goes through.
      expectOk(r);
    } else {
      expectErr(r, "write_failed");
      assert.equal(await Deno.readTextFile(path), EXAMPLE);
      assert.deepEqual(await entries(dir), ["channels.toml"]);
    }
  });
});

Deno.test("a failure at rename or sync removes the temp file and keeps the file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    await Deno.writeTextFile(path, EXAMPLE);
    const failingRename = await loaded(path, {
      rename: () => Promise.reject(new Error("simulated rename failure")),
    });
    const e = expectErr(
      await failingRename.addGroups("groups", [{ name: "QA", channelIds: [A] }]),
      "write_failed",
    );
    assert.match(e.message, /simulated rename failure/);
    assert.equal(await Deno.readTextFile(path), EXAMPLE);
    assert.deepEqual(await entries(dir), ["channels.toml"], "temp file removed");

    const failingSync = await loaded(path, {
      async writeAndSync(tmp, data) {
        await Deno.writeFile(tmp, data.subarray(0, 10));
        throw new Error("simulated fsync failure");
      },
    });
    expectErr(await failingSync.addAlias("eng", "Engineering"), "write_failed");
    assert.equal(await Deno.readTextFile(path), EXAMPLE);
    assert.deepEqual(await entries(dir), ["channels.toml"], "partial temp file removed");

    // The queue survives failures: the next write works.
    expectOk(await failingSync.addGroups("groups", []));
  });
});

Deno.test("the file's permissions are kept across a rewrite", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    await Deno.writeTextFile(path, EXAMPLE, { mode: 0o600 });
    await Deno.chmod(path, 0o640);
    const store = await loaded(path);
    expectOk(await store.addGroups("groups", [{ name: "QA", channelIds: [A] }]));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
  });
});

Deno.test("addAlias: lowercase, canonical target, refusals with hints", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);

    const config = expectOk(await store.addAlias("Eng", "ENGINEERING"));
    assert.equal(config.aliases.get("eng"), "Engineering");
    assert.ok(
      (await Deno.readTextFile(path)).endsWith(`all = "All offices"\n"eng" = "Engineering"\n`),
    );
    expectOk(await store.addAlias("ts", "Town-Square"));
    assert.equal(store.config.aliases.get("ts"), "town-square");

    const before = await Deno.readTextFile(path);
    const existing = expectErr(await store.addAlias("ALL", "Engineering"), "name_taken");
    assert.match(existing.message, /alias "all" already exists \(it points to "All offices"\)/);
    assert.match(existing.message, /choose another alias, or edit .* by hand/);
    assert.match(
      expectErr(await store.addAlias("managers", "Engineering"), "name_taken").message,
      /group "Managers" in \[private_groups\]/,
    );
    assert.match(
      expectErr(await store.addAlias("announcements", "Engineering"), "name_taken").message,
      /whitelisted channel/,
    );
    assert.match(
      expectErr(await store.addAlias("x", "Nowhere"), "invalid_request").message,
      /neither a group nor a whitelisted channel/,
    );
    assert.match(
      expectErr(await store.addAlias("x", "all"), "invalid_request").message,
      /neither/,
      "an alias cannot point to an alias",
    );
    expectErr(await store.addAlias(" ", "Engineering"), "invalid_request");
    expectErr(await store.addAlias("a\nb", "Engineering"), "invalid_request");
    assert.equal(await Deno.readTextFile(path), before);
  });
});

Deno.test("a table the bot cannot extend is reported, file untouched", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    const text = `groups = { Eng = ["${A}"] }\n`;
    await Deno.writeTextFile(path, text);
    const store = await loaded(path);
    const e = expectErr(
      await store.addGroups("groups", [{ name: "QA", channelIds: [A] }]),
      "unsupported_layout",
    );
    assert.match(e.message, /rewrite it as a \[groups\] section/);
    assert.equal(await Deno.readTextFile(path), text);
  });
});

Deno.test("hostile names land as exactly one key", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const names = [`a" = 1 [x]`, `"] = ["${B}"] #`, "back\\", "Ünïcødé 👩‍💻", "__proto__"];
    for (const name of names) {
      expectOk(await store.addGroups("groups", [{ name, channelIds: [B] }]));
    }
    const onDisk = parse(await Deno.readTextFile(path)) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(onDisk).sort(), [
      "aliases",
      "groups",
      "private_groups",
      "whitelist",
    ]);
    assert.deepEqual(Object.keys(onDisk.groups), ["All offices", "Engineering", ...names]);
    for (const name of names) assert.deepEqual(onDisk.groups[name], [B]);
  });
});

Deno.test("reload adopts hand edits and keeps the last good config on error", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    await Deno.writeTextFile(path, `whitelist = ["x"]\n`);
    const r = await store.reload();
    assert.ok(r.ok);
    assert.deepEqual(store.config.whitelist, ["x"]);
    await Deno.writeTextFile(path, `whitelist = [1]\n`);
    const bad = await store.reload();
    assert.ok(!bad.ok);
    assert.equal(bad.error.line, 1);
    assert.deepEqual(store.config.whitelist, ["x"]);
    await Deno.remove(path);
    assert.ok((await store.reload()).ok);
    assert.equal(store.missing, true);
  });
});

Deno.test("unreadable and non-UTF-8 files are load errors naming the file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "channels.toml");
    await Deno.writeFile(path, new Uint8Array([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22]));
    const notUtf8 = await ChannelsStore.load(path);
    assert.ok(!notUtf8.ok);
    assert.match(notUtf8.error.message, /not valid UTF-8/);
    assert.ok(notUtf8.error.message.startsWith(path));

    const asDir = await ChannelsStore.load(dir);
    assert.ok(!asDir.ok);
    assert.match(asDir.error.message, /cannot read the file/);
  });
});

Deno.test("every text a command writes goes to the share, and its warning comes back", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const shared: string[] = [];
    const answer: { warning?: string } = {};
    store.shareWith((text) => {
      shared.push(text);
      return Promise.resolve(answer.warning);
    });
    const first = await store.addGroups("groups", [{ name: "Berlin", channelIds: [B] }]);
    assert.equal(first.ok && first.warning, undefined);
    assert.deepEqual(shared, [await Deno.readTextFile(path)]);
    answer.warning = "not shared";
    const second = await store.addAlias("ber", "Berlin");
    assert.equal(second.ok, true);
    assert.equal(second.warning, "not shared");
    const third = await store.addLists([{ name: "Team", entries: ["alice"] }]);
    assert.equal(third.ok && third.warning, "not shared");
    assert.equal(shared.length, 3);
    assert.equal(shared[2], await Deno.readTextFile(path));
    expectErr(await store.addAlias("ber", "Berlin"), "name_taken");
    assert.equal(shared.length, 3, "a refused write shares nothing");
  });
});

Deno.test("readLocal answers the file's text and when it was modified", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const local = await store.readLocal();
    if (!local.ok) assert.fail(local.error.message);
    assert.equal(local.value.text, EXAMPLE);
    assert.equal(local.value.missing, false);
    assert.equal(local.value.modifiedAt, (await Deno.stat(path)).mtime?.getTime());
    const none = await (await loaded(join(dir, "none.toml"))).readLocal();
    assert.deepEqual(none.ok && none.value, { text: "", missing: true, modifiedAt: undefined });
  });
});

Deno.test("replaceWith writes a whole checked text, comments kept, and adopts it", async () => {
  await withDir(async (dir) => {
    const { path, store } = await exampleStore(dir);
    const text = `${EXAMPLE}# added elsewhere\n[lists]\nTeam = ["alice"]\n`;
    const config = expectOk(await store.replaceWith(text));
    assert.deepEqual([...config.lists], [["Team", ["alice"]]]);
    assert.deepEqual([...store.config.lists], [["Team", ["alice"]]]);
    assert.equal(await Deno.readTextFile(path), text);
    assert.deepEqual(await entries(dir), ["channels.toml"]);

    expectErr(await store.replaceWith("[groups\n"), "invalid_file");
    store.guard((_config, body, file) =>
      body.includes("Sneaky") ? [channelsFileError(file, "Sneaky is refused")] : []
    );
    const refused = expectErr(
      await store.replaceWith(`${text}# Sneaky\n`),
      "refused_at_start",
    );
    assert.match(refused.message, /Sneaky is refused/);
    assert.equal(await Deno.readTextFile(path), text, "a refused text leaves the file as it was");
    assert.deepEqual([...store.config.lists], [["Team", ["alice"]]]);
  });
});
