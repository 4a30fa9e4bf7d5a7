/**
 * `!add_alias <alias> <target>`: a short, case-insensitive name for a group or a whitelisted
 * channel, stored lowercase under `[aliases]` in channels.toml.
 *
 * @module
 */

import { type Command, logger } from "@postbot/framework";
import { defuseMentions, visible } from "@postbot/framework/text";
import { aliasProblem, nameKey } from "../channels/parse.ts";
import { code, quote, sharingWarning } from "../format.ts";
import type { ChannelCache } from "../channel_cache.ts";
import type { ChannelsStore } from "../channels/channels_file.ts";
import { suggest } from "../suggest.ts";

const log = logger("aliases");

const USAGE = 'Send `!add_alias <alias> <target>`, e.g. `!add_alias all "All offices"`.';

/** What `!add_alias` needs: the store it writes, and the channels to find targets by name. */
export interface AliasEditing {
  readonly channels: Pick<ChannelsStore, "config" | "addAlias">;
  readonly cache: Pick<ChannelCache, "byId" | "find">;
}

/** Splits the arguments into the alias and the (optionally quoted) target. */
export function parseAliasArgs(args: string): { alias: string; target: string } | undefined {
  const match = /^(\S+)\s+([\s\S]+)$/.exec(args.trim());
  if (match === null) return undefined;
  let target = match[2].trim();
  const quoted = /^"([^"]*)"$/.exec(target) ?? /^'([^']*)'$/.exec(target);
  if (quoted !== null) target = quoted[1].trim();
  if (target === "") return undefined;
  return { alias: match[1], target };
}

/** `!add_alias`. */
export function aliasCommand(s: AliasEditing): Command {
  return {
    name: "add_alias",
    sideEffects: true,
    usage: "<alias> <group or whitelisted channel>",
    summary: "give a group or a whitelisted channel a short name to use in the wizard",
    examples: ['!add_alias all "All offices"', "!add_alias news announcements"],
    adminOnly: true,
    run: async (ctx, args) => {
      const parsed = parseAliasArgs(args);
      if (parsed === undefined) {
        await ctx.reply(`I need an alias and a target. ${USAGE}`);
        return;
      }
      if (/["'\u201c\u201d\u2018\u2019]/.test(parsed.alias)) {
        await ctx.reply(
          `${code(parsed.alias)} can't be an alias: an alias is one word, without spaces or ` +
            `quotes (only the target may be quoted). ${USAGE}`,
        );
        return;
      }
      if (/^[~@]/.test(parsed.alias)) {
        await ctx.reply(
          `${code(parsed.alias)} can't be an alias: a leading ~ marks a channel name and @ a ` +
            `person, so an alias must start with another character. ${USAGE}`,
        );
        return;
      }
      const alias = parsed.alias.toLowerCase();
      const problem = aliasProblem(alias);
      if (problem !== undefined || alias.includes(",")) {
        await ctx.reply(
          `${code(parsed.alias)} can't be an alias: ${problem ?? "it contains a comma"}. ${USAGE}`,
        );
        return;
      }
      const config = s.channels.config;
      const key = nameKey(parsed.target);
      const group = [...config.groups.keys(), ...config.privateGroups.keys()]
        .find((g) => nameKey(g) === key);
      const channel = group === undefined
        ? config.whitelist.find((w) =>
          nameKey(w) === key || s.cache.byId(w)?.name.toLowerCase() === key ||
          nameKey(s.cache.byId(w)?.displayName ?? "\u0000") === key ||
          s.cache.find(w).some((c) => nameKey(c.displayName) === key || c.name === key)
        )
        : undefined;
      const target = group ?? channel;
      if (target === undefined) {
        const ideas = suggest(parsed.target, [
          ...config.groups.keys(),
          ...config.privateGroups.keys(),
          ...config.whitelist,
        ]);
        await ctx.reply(
          `${code(parsed.target)} is neither a group nor a whitelisted channel.` +
            (ideas.length > 0 ? ` Did you mean ${ideas.map((i) => code(i)).join(", ")}?` : "") +
            " See `!get_groups`, or quote a group name that has spaces.",
        );
        return;
      }
      const saved = await s.channels.addAlias(alias, target);
      if (!saved.ok) {
        await ctx.reply(defuseMentions(visible(`Nothing was saved: ${saved.error.message}`)));
        return;
      }
      log.info("{user} added alias {alias} -> {target}", {
        user: ctx.username,
        alias,
        target,
      });
      await ctx.reply(
        `Saved: ${code(alias)} now means ${quote(target, 100)}.` + sharingWarning(saved.warning),
      );
    },
  };
}
