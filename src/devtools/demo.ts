/**
 * The demo world of `deno task sandbox`: a team, a bot, a few people and channels, with
 * groups and aliases, so a newcomer can broadcast within seconds of starting.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { Emulator } from "@postbot/mattermost-emulator";

/** A demo person and the token the chat uses to post as them. */
export interface DemoUser {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

/** What the demo contains. */
export interface DemoWorld {
  readonly teamName: string;
  readonly bot: DemoUser;
  readonly users: ReadonlyMap<string, DemoUser>;
  readonly channels: readonly Channel[];
  readonly channelsToml: string;
}

const CHANNELS: [name: string, display: string, type: "O" | "P"][] = [
  ["town-square", "Town Square", "O"],
  ["announcements", "Announcements", "O"],
  ["office-berlin", "Office Berlin", "O"],
  ["office-paris", "Office Paris", "O"],
  ["office-rome", "Office Rome", "O"],
  ["engineering", "Engineering", "O"],
  ["random", "Random", "O"],
  ["leadership", "Leadership", "P"],
];

/** Seeds the emulator with the demo team and returns it. */
export function seedDemo(emu: Emulator): DemoWorld {
  const s = emu.store;
  const team = s.createTeam({ name: "demo", display_name: "Demo Company" });
  const person = (username: string, first: string, isBot = false): DemoUser => {
    const { user, token } = s.createUser({ username, first_name: first, is_bot: isBot });
    s.addTeamMember(team.id, user.id);
    return { id: user.id, username, token };
  };
  const bot = person("postbot", "Postbot", true);
  const users = new Map(
    [person("alice", "Alice"), person("bob", "Bob"), person("carol", "Carol")]
      .map((u) => [u.username, u]),
  );
  const channels = CHANNELS.map(([name, display_name, type]) => {
    const c = s.createChannel({ team_id: team.id, name, display_name, type });
    s.addChannelMember(c.id, bot.id);
    for (const u of users.values()) s.addChannelMember(c.id, u.id);
    return c;
  });
  const id = (name: string) => channels.find((c) => c.name === name)!.id;
  const channelsToml = `# The sandbox's channels.toml, written fresh at every start.
whitelist = ["town-square", "announcements", "random"]

[groups]
"All offices" = ["${id("office-berlin")}", "${id("office-paris")}", "${id("office-rome")}"]
"Everyone" = ["${id("town-square")}", "${id("announcements")}", "${id("engineering")}"]

[private_groups]
"Leaders" = ["${id("leadership")}"]

[aliases]
offices = "All offices"
`;
  return { teamName: team.name, bot, users, channels, channelsToml };
}
