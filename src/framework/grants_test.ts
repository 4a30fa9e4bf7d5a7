import assert from "node:assert/strict";
import { text } from "./env_declaration.ts";
import type { ConfigProblem } from "./env_reader.ts";
import { directoryOf, type PathNeed, pathNeeds, resolveUse } from "./grants.ts";

Deno.test("resolveUse: the path itself, its directory, or a sibling with a suffix", () => {
  assert.deepEqual(resolveUse("read", "conf/channels.toml"), {
    access: "read",
    path: "conf/channels.toml",
  });
  assert.deepEqual(resolveUse("read directory", "logs/bot.log"), { access: "read", path: "logs" });
  assert.deepEqual(resolveUse("write directory", "bot.log"), { access: "write", path: "." });
  assert.deepEqual(resolveUse("write directory", "/bot.log"), { access: "write", path: "/" });
  assert.deepEqual(resolveUse("write +.tmp", "channels.toml"), {
    access: "write",
    path: "channels.toml.tmp",
  });
  assert.equal(directoryOf("/srv/bot/logs/bot.log"), "/srv/bot/logs");
});

Deno.test("pathNeeds: every declared use of every configured path; blank paths need nothing", () => {
  const declaration = {
    store: text("STORE", { default: "s.toml", paths: ["read", "write +.tmp"], doc: "store" }),
    log: text("LOG", { default: "", paths: ["write"], doc: "log; empty = off" }),
    name: text("NAME", { default: "x", doc: "not a path" }),
  };
  assert.deepEqual(pathNeeds(declaration, { store: "/etc/s.toml", log: "", name: "x" }), [
    { variable: "STORE", access: "read", path: "/etc/s.toml" },
    { variable: "STORE", access: "write", path: "/etc/s.toml.tmp" },
  ]);
});

/**
 * Runs `ungrantedVariables` and `deniedPaths` in a Worker holding only the given permissions
 * (this test process itself may read everything).
 */
async function inNarrowWorker(
  permissions: Deno.PermissionOptionsObject,
  input: { names: string[]; needs: PathNeed[] },
): Promise<{ ungranted: ConfigProblem[]; denied: ConfigProblem[] }> {
  const grants = new URL("./grants.ts", import.meta.url);
  const code = `import { deniedPaths, ungrantedVariables } from "${grants.href}";
    self.onmessage = async (e) => self.postMessage({
      ungranted: ungrantedVariables(e.data.names),
      denied: await deniedPaths(e.data.needs),
    });`;
  const url = URL.createObjectURL(new Blob([code], { type: "application/javascript" }));
  const worker = new Worker(url, {
    type: "module",
    deno: { permissions: { ...permissions, read: [grants.pathname] } },
  });
  try {
    const answer = new Promise<{ ungranted: ConfigProblem[]; denied: ConfigProblem[] }>(
      (resolve, reject) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => reject(new Error(e.message));
      },
    );
    worker.postMessage(input);
    return await answer;
  } finally {
    worker.terminate();
    URL.revokeObjectURL(url);
  }
}

Deno.test("ungrantedVariables: each declared variable the process may not read, with the flag", async () => {
  const { ungranted } = await inNarrowWorker({ env: ["URL"] }, {
    names: ["URL", "LOG_LEVEL", "TOKEN"],
    needs: [],
  });
  assert.deepEqual(ungranted.map((p) => p.variable), ["LOG_LEVEL", "TOKEN"]);
  assert.match(ungranted[0].message, /not granted.*--allow-env=LOG_LEVEL/);
});

Deno.test("deniedPaths: a path outside the grants names the variable, the access and the flag", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { denied } = await inNarrowWorker({ env: [], write: [`${dir}/granted`] }, {
      names: [],
      needs: [
        { variable: "STORE", access: "write", path: `${dir}/granted/store.toml` },
        { variable: "STORE", access: "write", path: `${dir}/elsewhere.toml` },
        { variable: "DATA", access: "read", path: `${dir}/granted` },
      ],
    });
    assert.deepEqual(denied.map((p) => p.variable), ["STORE", "DATA"]);
    assert.match(
      denied[0].message,
      /elsewhere\.toml, which the bot may not write: .*--allow-write/,
    );
    assert.match(denied[1].message, /may not read: .*--allow-read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
