import assert from "node:assert/strict";
import { parseUserRef, type UserRef } from "@postbot/framework";
import { type AuthorityDeps, reachable, refusalText, SenderAuthority } from "./authority.ts";
import type { ChannelsConfig } from "./channels/parse.ts";
import type { PersonReach, PersonTarget } from "./broadcast/model.ts";
import { changedUser } from "./team_membership.ts";

const ref = (s: string): UserRef => {
  const r = parseUserRef(s);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

const BOB = { id: "b".repeat(26), username: "bob" };
const id = (c: string) => c.repeat(26);
const CHANNELS = {
  grouped: {
    kind: "channel" as const,
    channelId: id("g"),
    name: "grouped",
    displayName: "grouped",
    type: "P" as const,
  },
  privateGrouped: {
    kind: "channel" as const,
    channelId: id("q"),
    name: "managers",
    displayName: "managers",
    type: "P" as const,
  },
  openListed: {
    kind: "channel" as const,
    channelId: id("o"),
    name: "announcements",
    displayName: "announcements",
    type: "O" as const,
  },
  privateListed: {
    kind: "channel" as const,
    channelId: id("p"),
    name: "secret-listed",
    displayName: "secret-listed",
    type: "P" as const,
  },
  byId: {
    kind: "channel" as const,
    channelId: id("r"),
    name: "random",
    displayName: "random",
    type: "O" as const,
  },
  privateById: {
    kind: "channel" as const,
    channelId: id("s"),
    name: "secret",
    displayName: "secret",
    type: "P" as const,
  },
};
const CONFIG: ChannelsConfig = {
  whitelist: ["announcements", id("p")],
  groups: new Map([["G", [id("g")]]]),
  privateGroups: new Map([["M", [id("q")]]]),
  lists: new Map(),
  aliases: new Map(),
};

function deps(over: Partial<AuthorityDeps> = {}, memberOf: string[] = []): AuthorityDeps {
  const types = new Map(Object.values(CHANNELS).map((c) => [c.channelId, c.type]));
  return {
    teamName: "staff",
    account: () => Promise.resolve({ active: true, username: "bob" }),
    isTeamMember: () => Promise.resolve(true),
    allowed: [],
    admins: [ref("alice")],
    channels: () => CONFIG,
    channelType: (c) => Promise.resolve(types.get(c)),
    isChannelMember: (c) => Promise.resolve(memberOf.includes(c)),
    ...over,
  };
}

Deno.test("a sender who lost their standing may send nothing, each for a clear reason", async () => {
  const cases: [Partial<AuthorityDeps>, string][] = [
    [{ account: () => Promise.resolve({ active: false, username: "bob" }) }, "deactivated"],
    [{ account: () => Promise.resolve(undefined) }, "gone"],
    [{ isTeamMember: () => Promise.resolve(false) }, "left_team"],
    [{ allowed: [ref("alice")] }, "not_allowed"],
  ];
  for (const [over, kind] of cases) {
    const verdict = await new SenderAuthority(deps(over)).check(BOB, Object.values(CHANNELS));
    assert.equal(verdict.kind, "refused");
    if (verdict.kind === "refused") assert.equal(verdict.refusal.kind, kind);
  }
  assert.equal(
    refusalText({ kind: "left_team", team: "staff" }, "bob"),
    "@bob is no longer a member of the team staff",
  );
  assert.equal(reachable({ kind: "deactivated" }), false);
  assert.equal(reachable({ kind: "not_allowed" }), true);
});

Deno.test("ALLOWED_USERS is read against the username the account has now", async () => {
  const renamed = deps({
    allowed: [ref("bob")],
    account: () => Promise.resolve({ active: true, username: "robert" }),
  });
  const verdict = await new SenderAuthority(renamed).check(BOB, []);
  assert.equal(verdict.kind, "refused");
  const byId = await new SenderAuthority(deps({ allowed: [ref(BOB.id)] })).check(BOB, []);
  assert.equal(byId.kind, "allowed");
});

Deno.test("reach follows the wizard's rules: groups, whitelist, membership", async () => {
  const none = await new SenderAuthority(deps()).check(BOB, Object.values(CHANNELS));
  assert.equal(none.kind, "allowed");
  if (none.kind !== "allowed") return;
  assert.deepEqual(none.keep.map((c) => c.name), ["grouped", "managers", "announcements"]);
  assert.deepEqual(none.dropped.map((d) => d.target.name), ["secret-listed", "random", "secret"]);
  assert.match(none.dropped[0].reason, /~secret-listed is private and @bob is no longer a member/);
  assert.match(none.dropped[1].reason, /@bob is no longer a member of ~random/);
  const member = await new SenderAuthority(deps({}, [id("p"), id("r"), id("s")]))
    .check(BOB, Object.values(CHANNELS));
  assert.equal(member.kind === "allowed" && member.dropped.length, 0);
  // An administrator sees every private channel, but a channel id still needs membership.
  const admin = await new SenderAuthority(deps({ admins: [ref("bob")] }))
    .check(BOB, Object.values(CHANNELS));
  assert.ok(admin.kind === "allowed");
  assert.deepEqual(admin.dropped.map((d) => d.target.name), ["random", "secret"]);
});

Deno.test("a failure to ask the server is thrown, never read as allowed", async () => {
  const down = deps({ isChannelMember: () => Promise.reject(new Error("503")) });
  await assert.rejects(new SenderAuthority(down).check(BOB, [CHANNELS.byId]), /503/);
});

Deno.test("changedUser: leave_team of this team, user_updated; nothing else", () => {
  const ev = (event: string, data: Record<string, unknown>) => ({
    event,
    data,
    broadcast: {},
    seq: 1,
  });
  assert.equal(changedUser(ev("leave_team", { user_id: "u", team_id: "t" }), "t"), "u");
  assert.equal(changedUser(ev("leave_team", { user_id: "u", team_id: "x" }), "t"), undefined);
  assert.equal(changedUser(ev("user_updated", { user: { id: "u", delete_at: 1 } }), "t"), "u");
  assert.equal(changedUser(ev("posted", { user_id: "u" }), "t"), undefined);
  assert.equal(changedUser(ev("user_updated", { user: "nonsense" }), "t"), undefined);
});

Deno.test("people are checked by how they were reached: everyone only for admins", async () => {
  const person = (username: string, reach: PersonReach): PersonTarget => ({
    kind: "person",
    userId: id(username[0]),
    username,
    displayName: username,
    reach,
  });
  const people = [
    person("named", { by: "name" }),
    person("listed", { by: "list", list: "Night shift" }),
    person("grouped", { by: "members", channelId: id("q"), channelName: "m", group: "M" }),
    person("public", { by: "members", channelId: id("r"), channelName: "random" }),
    person("private", { by: "members", channelId: id("s"), channelName: "secret" }),
    person("all", { by: "everyone" }),
  ];
  const bob = await new SenderAuthority(deps()).check(BOB, people);
  assert.ok(bob.kind === "allowed");
  assert.deepEqual(bob.keep.map((p) => p.username), ["named", "listed", "grouped", "public"]);
  assert.deepEqual(bob.dropped.map((d) => d.reason), [
    "@private was reached as a member of ~secret, which @bob may no longer see",
    "only administrators may send to everyone, and @bob is no longer one",
  ]);
  const member = await new SenderAuthority(deps({}, [id("s")])).check(BOB, people);
  assert.ok(member.kind === "allowed");
  assert.deepEqual(member.dropped.map((d) => d.target.username), ["all"]);
  const admin = await new SenderAuthority(deps({ admins: [ref("bob")] })).check(BOB, people);
  assert.ok(admin.kind === "allowed");
  assert.equal(admin.dropped.length, 0);
});
