import assert from "node:assert/strict";
import { realPathOf, staysInGrant } from "./confinement.ts";

Deno.test("staysInGrant follows links from the grant that covers a path", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    // The operator's tasks directory is itself a link: paths under it stay inside.
    await Deno.mkdir(`${root}/srv/tasks`, { recursive: true });
    await Deno.writeTextFile(`${root}/srv/tasks/data.csv`, "x");
    await Deno.writeTextFile(`${root}/secret`, "y");
    await Deno.mkdir(`${root}/bot`);
    await Deno.symlink(`${root}/srv/tasks`, `${root}/bot/tasks`);
    await Deno.symlink("../../secret", `${root}/srv/tasks/notes.md`);
    const held = (path: string) =>
      path === `${root}/bot/tasks` || path.startsWith(`${root}/bot/tasks/`);
    assert.equal(await staysInGrant(`${root}/bot/tasks/data.csv`, held), true);
    assert.equal(await staysInGrant(`${root}/bot/tasks/new_file.txt`, held), true);
    assert.equal(await staysInGrant(`${root}/bot/tasks/notes.md`, held), false);
    assert.equal(await staysInGrant(`${root}/elsewhere`, held), false, "not held at all");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("realPathOf: a file to be created, and a dangling link by where it points", async () => {
  const root = await Deno.realPath(await Deno.makeTempDir());
  try {
    await Deno.symlink("/proc/self/not_there", `${root}/dangling`);
    assert.equal(await realPathOf(`${root}/a/b.txt`), `${root}/a/b.txt`);
    assert.match(await realPathOf(`${root}/dangling`) ?? "", /^\/proc\/(self|\d+)\/not_there$/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
