import assert from "node:assert/strict";
import { displayPath, grantPermissions, parsePermissionRequest } from "./permissions.ts";

const base = { taskPath: "/srv/bot/tasks/t.ts", serverHost: "chat.example.com", cwd: "/srv/bot" };

Deno.test("without PERMISSIONS a task may reach the server and read its own file, nothing else", () => {
  const request = parsePermissionRequest(undefined, "/srv/bot");
  assert.equal(request.ok, true);
  if (!request.ok) return;
  const granted = grantPermissions(request.value, base, () => true);
  assert.deepEqual(granted.worker, {
    read: ["/srv/bot/tasks/t.ts"],
    write: false,
    net: ["chat.example.com"],
    env: false,
    sys: false,
    run: false,
    ffi: false,
    import: false,
  });
  assert.deepEqual([granted.extra, granted.refused], [[], []]);
});

Deno.test("requested paths become absolute: file URLs converted, relative ones from cwd", () => {
  const request = parsePermissionRequest({
    read: ["file:///srv/bot/tasks/plan.md", "data/x.csv", "/abs/y"],
    write: ["out/"],
    run: ["git", "./bin/tool"],
    env: ["HOME"],
    sys: false,
  }, "/srv/bot");
  assert.deepEqual(request, {
    ok: true,
    value: {
      read: ["/srv/bot/tasks/plan.md", "/srv/bot/data/x.csv", "/abs/y"],
      write: ["/srv/bot/out"],
      run: ["git", "/srv/bot/bin/tool"],
      env: ["HOME"],
    },
  });
});

Deno.test("malformed PERMISSIONS are explained", () => {
  const cases: [unknown, RegExp][] = [
    [["read"], /must be an object/],
    [{ disk: true }, /PERMISSIONS key `disk` is not a Deno permission/],
    [{ "@here\nx`": true }, /PERMISSIONS key `@here<U\+000A>x<U\+0060>` is not/],
    [{ read: "inherit" }, /"inherit"/],
    [{ net: "example.com" }, /PERMISSIONS\.net must be true, false or a list of hosts/],
    [{ read: [1] }, /PERMISSIONS\.read must be/],
    [{ env: [{ unsupported: "function" }] }, /PERMISSIONS\.env must be/],
  ];
  for (const [raw, message] of cases) {
    const result = parsePermissionRequest(raw, "/srv/bot");
    assert.equal(result.ok, false, JSON.stringify(raw));
    if (!result.ok) assert.match(result.error.message, message);
  }
});

Deno.test("only what the bot holds is granted; the rest is listed as refused", () => {
  const held = new Set([
    "read:/srv/bot/tasks/plan.md",
    "net",
    "net:api.example.com",
    "sys:hostname",
  ]);
  const holds = (d: Deno.PermissionDescriptor) => {
    const detail = "path" in d
      ? d.path
      : "host" in d
      ? d.host
      : "variable" in d
      ? d.variable
      : "kind" in d
      ? d.kind
      : "command" in d
      ? d.command
      : undefined;
    return held.has(detail === undefined ? d.name : `${d.name}:${detail}`);
  };
  const granted = grantPermissions(
    {
      read: ["/srv/bot/tasks/plan.md", "/srv/bot/.env"],
      net: ["api.example.com"],
      env: true,
      sys: ["hostname"],
    },
    base,
    holds,
  );
  assert.deepEqual(granted.worker.read, ["/srv/bot/tasks/t.ts", "/srv/bot/tasks/plan.md"]);
  assert.deepEqual(granted.worker.net, ["chat.example.com", "api.example.com"]);
  assert.deepEqual(granted.worker.sys, ["hostname"]);
  assert.equal(granted.worker.env, false);
  assert.deepEqual(granted.extra, [
    "`read tasks/plan.md`",
    "`net api.example.com`",
    "`sys hostname`",
  ]);
  assert.deepEqual(granted.refused, ["`read .env`", "`env (all)`"]);
  const all = grantPermissions({ net: true }, base, holds);
  assert.equal(all.worker.net, true);
  assert.deepEqual(all.extra, ["`net (all)`"]);
});

Deno.test("paths are shown relative to the working directory when inside it", () => {
  assert.equal(displayPath("/srv/bot/tasks/a.md", "/srv/bot"), "tasks/a.md");
  assert.equal(displayPath("/etc/hosts", "/srv/bot"), "/etc/hosts");
  assert.equal(displayPath("/srv/bot", "/srv/bot"), "/srv/bot");
});

Deno.test("the bot's own executable and names with commas are never granted", () => {
  const holdsAll = () => true;
  const granted = grantPermissions(
    {
      run: ["/proc/self/exe", "/proc/1234/exe", "curl"],
      read: ["/srv/bot/a,b.md", "/srv/bot/ok.md"],
      net: ["a.example.com,b.example.com"],
    },
    base,
    holdsAll,
  );
  assert.deepEqual(granted.worker.run, ["curl"]);
  assert.deepEqual(granted.worker.read, ["/srv/bot/tasks/t.ts", "/srv/bot/ok.md"]);
  assert.deepEqual(granted.worker.net, ["chat.example.com"]);
  assert.deepEqual(granted.refused, [
    "`read a,b.md`",
    "`net a.example.com,b.example.com`",
    "`run /proc/self/exe`",
    "`run /proc/1234/exe`",
  ]);
});

Deno.test("a path leading outside the bot's grant through a link is refused", () => {
  const confined = new Map([
    ["/srv/bot/tasks/notes.md", true],
    ["/srv/bot/tasks/shadow.txt", false],
  ]);
  const granted = grantPermissions(
    { read: ["/srv/bot/tasks/notes.md", "/srv/bot/tasks/shadow.txt", "/srv/bot/unchecked"] },
    { ...base, confined },
    () => true,
  );
  assert.deepEqual(granted.worker.read, ["/srv/bot/tasks/t.ts", "/srv/bot/tasks/notes.md"]);
  assert.deepEqual(granted.refused, ["`read tasks/shadow.txt`", "`read unchecked`"]);
});

Deno.test("names a task chose are shown as code with what could hide or format escaped", () => {
  const granted = grantPermissions(
    { net: ["@here\n- x.example.com\u202e`"] },
    base,
    () => true,
  );
  assert.deepEqual(granted.extra, ["`net @here<U+000A>- x.example.com<U+202E><U+0060>`"]);
});
