/**
 * `@postbot/harness/bot`: postbot as a separate process started exactly as `deno task start`
 * starts it (the start task's own command line from deno.json), and a person posting to it
 * through the REST API. Loads nothing that reads the environment or the system, so a tool
 * with few permissions (`deno task sandbox`) can use it without the rest of the harness.
 *
 * @example
 * ```ts
 * import { BotProcess, postAs } from "@postbot/harness/bot";
 *
 * const bot = BotProcess.spawn({ cwd: "/tmp/postbot-run", env: { URL: "http://127.0.0.1:8065" } });
 * await bot.waitForOutput(/postbot is ready/, 60_000);
 * await postAs("http://127.0.0.1:8065", "a-token", "a-dm-channel-id", "Hello");
 * await bot.stop();
 * ```
 *
 * @module
 */

export { BotProcess, taskArgs, taskEnv } from "./bot_process.ts";
export { type Attachment, postAs } from "./user_client.ts";
export { REPO_ROOT, repoPath } from "./repo.ts";
