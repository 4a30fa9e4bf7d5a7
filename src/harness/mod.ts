/**
 * `@postbot/harness`: postbot run as its own process against a Mattermost server, the way the
 * end-to-end tests, the benchmarks and `deno task sandbox` do it. A {@link Backend} is the
 * server (the emulator, fresh per scenario, or the real server of `deno task mattermost`,
 * reused and brought back to a known state); {@link startScenario} seeds the
 * {@link ScenarioWorld} through it, writes a working directory and starts the bot through the
 * start task's own command line; a {@link DmUser} talks to the bot over REST as a person in a
 * DM would. Two more entry points: `@postbot/harness/bot`, the bot process and the REST poster
 * on their own (what `deno task sandbox` uses), and `@postbot/harness/mattermost`, the real
 * server's lifecycle.
 *
 * @example
 * ```ts
 * import { startScenario } from "@postbot/harness";
 *
 * Deno.test("the bot answers !help", async () => {
 *   const s = await startScenario();
 *   try {
 *     const reply = await s.dm(s.world.alice).ask("!help");
 *     console.log(reply.length > 0);
 *   } finally {
 *     await s.stop();
 *   }
 * });
 * ```
 *
 * @module
 */

export {
  BACKEND,
  type Backend,
  type BackendKind,
  type ChannelSpec,
  emulatorOnly,
  isSystemPost,
  type Person,
  type PostSpec,
  realServerOnly,
  type RestAnswer,
  waitFor,
} from "./backend.ts";
export { EmulatorBackend } from "./emulator_backend.ts";
export { sqliteOnly, testsOnPostgres } from "./test_database.ts";
export { RealBackend } from "./real_backend.ts";
export { type ScenarioWorld, seedScenarioWorld, TEAM_NAME } from "./world.ts";
export {
  DEFAULT_CHANNELS_TOML,
  DmUser,
  Scenario,
  type ScenarioOptions,
  startScenario,
} from "./scenario.ts";
