/**
 * Group commands: `!get_groups`, `!get_private_groups`, `!add_group`, `!add_private_group`.
 *
 * @module
 */

import type { AudienceRules } from "../channels/audience_rules.ts";
import { resolveChannelEntry, type TeamSnapshot } from "../channels_rules.ts";
import { isChannelName, nameKey } from "../channels/parse.ts";
import { sendersText, userText } from "../targets/audiences.ts";
import { type Command, logger } from "@postbot/framework";
import { defuseMentions, visible } from "@postbot/framework/text";
import type { GroupTable } from "../channels/parse.ts";
import { type GroupDefinition, parseGroupInput } from "../channels/group_input.ts";
import { code, plural, quote, sharingWarning } from "../format.ts";
import type { ChannelCache } from "../channel_cache.ts";
import type { ChannelsStore } from "../channels/channels_file.ts";
import { type ChannelPrivacy, hiddenChannelsText } from "../privacy.ts";

const log = logger("groups");

/** What the group listings read. */
export interface GroupListing {
  readonly channels: Pick<ChannelsStore, "config">;
  readonly cache: Pick<ChannelCache, "byId">;
  readonly privacy: Pick<ChannelPrivacy, "viewer">;
}

/** What adding groups needs: the store it writes, the channels it checks, the audit channel. */
export interface GroupEditing {
  readonly channels: Pick<ChannelsStore, "addGroups">;
  readonly cache: Pick<ChannelCache, "byId" | "lookup" | "find">;
  /** BOT_LOG_CHANNEL_ID ("" when none): never in a group. */
  readonly auditChannelId: string;
  /** Read again before a group with senders or approvers is saved (they are checked). */
  readonly team?: Pick<TeamSnapshot, "refresh">;
}

/** `!get_groups` / `!get_private_groups`: groups with their channels' display names. */
export function listGroupsCommand(s: GroupListing, table: GroupTable): Command {
  const isPublic = table === "groups";
  return {
    name: isPublic ? "get_groups" : "get_private_groups",
    summary: isPublic
      ? "list the public groups and their channels"
      : "list the private groups (usable by name, never offered in the wizard)",
    run: async (ctx) => {
      const config = s.channels.config;
      const groups = isPublic ? config.groups : config.privateGroups;
      if (groups.size === 0) {
        await ctx.reply(
          `There are no ${isPublic ? "public" : "private"} groups yet. An administrator can ` +
            `add one with \`!add_${isPublic ? "" : "private_"}group\` (see \`!help\`).`,
        );
        return;
      }
      const lines = [`**${plural(groups.size, isPublic ? "group" : "private group")}:**`];
      // Private channels are named only to their members (and admins); the rest are counted.
      const viewer = s.privacy.viewer(ctx.userId, ctx.isAdmin);
      for (const [name, ids] of groups) {
        const names: string[] = [];
        let unseen = 0;
        let hidden = 0;
        for (const id of ids) {
          const c = s.cache.byId(id);
          if (c === undefined) {
            if (ctx.isAdmin) names.push(`\`${id}\` _(not visible to me)_`);
            else unseen++;
          } else if (await viewer.canSee(c)) {
            names.push(quote(c.displayName, 64));
          } else hidden++;
        }
        if (hidden > 0) names.push(hiddenChannelsText(hidden));
        if (unseen > 0) names.push(`${plural(unseen, "channel")} I can't see`);
        lines.push(
          `- **${quote(name, 100)}** (${plural(ids.length, "channel")}): ${names.join(", ")}` +
            (ctx.isAdmin ? rulesText(config.rules?.get(nameKey(name))) : ""),
        );
      }
      const aliases = [...config.aliases].filter(([, target]) => groups.has(target));
      if (aliases.length > 0) {
        lines.push(
          "",
          "**Aliases:** " + aliases.map(([a, t]) => `${code(a)} \u2192 ${quote(t)}`).join(", "),
        );
      }
      await ctx.reply(lines.join("\n"));
    },
  };
}

/** `!add_group <TOML>` / `!add_private_group <TOML>`: add groups to channels.toml. */
export function addGroupCommand(s: GroupEditing, table: GroupTable): Command {
  const isPublic = table === "groups";
  const name = isPublic ? "add_group" : "add_private_group";
  return {
    name,
    sideEffects: true,
    usage: '"Name" = ["channel id", \u2026]',
    summary: isPublic
      ? "add one or more public groups (one TOML line each) to channels.toml"
      : "add private groups: usable by name, never offered in the wizard",
    examples: [
      `!${name} "Office Berlin" = ["abcdefghijklmnopqrstuvwxyz"]`,
      `!${name} "All staff" = { channels = ["town-square"], senders = ["comms-lead"], ` +
      'approvers = ["ceo-office"], approvals = 1 }',
    ],
    adminOnly: true,
    run: async (ctx, args) => {
      const parsed = parseGroupInput(args, { command: `!${name}` });
      if (!parsed.ok) {
        await ctx.reply(defuseMentions(visible(parsed.error.message)));
        return;
      }
      const audit = s.auditChannelId;
      // Channels named by name count as the channel they name (see channels_rules.ts).
      const ids = (def: GroupDefinition) =>
        def.channelIds.map((entry) => resolveChannelEntry(entry, s.cache));
      const auditGroups = parsed.value.filter((def) => audit !== "" && ids(def).includes(audit));
      if (auditGroups.length > 0) {
        await ctx.reply(
          `Nothing was saved: ${
            auditGroups.map((def) => quote(def.name, 100)).join(", ")
          } would contain \`${audit}\`, the bot's audit channel (BOT_LOG_CHANNEL_ID), which ` +
            "never receives broadcasts: only the bot's own audit lines go there. Remove that " +
            "id and send the command again.",
        );
        return;
      }
      const { unknown, live } = await unseenChannels(s, parsed.value.flatMap(ids));
      if (unknown.length > 0) {
        const shown = unknown.slice(0, 10).map((id) => `\`${id}\``).join(", ");
        await ctx.reply(
          `Nothing was saved: I can't see ${plural(unknown.length, "channel")} in this team: ` +
            `${shown}${unknown.length > 10 ? ", \u2026" : ""}. Check the ids and names with ` +
            "`!channels` (private channels need the bot as a member), then send the command " +
            "again.",
        );
        return;
      }
      if (parsed.value.some((def) => def.rules !== undefined)) await s.team?.refresh();
      const saved = await s.channels.addGroups(table, parsed.value);
      if (!saved.ok) {
        await ctx.reply(defuseMentions(visible(`Nothing was saved: ${saved.error.message}`)));
        return;
      }
      for (const def of parsed.value) {
        log.info("{user} added {table} group {group} with {n} channels", {
          user: ctx.username,
          table,
          group: def.name,
          n: def.channelIds.length,
        });
      }
      const lines = parsed.value.map((def) =>
        `- **${quote(def.name, 100)}**: ${
          ids(def).map((id) => quote(s.cache.byId(id)?.displayName ?? id, 64)).join(", ")
        }`
      );
      await ctx.reply(
        `Saved ${plural(parsed.value.length, isPublic ? "group" : "private group")} to ` +
          `channels.toml:\n${lines.join("\n")}` +
          (live ? "\n_Some channels are newer than my list; send `!refresh_channels`._" : "") +
          sharingWarning(saved.warning),
      );
    },
  };
}

/** The channels (ids, or names that named none) the bot does not see; whether some were new. */
async function unseenChannels(
  s: GroupEditing,
  entries: readonly string[],
): Promise<{ unknown: string[]; live: boolean }> {
  const unknown: string[] = [];
  let live = false;
  for (const entry of entries) {
    const found = isChannelName(entry) ? undefined : await s.cache.lookup(entry);
    if (found === undefined || found.channel.archived) unknown.push(entry);
    else if (found.live) live = true;
  }
  return { unknown, live };
}

/** A group's rules as administrators read them in `!get_groups`; "" when it has none. */
function rulesText(rules: AudienceRules | undefined): string {
  if (rules === undefined) return "";
  const parts: string[] = [];
  if (rules.senders !== undefined) parts.push(`senders: ${sendersText(rules)}`);
  if (rules.approvers.length > 0) {
    parts.push(
      `needs ${plural(rules.approvals, "approval")} of ${rules.approvers.map(userText).join(", ")}`,
    );
  }
  return parts.length === 0 ? "" : ` \u2014 ${parts.join("; ")}`;
}
