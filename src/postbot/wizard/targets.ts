/**
 * Turning the user's answer ("all offices, ~announcements, q1w2…") into channels.
 *
 * Tokens are comma-separated, trimmed and case-insensitive, and each is tried in this order:
 * alias → group (public or private) → whitelisted channel by name or display name → channel
 * id. A channel that exists but is not whitelisted is refused by name. A raw channel id is
 * accepted only when the bot can post there and the channel is whitelisted, in a group, or
 * the sender is a member: nobody can use the bot to post where they could not post
 * themselves. A channel reached through several tokens is sent to once.
 *
 * @module
 */

import { isMattermostId } from "../../framework/mattermost_id.ts";
import { err, ok, type Result } from "../../framework/result.ts";
import type { CachedChannel, ChannelCache } from "../channel_cache.ts";
import { type ChannelsConfig, nameKey } from "../channels/config.ts";
import { code } from "../format.ts";
import { suggest } from "../suggest.ts";
import type { BroadcastTarget } from "../broadcast/log.ts";

/** A recipient channel and the tokens that selected it. */
export interface ResolvedTarget extends BroadcastTarget {
  readonly via: readonly string[];
  readonly botIsMember: boolean;
  readonly type: "O" | "P";
}

/** The recipients, plus remarks for the preview (skipped channels). */
export interface Resolution {
  readonly targets: readonly ResolvedTarget[];
  readonly warnings: readonly string[];
}

/** What resolution needs to know. */
export interface ResolveContext {
  readonly config: ChannelsConfig;
  readonly cache: ChannelCache;
  /** Whether the sender is a member of a channel (for raw ids). */
  readonly senderIsMember: (channelId: string) => Promise<boolean>;
}

/** Channels named in the "I am not a member" warning before the rest is counted. */
const WARNED_NAMES = 10;

/** Longest answer accepted (characters). */
export const MAX_ANSWER_LENGTH = 4_000;
/** Most tokens in one answer. */
export const MAX_TOKENS = 100;

/** A token as echoed back: control characters (NUL, ESC…) would garble the reply. */
function shown(token: string): string {
  return code(token.replace(/\p{Cc}+/gu, " "));
}

/** Splits an answer into trimmed, non-empty tokens. */
export function tokenize(answer: string): string[] {
  return answer.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/** Resolves an answer; on failure returns one line per problem, each saying what to do. */
export async function resolveTargets(
  answer: string,
  ctx: ResolveContext,
): Promise<Result<Resolution, string[]>> {
  if (answer.length > MAX_ANSWER_LENGTH) {
    return err([
      `That answer is ${answer.length} characters long; I accept up to ${MAX_ANSWER_LENGTH}. ` +
      "Name groups instead of many single channels.",
    ]);
  }
  const tokens = tokenize(answer);
  if (tokens.length === 0) {
    return err(["I need at least one group, alias or channel, separated by commas."]);
  }
  if (tokens.length > MAX_TOKENS) {
    return err([`That is ${tokens.length} names; I accept up to ${MAX_TOKENS} in one answer.`]);
  }
  const { config, cache } = ctx;
  const groups = new Map<string, { name: string; ids: readonly string[] }>();
  for (const [name, ids] of [...config.groups, ...config.privateGroups]) {
    groups.set(nameKey(name), { name, ids });
  }
  const grouped = new Set([...groups.values()].flatMap((g) => g.ids));
  const whitelisted = (c: CachedChannel) =>
    config.whitelist.some((w) => w === c.id || nameKey(w) === c.name.toLowerCase());

  const chosen = new Map<string, { channel: CachedChannel; via: string[] }>();
  const problems: string[] = [];
  const warnings: string[] = [];
  /** Set when a channel was found by asking the server: the cache is behind. */
  let newer = false;
  const lookup = async (id: string) => {
    const result = await cache.lookup(id);
    if (result?.live) newer = true;
    return result?.channel;
  };
  const add = (channel: CachedChannel, token: string) => {
    const entry = chosen.get(channel.id) ?? { channel, via: [] };
    if (!entry.via.includes(token)) entry.via.push(token);
    chosen.set(channel.id, entry);
  };
  const addGroup = async (group: { name: string; ids: readonly string[] }, token: string) => {
    for (const id of group.ids) {
      const found = await lookup(id);
      if (found === undefined) {
        warnings.push(
          `Group "${group.name}" lists \`${id}\`, a channel I can't see; it will be skipped.`,
        );
      } else if (found.archived) {
        warnings.push(`~${found.name} in group "${group.name}" is archived; it will be skipped.`);
      } else {
        add(found, token);
      }
    }
  };
  const whitelistedByName = async (
    token: string,
  ): Promise<CachedChannel[] | "refused" | "archived"> => {
    let matches = cache.find(token);
    if (matches.length === 0 && /^~?[a-z0-9_-]+$/i.test(token)) {
      const live = await cache.lookupByName(token);
      if (live !== undefined) {
        matches = [live];
        newer = true;
      }
    }
    if (matches.length === 0) return [];
    const allowed = matches.filter(whitelisted);
    if (allowed.length === 0) return "refused";
    const open = allowed.filter((c) => !c.archived);
    return open.length > 0 ? open : "archived";
  };

  for (const token of tokens) {
    const key = nameKey(token.replace(/^~/, ""));
    const alias = config.aliases.get(nameKey(token));
    if (alias !== undefined) {
      const group = groups.get(nameKey(alias));
      if (group !== undefined) {
        await addGroup(group, token);
        continue;
      }
      const channels = await whitelistedByName(alias);
      if (Array.isArray(channels) && channels.length > 0) {
        for (const c of channels) add(c, token);
        continue;
      }
      problems.push(
        `${shown(token)} is an alias for "${alias}", which is no longer a group or whitelisted ` +
          "channel. Ask an administrator to fix channels.toml.",
      );
      continue;
    }
    const group = groups.get(nameKey(token));
    if (group !== undefined) {
      await addGroup(group, token);
      continue;
    }
    const byName = await whitelistedByName(token);
    if (byName === "archived") {
      problems.push(
        `~${cache.find(token)[0]?.name ?? key} is archived, so nothing can be posted there.`,
      );
      continue;
    }
    if (byName === "refused") {
      problems.push(
        `~${cache.find(token)[0]?.name ?? key} is not on the whitelist, so I can't post there ` +
          "by name. Use a group, or ask an administrator to whitelist it.",
      );
      continue;
    }
    if (byName.length > 0) {
      for (const c of byName) add(c, token);
      continue;
    }
    const id = token.toLowerCase();
    if (isMattermostId(id)) {
      const found = await lookup(id);
      if (found === undefined) {
        problems.push(`${shown(token)} is not a channel I can see in this team.`);
      } else if (found.archived) {
        problems.push(`~${found.name} (${shown(token)}) is archived.`);
      } else if (!found.botIsMember) {
        problems.push(
          `I am not a member of ~${found.name} (${shown(token)}), so I can't post there. ` +
            "Add me with /invite, or choose another channel.",
        );
      } else if (
        whitelisted(found) || grouped.has(found.id) || await ctx.senderIsMember(found.id)
      ) {
        add(found, token);
      } else {
        problems.push(
          `You are not a member of ~${found.name} (${shown(token)}), and it is neither ` +
            "whitelisted nor in a group, so I won't post there for you.",
        );
      }
      continue;
    }
    const ideas = suggest(token.replace(/^~/, ""), [
      ...config.aliases.keys(),
      ...config.groups.keys(),
      ...cache.all().filter(whitelisted).map((c) => c.name),
    ]);
    problems.push(
      `I don't know ${shown(token)}.` +
        (ideas.length > 0 ? ` Did you mean ${ideas.map((i) => code(i)).join(", ")}?` : ""),
    );
  }
  if (problems.length > 0) return err(problems);
  if (chosen.size === 0) {
    return err(["None of those names leads to a channel I can post to.", ...warnings]);
  }
  const outside = [...chosen.values()].filter(({ channel }) => !channel.botIsMember)
    .map(({ channel }) => `~${channel.name}`);
  if (outside.length > 0) {
    // One line however many: a group of 300 such channels must not bury the preview.
    const shownNames = outside.slice(0, WARNED_NAMES).join(", ") +
      (outside.length > WARNED_NAMES ? ` and ${outside.length - WARNED_NAMES} more` : "");
    warnings.push(
      `I am not a member of ${shownNames}; delivery there will fail unless I am added ` +
        "(/invite).",
    );
  }
  if (newer) {
    warnings.push(
      "Some of these channels are newer than my channel list; send `!refresh_channels` so " +
        "that I know them by name too.",
    );
  }
  return ok({
    targets: [...chosen.values()].map(({ channel, via }) => ({
      channelId: channel.id,
      name: channel.name,
      displayName: channel.displayName,
      type: channel.type,
      botIsMember: channel.botIsMember,
      via,
    })),
    warnings,
  });
}
