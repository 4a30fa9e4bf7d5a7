/**
 * The test world every end-to-end scenario starts from, seeded through a {@link Backend}: a
 * team `staff`, the bot, three team members and an outsider, and a fixed set of public and
 * private channels with known members. On the emulator it is created fresh; on a real server
 * the same names are reused and brought back to exactly these members (a test may have
 * archived a channel or removed the bot from one).
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { Team } from "@mattermost/types/teams";
import type { Backend, Person } from "./backend.ts";

/** The seeded data. */
export interface ScenarioWorld {
  readonly team: Team;
  readonly bot: Person;
  /** Team members; alice is the admin (ADMIN_USERS=alice). */
  readonly alice: Person;
  readonly bob: Person;
  readonly carol: Person;
  /** Not a member of the team. */
  readonly outsider: Person;
  /** Seeded channels by name. */
  readonly channels: Record<string, Channel>;
}

/** The team's URL name (TEAM_NAME of the bot under test). */
export const TEAM_NAME = "staff";

type Member = "bot" | "alice" | "bob" | "carol";

/** The channels of the world: name, display name, type, members. */
export const SCENARIO_CHANNELS: readonly [string, string, "O" | "P", readonly Member[]][] = [
  ["town-square", "Town Square", "O", ["bot", "alice", "bob", "carol"]],
  ["announcements", "Announcements", "O", ["bot", "alice"]],
  ["office-berlin", "Office Berlin", "O", ["bot", "alice"]],
  ["office-paris", "Office Paris", "O", ["bot", "bob"]],
  ["office-rome", "Office Rome", "O", ["bot"]],
  ["engineering", "Engineering", "O", ["bot", "bob"]],
  ["random", "Random", "O", ["bot", "alice", "bob"]],
  ["no-bot", "No Bot Here", "O", ["alice"]],
  ["managers", "Managers", "P", ["bot", "alice"]],
  ["secret", "Secret", "P", ["alice"]],
  ["bot-log", "Bot Log", "P", ["bot", "alice"]],
];

/** Seeds (or, on a real server, restores) the world, with `bulk` extra channels `bulk-N`. */
export async function seedScenarioWorld(b: Backend, bulk = 0): Promise<ScenarioWorld> {
  const team = await b.team(TEAM_NAME, "Staff");
  const bot = await b.createUser({ username: "postbot", is_bot: true });
  const alice = await b.createUser({ username: "alice" });
  const bob = await b.createUser({ username: "bob" });
  const carol = await b.createUser({ username: "carol" });
  const outsider = await b.createUser({ username: "mallory" });
  const people: Record<Member, Person> = { bot, alice, bob, carol };
  for (const p of Object.values(people)) await b.addTeamMember(team.id, p.user.id);
  await b.removeTeamMember(team.id, outsider.user.id);
  // A real team starts with ~off-topic; the world has no such channel.
  const offTopic = await b.channelByName(team.id, "off-topic");
  if (offTopic !== undefined && offTopic.delete_at === 0) await b.archiveChannel(offTopic.id);

  const channels: Record<string, Channel> = {};
  for (const [name, display, type, members] of SCENARIO_CHANNELS) {
    channels[name] = await b.createChannel(
      { team_id: team.id, name, display_name: display, type },
      members.map((m) => people[m].user.id),
    );
  }
  // A few at a time: a real server takes a round trip or three per channel.
  for (let start = 0; start < bulk; start += 8) {
    const batch = Array.from({ length: Math.min(8, bulk - start) }, (_, k) => start + k);
    const made = await Promise.all(batch.map((i) =>
      b.createChannel(
        { team_id: team.id, name: `bulk-${i}`, display_name: `Bulk ${i}`, type: "O" },
        [bot.user.id],
      )
    ));
    batch.forEach((i, k) => channels[`bulk-${i}`] = made[k]);
  }
  return { team, bot, alice, bob, carol, outsider, channels };
}
