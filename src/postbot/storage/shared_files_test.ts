import assert from "node:assert/strict";
import { testOnBothEngines } from "../database/testing.ts";
import { NEVER, SOLE_INSTANCE } from "../database/fencing.ts";
import { SharedFiles } from "./shared_files.ts";

const TEXT = '# offices\n[groups]\n"Eng" = ["a"]\n';

testOnBothEngines("a shared file is stored, read back whole and replaced", async (db) => {
  const files = new SharedFiles(db, SOLE_INSTANCE);
  assert.equal(await files.read("channels.toml"), undefined);
  const first = {
    name: "channels.toml",
    content: TEXT,
    writtenAt: 1_796_000_000_123,
    writtenBy: "a",
  };
  assert.equal(await files.write(first), true);
  assert.deepEqual(await files.read("channels.toml"), first);
  const second = {
    ...first,
    content: `${TEXT}# more\n`,
    writtenAt: 1_796_000_000_999,
    writtenBy: "b",
  };
  assert.equal(await files.write(second), true);
  assert.deepEqual(await files.read("channels.toml"), second);
  assert.equal(await files.read("other.toml"), undefined);
});

testOnBothEngines("a standby's write of a shared file changes nothing", async (db) => {
  const active = new SharedFiles(db, SOLE_INSTANCE);
  const stored = { name: "channels.toml", content: TEXT, writtenAt: 1, writtenBy: "active" };
  await active.write(stored);
  const standby = new SharedFiles(db, () => NEVER);
  assert.equal(await standby.write({ ...stored, content: "", writtenBy: "standby" }), false);
  assert.equal(await standby.write({ ...stored, name: "new.toml" }), false);
  assert.deepEqual(await active.read("channels.toml"), stored);
  assert.equal(await active.read("new.toml"), undefined);
});
