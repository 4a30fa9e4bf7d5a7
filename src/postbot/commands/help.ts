/**
 * `!help`: the wizard and every command, generated from the registered commands so it can
 * never fall out of date.
 *
 * @module
 */

import type { Command, CommandDispatcher } from "@postbot/framework";

/** `!help` (also `help`, `--help`, `man`). */
export function helpCommand(dispatcher: () => CommandDispatcher): Command {
  return {
    name: "help",
    aliases: ["man"],
    summary: "this help",
    run: async (ctx) => {
      const lines = [
        "#### Send one message to many channels",
        "1. Send me the message, with its files attached (up to 10 files, 16,383 characters).",
        "2. I ask where it should go: answer with groups, aliases or channels, separated by " +
        "commas \u2014 for example `all offices, ~announcements`.",
        "3. I show a preview: who receives it, the files, the start of the message. Answer " +
        "`yes` to send or `no` to cancel. For a big send (BROADCAST_CONFIRM_THRESHOLD channels, 25 by default) " +
        "answer with the number of channels, e.g. `yes 42`.",
        "   To send it later, answer `at <time>` in your own time zone (your Mattermost " +
        "profile's): `at 09:00`, `at tomorrow 9:00`, `at monday 9:00`, `at 2026-12-01 09:00`, " +
        "`in 2h`, `in 30 min`. I repeat the time with date and zone; a big send then asks for " +
        "`yes <number>`.",
        "4. I report where it arrived and where it could not be delivered, and why. " +
        "`!status <id>` shows reactions and replies per channel; `!edit <id>` changes the text.",
        "",
        "Commands work at any time, even in the middle of a broadcast.",
        "",
        "#### Commands",
      ];
      for (const c of dispatcher().commands) {
        const usage = c.usage ? ` ${c.usage}` : "";
        const admin = c.adminOnly ? " _(administrators only)_" : "";
        lines.push(`- \`!${c.name}${usage}\` \u2014 ${c.summary}${admin}`);
        for (const example of c.examples ?? []) lines.push(`  - e.g. \`${example}\``);
      }
      await ctx.reply(lines.join("\n"));
    },
  };
}
