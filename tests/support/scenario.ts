/**
 * A complete test world: an emulated Mattermost server seeded with a team, a bot account,
 * users and channels, a working directory with channels.toml, and postbot running against it
 * as a separate process. Tests talk to the bot as a user in a DM, over real sockets.
 *
 * @module
 */

import type { Channel } from "@mattermost/types/channels";
import type { Post } from "@mattermost/types/posts";
import type { Team } from "@mattermost/types/teams";
import type { UserProfile } from "@mattermost/types/users";
import {
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from "../../src/sandbox/emulator/mod.ts";
import { BotProcess } from "../../src/sandbox/bot_process.ts";
import { type Attachment, postAs } from "../../src/sandbox/user_client.ts";

/** A person in the test world, with a token for the REST API. */
export interface Person {
  readonly user: UserProfile;
  readonly token: string;
}

/** What {@link startScenario} sets up; everything optional. */
export interface ScenarioOptions {
  /** Extra or overriding environment of the bot. */
  readonly env?: Record<string, string>;
  /** channels.toml text; `{{name}}` is replaced by the id of seeded channel `name`. */
  readonly channelsToml?: string;
  /** More files in the working directory (relative path → content). */
  readonly files?: Record<string, string>;
  /** Number of extra public channels `bulk-0`… the bot is a member of. */
  readonly bulkChannels?: number;
  /** Start the bot process (default true). */
  readonly startBot?: boolean;
  /** Options of the emulator (TLS, maximum file size). */
  readonly emulator?: EmulatorOptions;
  /** PEM CA certificate the test's own requests trust (for a TLS emulator). */
  readonly caCert?: string;
  /** Called after seeding, before the bot starts. */
  readonly seed?: (emu: Emulator, world: World) => void | Promise<void>;
}

/** The seeded data. */
export interface World {
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

/** Default channels.toml of the test world. */
export const DEFAULT_CHANNELS_TOML = `# test channels
whitelist = ["town-square", "announcements"]

[groups]
"All offices" = ["{{office-berlin}}", "{{office-paris}}", "{{office-rome}}"]
Engineering = ["{{engineering}}", "{{town-square}}"]

[private_groups]
Managers = ["{{managers}}"]

[aliases]
all = "All offices"
`;

/** A running test world. Stop it in a `finally`. */
export class Scenario {
  readonly emu: Emulator;
  readonly world: World;
  readonly dir: string;
  readonly env: Record<string, string>;
  /** The HTTP client the test's own requests use (trusts `caCert` when given). */
  readonly http: Deno.HttpClient | undefined;
  #bot: BotProcess | undefined;

  constructor(
    emu: Emulator,
    world: World,
    dir: string,
    env: Record<string, string>,
    http?: Deno.HttpClient,
  ) {
    this.emu = emu;
    this.world = world;
    this.dir = dir;
    this.env = env;
    this.http = http;
  }

  /** The bot process (throws when it was not started). */
  get bot(): BotProcess {
    if (this.#bot === undefined) throw new Error("bot not started");
    return this.#bot;
  }

  /** Starts postbot and waits until it says it is ready. */
  async startBot(extraEnv: Record<string, string> = {}): Promise<BotProcess> {
    const bot = BotProcess.spawn({ cwd: this.dir, env: { ...this.env, ...extraEnv } });
    this.#bot = bot;
    await bot.waitForOutput(/postbot is ready/);
    return bot;
  }

  /** Starts the bot without waiting for readiness (for startup-failure tests). */
  spawnBot(extraEnv: Record<string, string> = {}, args: string[] = []): BotProcess {
    const bot = BotProcess.spawn({ cwd: this.dir, env: { ...this.env, ...extraEnv }, args });
    this.#bot = bot;
    return bot;
  }

  /** A DM conversation between `person` and the bot. */
  dm(person: Person): DmUser {
    return new DmUser(this, person);
  }

  /** The current channels.toml text. */
  channelsToml(): string {
    return Deno.readTextFileSync(`${this.dir}/channels.toml`);
  }

  /** Stops the bot (SIGTERM) and the emulator, removes the directory. */
  async stop(): Promise<void> {
    if (this.#bot !== undefined) await this.#bot.stop();
    await this.emu.stop();
    this.http?.close();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A user talking to the bot in their DM channel through the REST API. */
export class DmUser {
  readonly #scenario: Scenario;
  readonly person: Person;
  readonly channel: Channel;
  #seen = 0;

  constructor(scenario: Scenario, person: Person) {
    this.#scenario = scenario;
    this.person = person;
    this.channel = scenario.emu.store.directChannel(person.user.id, scenario.world.bot.user.id);
    this.#seen = this.botPosts().length;
  }

  /** Posts a message (with files, uploaded first) as this user, through the REST API. */
  send(message: string, files: readonly Attachment[] = []): Promise<Post> {
    return postAs(
      this.#scenario.emu.url,
      this.person.token,
      this.channel.id,
      message,
      files,
      this.#scenario.http,
    );
  }

  /** The bot's posts in this DM, oldest first. */
  botPosts(): Post[] {
    return this.#scenario.emu.store.postsIn(this.channel.id)
      .filter((p) => p.user_id === this.#scenario.world.bot.user.id);
  }

  /** Waits for the bot's next post in this DM (after those already consumed). */
  async reply(timeoutMs = 15_000): Promise<string> {
    const post = await this.#scenario.emu.waitFor(() => this.botPosts()[this.#seen], {
      timeoutMs,
      message: `no reply from the bot to @${this.person.user.username} within ${timeoutMs} ms`,
    });
    this.#seen++;
    return post.message;
  }

  /** Waits for the next reply that matches; earlier non-matching replies are skipped. */
  async replyMatching(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const skipped: string[] = [];
    while (true) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`no reply matching ${pattern}; got:\n${skipped.join("\n---\n")}`);
      }
      let text: string;
      try {
        text = await this.reply(left);
      } catch {
        throw new Error(`no reply matching ${pattern}; got:\n${skipped.join("\n---\n")}`);
      }
      if (pattern.test(text)) return text;
      skipped.push(text);
    }
  }

  /** Sends and returns the next reply. */
  async ask(message: string, files: { name: string; bytes: Uint8Array }[] = []): Promise<string> {
    await this.send(message, files);
    return await this.reply();
  }

  /** Replies received but not consumed yet... and marks them consumed. */
  drain(): string[] {
    const all = this.botPosts().slice(this.#seen).map((p) => p.message);
    this.#seen += all.length;
    return all;
  }
}

/** Seeds the emulator, writes the working directory, and (by default) starts the bot. */
export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const emu = await startEmulator(options.emulator);
  const s = emu.store;
  const team = s.createTeam({ name: "staff", display_name: "Staff" });
  const person = (username: string, extra: { is_bot?: boolean } = {}): Person => {
    const created = s.createUser({ username, ...extra });
    return { user: created.user, token: created.token };
  };
  const bot = person("postbot", { is_bot: true });
  const alice = person("alice");
  const bob = person("bob");
  const carol = person("carol");
  const outsider = person("mallory");
  for (const p of [bot, alice, bob, carol]) s.addTeamMember(team.id, p.user.id);
  const channels: Record<string, Channel> = {};
  const channel = (name: string, display: string, type: "O" | "P", members: Person[]) => {
    const c = s.createChannel({ team_id: team.id, name, display_name: display, type });
    for (const m of members) s.addChannelMember(c.id, m.user.id);
    channels[name] = c;
  };
  channel("town-square", "Town Square", "O", [bot, alice, bob, carol]);
  channel("announcements", "Announcements", "O", [bot, alice]);
  channel("office-berlin", "Office Berlin", "O", [bot, alice]);
  channel("office-paris", "Office Paris", "O", [bot, bob]);
  channel("office-rome", "Office Rome", "O", [bot]);
  channel("engineering", "Engineering", "O", [bot, bob]);
  channel("random", "Random", "O", [bot, alice, bob]);
  channel("no-bot", "No Bot Here", "O", [alice]);
  channel("managers", "Managers", "P", [bot, alice]);
  channel("secret", "Secret", "P", [alice]);
  channel("bot-log", "Bot Log", "P", [bot, alice]);
  for (let i = 0; i < (options.bulkChannels ?? 0); i++) {
    channel(`bulk-${i}`, `Bulk ${i}`, "O", [bot]);
  }
  const world: World = { team, bot, alice, bob, carol, outsider, channels };
  await options.seed?.(emu, world);

  const dir = await Deno.makeTempDir({ prefix: "postbot-test-" });
  const toml = (options.channelsToml ?? DEFAULT_CHANNELS_TOML).replace(
    /\{\{([a-z0-9-]+)\}\}/g,
    (_, name) => channels[name]?.id ?? `unknown-${name}`,
  );
  await Deno.writeTextFile(`${dir}/channels.toml`, toml);
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
  const env = {
    URL: emu.url,
    TOKEN: bot.token,
    TEAM_NAME: "staff",
    ADMIN_USERS: "alice",
    CONSOLE_LOG_LEVEL: "INFO",
    // The guard for big sends is off unless a test is about it (tests/guard_test.ts): most
    // tests answer a bare "yes" to previews of 30 and more channels.
    BROADCAST_CONFIRM_THRESHOLD: "0",
    ...options.env,
  };
  const http = options.caCert === undefined
    ? undefined
    : Deno.createHttpClient({ caCerts: [options.caCert] });
  const scenario = new Scenario(emu, world, dir, env, http);
  if (options.startBot ?? true) {
    try {
      await scenario.startBot();
    } catch (e) {
      await scenario.stop();
      throw e;
    }
  }
  return scenario;
}
