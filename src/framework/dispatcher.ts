/**
 * Routes a DM to a command by its first word (`!name`, case-insensitive), or to the app's
 * message handler when it is not a command. `!help`, `help`, `--help` and `man` all name the
 * help command; the bare words count only when they are the whole message, so a broadcast
 * starting with "Help wanted" is not mistaken for a command.
 *
 * @module
 */

import type { MessageContext } from "./context.ts";
import type { Middleware } from "./middleware.ts";
import { excerpt } from "./text.ts";

/** A chat command and its documentation, which `!help` renders. */
export interface Command<C extends MessageContext = MessageContext> {
  /** Name without `!`, lowercase. */
  readonly name: string;
  /** Other names that run the same command (without `!`). */
  readonly aliases?: readonly string[];
  /** Argument synopsis, e.g. `<channel name>`. */
  readonly usage?: string;
  /** One line: what it does. */
  readonly summary: string;
  readonly examples?: readonly string[];
  /** Restricted to ADMIN_USERS: it changes configuration or runs code. */
  readonly adminOnly?: boolean;
  /**
   * Running it changes something (configuration, a task run, a delivery): a copy that arrives
   * late after a restart is not run without asking (see `holdLateSideEffects`).
   */
  readonly sideEffects?: boolean;
  /** `args` is everything after the command word, trimmed (newlines kept). */
  readonly run: (ctx: C, args: string) => Promise<void>;
}

/** The command word and the rest of a message, when it is a command. */
export interface ParsedCommand {
  /** Lowercase name without `!` (`help` for the help spellings). */
  readonly name: string;
  /** As the user typed the word. */
  readonly word: string;
  readonly args: string;
}

const BARE_HELP = new Set(["help", "--help", "man", "-h"]);

/** Recognises a command; undefined for an ordinary message. */
export function parseCommand(text: string): ParsedCommand | undefined {
  const trimmed = text.trim();
  const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (match === null) return undefined;
  const word = match[1];
  const args = (match[2] ?? "").trim();
  if (word.startsWith("!") && word.length > 1) {
    return { name: word.slice(1).toLowerCase(), word, args };
  }
  if (args === "" && BARE_HELP.has(word.toLowerCase())) return { name: "help", word, args };
  return undefined;
}

/**
 * Holds the commands and dispatches to them.
 *
 * @example
 * ```ts
 * import { type Bot, CommandDispatcher } from "@postbot/framework";
 *
 * declare const bot: Bot;
 * const commands = new CommandDispatcher()
 *   .register({ name: "ping", summary: "answers pong", run: (ctx) => ctx.reply("pong") })
 *   .register({
 *     name: "echo",
 *     usage: "<text>",
 *     summary: "repeats the text",
 *     run: (ctx, args) => ctx.reply(args === "" ? "Send `!echo <text>`." : args),
 *   });
 * bot.use(commands.middleware((ctx) => ctx.reply("Send `!ping` or `!echo <text>`.")));
 * ```
 */
export class CommandDispatcher<C extends MessageContext = MessageContext> {
  readonly #commands: Command<C>[] = [];
  readonly #byName = new Map<string, Command<C>>();

  /** Adds a command; a name or alias used twice is a programming error. */
  register(command: Command<C>): this {
    for (const name of [command.name, ...(command.aliases ?? [])]) {
      const key = name.toLowerCase();
      if (this.#byName.has(key)) throw new Error(`command name used twice: ${key}`);
      this.#byName.set(key, command);
    }
    this.#commands.push(command);
    return this;
  }

  /** Every command, in registration order (for `!help`). */
  get commands(): readonly Command<C>[] {
    return this.#commands;
  }

  /** Looks a command up by name or alias. */
  find(name: string): Command<C> | undefined {
    return this.#byName.get(name.toLowerCase().replace(/^!/, ""));
  }

  /**
   * Whether handling `ctx` would change something: for a command, what it declares; for any
   * other message, what `fallback` (the app's message handler) says.
   */
  hasSideEffects(ctx: C, fallback: (ctx: C) => boolean): boolean {
    const parsed = parseCommand(ctx.text);
    if (parsed === undefined) return fallback(ctx);
    return this.#byName.get(parsed.name)?.sideEffects ?? false;
  }

  /**
   * The dispatching middleware: commands run here; other messages go to `fallback` (the
   * app's message handler, e.g. a wizard).
   */
  middleware(fallback: (ctx: C) => Promise<void>): Middleware<C> {
    return async (ctx) => {
      const parsed = parseCommand(ctx.text);
      if (parsed === undefined) return await fallback(ctx);
      const command = this.#byName.get(parsed.name);
      if (command === undefined) {
        await ctx.reply(
          `I don't know the command \`${clip(parsed.word)}\`. Send \`!help\` to see what I can do.`,
        );
        return;
      }
      if (command.adminOnly && !ctx.isAdmin) {
        ctx.log.info("Refused !{command} from {user}: not an admin", {
          command: command.name,
          user: ctx.username,
        });
        await ctx.reply(
          `\`!${command.name}\` changes the bot's configuration or runs code, so it is limited ` +
            "to administrators (ADMIN_USERS). Ask one of them to do it for you.",
        );
        return;
      }
      await command.run(ctx, parsed.args);
    };
  }
}

function clip(word: string): string {
  return excerpt(word.replaceAll("`", "'"), 41);
}
