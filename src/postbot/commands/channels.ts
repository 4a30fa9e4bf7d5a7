/**
 * Commands that show what the bot can reach: `!channels`, `!id`, `!refresh_channels`.
 *
 * @module
 */

import { type Command, isMattermostId } from "@postbot/framework";
import { channelLine, code, plural } from "../format.ts";
import type { ChannelCache } from "../channel_cache.ts";
import { type ChannelPrivacy, visibleTo } from "../privacy.ts";
import { suggest } from "../suggest.ts";

/** What `!channels` and `!id` read: the channel list, and who may see which channel. */
export interface ChannelDirectory {
  readonly cache: Pick<ChannelCache, "all" | "find" | "lookup" | "lookupByName">;
  readonly privacy: Pick<ChannelPrivacy, "viewer">;
}

/**
 * `!channels`: every channel the bot can reach, one per line -- private ones only to their
 * members (and admins).
 */
export function channelsCommand(s: ChannelDirectory): Command {
  return {
    name: "channels",
    summary: "list every channel I can reach in the team: display name, name and id",
    run: async (ctx) => {
      const viewer = s.privacy.viewer(ctx.userId, ctx.isAdmin);
      const channels = await visibleTo(viewer, s.cache.all().filter((c) => !c.archived), (c) => c);
      if (channels.length === 0) {
        await ctx.reply(
          "I can't see any channels in this team yet. If channels were just created, send " +
            "`!refresh_channels`.",
        );
        return;
      }
      const pub = channels.filter((c) => c.type === "O").length;
      await ctx.reply(
        `**${plural(channels.length, "channel")}** I can reach (${pub} public, ` +
          `${channels.length - pub} private):\n` + channels.map(channelLine).join("\n"),
      );
    },
  };
}

/**
 * `!id <channel name>`: the id of a channel, by name or display name. A private channel the
 * sender is not in is unknown to them, exactly like one that does not exist.
 */
export function idCommand(s: ChannelDirectory): Command {
  return {
    name: "id",
    usage: "<channel name>",
    summary: "show a channel's id, found by name or display name (case-insensitive)",
    examples: ["!id town-square", "!id Town Square"],
    run: async (ctx, args) => {
      const wanted = args.trim();
      if (wanted === "") {
        await ctx.reply("Which channel? Send `!id <channel name>`, for example `!id town-square`.");
        return;
      }
      if (Array.from(wanted).length > 200) {
        await ctx.reply(
          "That is longer than any channel name (at most 64 characters for a name). " +
            "Send `!id <channel name>`.",
        );
        return;
      }
      const viewer = s.privacy.viewer(ctx.userId, ctx.isAdmin);
      let found = await visibleTo(viewer, s.cache.find(wanted), (c) => c);
      let note = "";
      if (found.length === 0) {
        const live = isMattermostId(wanted)
          ? (await s.cache.lookup(wanted))?.channel
          : await s.cache.lookupByName(wanted);
        if (live !== undefined && await viewer.canSee(live)) {
          found = [live];
          note = "\n_This channel is newer than my channel list; send `!refresh_channels` " +
            "to reload it._";
        }
      }
      if (found.length === 0) {
        const ideas = suggest(
          wanted,
          (await visibleTo(viewer, s.cache.all(), (c) => c)).flatMap((c) => [
            c.name,
            c.displayName,
          ]),
        );
        await ctx.reply(
          `I can't find a channel called ${code(wanted)}.` +
            (ideas.length > 0 ? ` Did you mean ${ideas.map((i) => code(i)).join(", ")}?` : "") +
            " Send `!channels` for the full list.",
        );
        return;
      }
      if (found.length > 1) {
        await ctx.reply(
          `${plural(found.length, "channel")} match ${code(wanted)}; use the name to pick one:\n` +
            found.map(channelLine).join("\n"),
        );
        return;
      }
      const c = found[0];
      await ctx.reply(`${channelLine(c)}\nId: \`${c.id}\`${note}`);
    },
  };
}

/** `!refresh_channels`: reload the channel cache now. */
export function refreshCommand(cache: Pick<ChannelCache, "refresh">): Command {
  return {
    name: "refresh_channels",
    summary: "reload my list of channels now (it also reloads by itself every hour)",
    run: async (ctx) => {
      const r = await cache.refresh();
      await ctx.reply(
        `Channel list reloaded: ${plural(r.publicChannels, "public channel")} and ` +
          `${plural(r.privateChannels, "private channel")} in ${r.durationMs} ms.`,
      );
    },
  };
}
