/**
 * A complete test world: a Mattermost server (the emulator, or a real server under
 * `deno task e2e` -- see backend.ts) seeded with a team, a bot account, users and channels, a
 * working directory with channels.toml, and postbot running against it as a separate
 * process. Tests talk to the bot as a user in a DM, over real sockets.
 *
 * Tests reach the server through `s.server` (both backends). `s.emu` is the emulator itself
 * (fault switches, request log): only for tests marked `ignore: emulatorOnly("why")`.
 *
 * @module
 */

import { testDatabaseEnv } from "./test_database.ts";
import type { Channel } from "@mattermost/types/channels";
import type { Post } from "@mattermost/types/posts";
import type { Emulator, EmulatorOptions } from "@postbot/mattermost-emulator";
import { BotProcess } from "./bot_process.ts";
import { type Attachment, postAs } from "./user_client.ts";
import {
  BACKEND,
  type Backend,
  type BackendKind,
  isSystemPost,
  type Person,
  waitFor,
} from "./backend.ts";
import { EmulatorBackend } from "./emulator_backend.ts";
import { RealBackend } from "./real_backend.ts";
import { type ScenarioWorld, seedScenarioWorld, TEAM_NAME } from "./world.ts";

export type { Person } from "./backend.ts";
export type { ScenarioWorld } from "./world.ts";

/** What {@link startScenario} sets up; everything optional. */
export interface ScenarioOptions {
  /** Extra or overriding environment of the bot. */
  readonly env?: Record<string, string>;
  /** channels.toml text; `{{name}}` is replaced by the id of seeded channel `name`. */
  readonly channelsToml?: string;
  /** More files in the working directory (relative path -> content). */
  readonly files?: Record<string, string>;
  /** Number of extra public channels `bulk-0`... the bot is a member of. */
  readonly bulkChannels?: number;
  /** Start the bot process (default true). */
  readonly startBot?: boolean;
  /** The server kind; default POSTBOT_E2E_BACKEND's (the benchmarks ask for both). */
  readonly backend?: BackendKind;
  /** Options of the emulator (TLS, maximum file size); emulator-only. */
  readonly emulator?: EmulatorOptions;
  /** PEM CA certificate the test's own requests trust (for a TLS emulator). */
  readonly caCert?: string;
  /** More options of the HTTP client the test's own requests use (e.g. no pooling). */
  readonly userHttp?: Deno.CreateHttpClientOptions;
  /**
   * Called after seeding, before the bot starts, on either backend: create more channels,
   * users and memberships through `server` (add them to `world.channels` to use them in
   * `{{name}}` placeholders).
   */
  readonly prepare?: (server: Backend, world: ScenarioWorld) => void | Promise<void>;
  /**
   * Emulator-only seeding straight into the emulator's store (kept for older tests); a
   * scenario with `seed` cannot run on a real server, so prefer {@link prepare}.
   */
  readonly seed?: (emu: Emulator, world: ScenarioWorld) => void | Promise<void>;
}

/** A running test world. Stop it in a `finally`. */
export class Scenario {
  /** The server under test. */
  readonly server: Backend;
  readonly world: ScenarioWorld;
  readonly dir: string;
  readonly env: Record<string, string>;
  /** The HTTP client the test's own requests use (trusts `caCert` when given). */
  readonly http: Deno.HttpClient | undefined;
  readonly #dms: Map<string, Channel>;
  #bot: BotProcess | undefined;

  constructor(
    server: Backend,
    world: ScenarioWorld,
    dir: string,
    env: Record<string, string>,
    http?: Deno.HttpClient,
    dms: Map<string, Channel> = new Map(),
  ) {
    this.server = server;
    this.world = world;
    this.dir = dir;
    this.env = env;
    this.http = http;
    this.#dms = dms;
  }

  /**
   * The emulator (fault switches, request log, direct store access). Throws on a real server:
   * a test that needs it must be marked `ignore: emulatorOnly("...")`.
   */
  get emu(): Emulator {
    const emu = this.server.emulator;
    if (emu === undefined) {
      throw new Error(
        "this test uses the emulator (s.emu) but runs on a real server: use s.server, " +
          'or mark it `ignore: emulatorOnly("why")`',
      );
    }
    return emu;
  }

  /** The server's base URL. */
  get url(): string {
    return this.server.url;
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
    await bot.waitForOutput(/postbot is ready/, 60_000);
    return bot;
  }

  /** Starts the bot without waiting for readiness (for startup-failure tests). */
  spawnBot(extraEnv: Record<string, string> = {}, args: string[] = []): BotProcess {
    const bot = BotProcess.spawn({ cwd: this.dir, env: { ...this.env, ...extraEnv }, args });
    this.#bot = bot;
    return bot;
  }

  /** The DM channel between `person` and the bot. */
  dmChannel(person: Person): Channel {
    const known = this.#dms.get(person.user.id);
    if (known !== undefined) return known;
    const emu = this.server.emulator;
    if (emu === undefined) {
      throw new Error(`no DM channel with @${person.user.username}: create users in prepare()`);
    }
    return emu.store.directChannel(person.user.id, this.world.bot.user.id);
  }

  /** A DM conversation between `person` and the bot. */
  dm(person: Person): DmUser {
    return new DmUser(this, person);
  }

  /** Polls `probe` until it gives a truthy value (polling the real server less often). */
  waitFor<T>(
    probe: () => T | undefined | false | null | Promise<T | undefined | false | null>,
    options: { timeoutMs?: number; message?: string } = {},
  ): Promise<T> {
    return waitFor(probe, { ...options, intervalMs: this.server.pollIntervalMs });
  }

  /** The server's live posts in a channel since the scenario started, oldest first. */
  postsIn(channelId: string): Promise<Post[]> {
    return this.server.postsIn(channelId);
  }

  /** The bot's own posts in a channel (system join/leave posts skipped), oldest first. */
  async botPostsIn(channelId: string): Promise<Post[]> {
    return (await this.server.postsIn(channelId)).filter((p) =>
      p.user_id === this.world.bot.user.id && !isSystemPost(p)
    );
  }

  /** The current channels.toml text. */
  channelsToml(): string {
    return Deno.readTextFileSync(`${this.dir}/channels.toml`);
  }

  /** Stops the bot (SIGTERM) and releases the server, removes the directory. */
  async stop(): Promise<void> {
    if (this.#bot !== undefined) await this.#bot.stop();
    await this.server.stop();
    this.http?.close();
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** A user talking to the bot in their DM channel through the REST API. */
export class DmUser {
  readonly #scenario: Scenario;
  readonly person: Person;
  readonly channel: Channel;
  /** Bot posts created before this instant are not this conversation's. */
  readonly #since: number;
  #seen = 0;

  constructor(scenario: Scenario, person: Person) {
    this.#scenario = scenario;
    this.person = person;
    this.channel = scenario.dmChannel(person);
    // The emulator keeps post times strictly increasing, so they can run a few ms ahead of
    // the clock: start after its newest post in this DM too.
    const newest = scenario.server.emulator?.store.postsIn(this.channel.id).at(-1)?.create_at;
    this.#since = Math.max(Date.now(), (newest ?? 0) + 1);
  }

  /** Posts a message (with files, uploaded first) as this user, through the REST API. */
  send(message: string, files: readonly Attachment[] = []): Promise<Post> {
    return postAs(
      this.#scenario.url,
      this.person.token,
      this.channel.id,
      message,
      files,
      this.#scenario.http,
    );
  }

  /** The bot's posts in this DM since this conversation began, oldest first. */
  async botPosts(): Promise<Post[]> {
    return (await this.#scenario.botPostsIn(this.channel.id)).filter((p) =>
      p.create_at >= this.#since
    );
  }

  /** Waits for the bot's next post in this DM (after those already consumed). */
  async reply(timeoutMs = 15_000): Promise<string> {
    const post = await this.#scenario.waitFor(async () => (await this.botPosts())[this.#seen], {
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
  async drain(): Promise<string[]> {
    const all = (await this.botPosts()).slice(this.#seen).map((p) => p.message);
    this.#seen += all.length;
    return all;
  }
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

async function openBackend(options: ScenarioOptions): Promise<Backend> {
  if ((options.backend ?? BACKEND) === "emulator") {
    return await EmulatorBackend.start(options.emulator);
  }
  if (options.seed !== undefined) {
    throw new Error(
      "this scenario seeds the emulator's store (seed), which a real server does not have: " +
        'use prepare(server, world), or mark the test `ignore: emulatorOnly("why")`',
    );
  }
  return await RealBackend.open();
}

/**
 * Seeds the server, writes the working directory, and (by default) starts the bot. Stop the
 * scenario in a `finally`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startScenario } from "@postbot/harness";
 *
 * Deno.test("an unknown command gets an answer", async () => {
 *   const s = await startScenario({ env: { UNDO_WINDOW_SECONDS: "60" } });
 *   try {
 *     assert.match(await s.dm(s.world.bob).ask("!nope"), /nope/);
 *   } finally {
 *     await s.stop();
 *   }
 * });
 * ```
 */
export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const server = await openBackend(options);
  server.epoch = Date.now();
  let world: ScenarioWorld;
  const dms = new Map<string, Channel>();
  try {
    world = await seedScenarioWorld(server, options.bulkChannels ?? 0);
    if (options.seed !== undefined) await options.seed(server.emulator!, world);
    await options.prepare?.(server, world);
    await server.archiveOtherChannels(
      world.team.id,
      new Set(Object.values(world.channels).map((c) => c.id)),
    );
    if (server instanceof RealBackend) {
      for (const id of server.knownUsers()) {
        if (id === world.bot.user.id) continue;
        dms.set(id, await server.directChannel(id, world.bot.user.id));
      }
    }
  } catch (e) {
    await server.stop();
    throw e;
  }

  const dir = await Deno.makeTempDir({ prefix: "postbot-test-" });
  const toml = (options.channelsToml ?? DEFAULT_CHANNELS_TOML).replace(
    /\{\{([a-z0-9-]+)\}\}/g,
    (_, name) => world.channels[name]?.id ?? `unknown-${name}`,
  );
  await Deno.writeTextFile(`${dir}/channels.toml`, toml);
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(full, content);
  }
  const env = {
    URL: server.url,
    TOKEN: world.bot.token,
    TEAM_NAME,
    ADMIN_USERS: "alice",
    CONSOLE_LOG_LEVEL: "INFO",
    // The guard for big sends is off unless a test is about it (tests/guard_test.ts): most
    // tests answer a bare "yes" to previews of 30 and more channels.
    BROADCAST_CONFIRM_THRESHOLD: "0",
    // The tests talk at machine speed, a hundred messages a minute from one user: the rate
    // limit per sender stays on but high, unless a test is about it (bots_and_floods_test.ts).
    USER_RATE_LIMIT: "1000",
    // POSTBOT_TEST_DATABASE=postgres: the same tests on a shared PostgreSQL store.
    ...await testDatabaseEnv(),
    ...options.env,
  };
  const http = options.caCert === undefined && options.userHttp === undefined
    ? undefined
    : Deno.createHttpClient({
      ...options.userHttp,
      ...(options.caCert !== undefined ? { caCerts: [options.caCert] } : {}),
    });
  const scenario = new Scenario(server, world, dir, env, http, dms);
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
