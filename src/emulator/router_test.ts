import assert from "node:assert/strict";
import { compilePath } from "./router.ts";

Deno.test("compilePath extracts parameters and rejects other shapes", () => {
  const p = compilePath("/api/v4/teams/{team_id}/channels/name/{channel_name}");
  assert.deepEqual(p.match("/api/v4/teams/abc/channels/name/town-square"), {
    team_id: "abc",
    channel_name: "town-square",
  });
  assert.equal(p.match("/api/v4/teams/abc/channels"), undefined);
  assert.equal(p.match("/api/v4/teams//channels/name/x"), undefined);
});

Deno.test("compilePath accepts a trailing slash and decodes segments", () => {
  const p = compilePath("/api/v4/users/username/{username}");
  assert.deepEqual(p.match("/api/v4/users/username/a%20b/"), { username: "a b" });
});
