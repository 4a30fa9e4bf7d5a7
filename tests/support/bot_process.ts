/**
 * The bot process runner lives with the sandbox, which uses it too.
 *
 * @module
 */

export { BotProcess, repoPath, taskArgs, taskEnv } from "../../src/devtools/bot_process.ts";
