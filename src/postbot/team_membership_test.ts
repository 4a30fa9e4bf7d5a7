import assert from "node:assert/strict";
import type { ServerEvent } from "@postbot/framework";
import { MattermostError } from "@postbot/framework";
import { type PeopleSource, TeamMembership } from "./team_membership.ts";

/** A stand-in bot whose answers a test changes; counts the questions asked. */
function fakeBot() {
  const state = { member: true, active: true, connected: true, asked: 0 };
  const bot = {
    identity: { userId: "bot", username: "postbot", teamId: "team", teamName: "staff" },
    get connected() {
      return state.connected;
    },
    client: {
      getTeamMember: () => {
        state.asked++;
        return Promise.resolve({ delete_at: state.member ? 0 : 1 });
      },
      getUser: (id: string) => {
        state.asked++;
        if (id === "nobody") {
          return Promise.reject(
            new MattermostError({
              kind: "http",
              status: 404,
              message: "no such user",
              attempts: 1,
              route: "/users/{id}",
            }),
          );
        }
        return Promise.resolve({ id, username: "bob", delete_at: state.active ? 0 : 1 });
      },
    },
  } as unknown as PeopleSource;
  return { bot, state };
}

const event = (name: string, data: Record<string, unknown>): ServerEvent => ({
  event: name,
  data,
  broadcast: {},
  seq: 1,
});

Deno.test("TeamMembership keeps yes answers until an event, a lost event or a drop says otherwise", async () => {
  const { bot, state } = fakeBot();
  const members = new TeamMembership(bot, 300_000);
  const watcher = members.watcher();
  assert.equal(await members.check("u"), true);
  assert.equal((await members.account("u"))?.active, true);
  assert.equal(state.asked, 2);
  assert.equal(await members.check("u"), true);
  assert.equal(state.asked, 2, "kept");

  state.member = false;
  watcher.onEvent?.(event("leave_team", { user_id: "u", team_id: "other" }));
  assert.equal(await members.check("u"), true, "another team's leave changes nothing");
  watcher.onEvent?.(event("leave_team", { user_id: "u", team_id: "team" }));
  assert.equal(await members.check("u"), false, "asked again after leave_team");

  state.active = false;
  watcher.onEvent?.(event("user_updated", { user: { id: "u", delete_at: 5 } }));
  assert.equal((await members.account("u"))?.active, false);

  state.member = true;
  state.active = true;
  await members.check("u");
  await members.account("u");
  state.member = false;
  watcher.onEventsLost?.();
  assert.equal(await members.check("u"), false, "nothing kept after events were lost");

  state.member = true;
  await members.check("u");
  state.member = false;
  state.connected = false;
  assert.equal(await members.check("u"), false, "nothing kept is trusted while disconnected");
  assert.equal(await members.account("nobody"), undefined);
});
