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
 * A private channel the sender is not a member of (and cannot see as an admin) is never
 * named: by name or id it is unknown, exactly like a channel that does not exist, and
 * reached through a private group it is counted, not named. The audit channel
 * (BOT_LOG_CHANNEL_ID) is refused however it is reached.
 *
 * @module
 */

import { err, isMattermostId, ok, type Result } from "@postbot/framework";
import type { CachedChannel, ChannelCache } from "../channel_cache.ts";
import { type ChannelsConfig, nameKey } from "../channels/config.ts";
import { code, quote } from "../format.ts";
import { suggest } from "../suggest.ts";
import type { BroadcastTarget } from "../broadcast/log.ts";
import { type Viewer, visibleTo } from "../privacy.ts";
import { auditTargetRefusal } from "../audit_channel.ts";
import { hiddenChannelsText } from "../broadcast/report.ts";

/** A recipient channel and the tokens that selected it. */
export interface ResolvedTarget extends BroadcastTarget {
  readonly via: readonly string[];
  readonly botIsMember: boolean;
  readonly type: "O" | "P";
  /** A private channel the sender may not see named (reached through a private group). */
  readonly hidden?: boolean;
}

/** The recipients, plus remarks for the preview (skipped channels). */
export interface Resolution {
  readonly targets: readonly ResolvedTarget[];
  readonly warnings: readonly string[];
}

/** The channel list as resolution reads it (the {@link ChannelCache} in production). */
export type ChannelLookup = Pick<ChannelCache, "all" | "find" | "lookup" | "lookupByName">;

/** What resolution needs to know. */
export interface ResolveContext {
  readonly config: ChannelsConfig;
  readonly cache: ChannelLookup;
  /** Whether the sender is a member of a channel (for raw ids). */
  readonly senderIsMember: (channelId: string) => Promise<boolean>;
  /** The sender's view: which private channels may be named to them. */
  readonly viewer: Viewer;
  /** BOT_LOG_CHANNEL_ID ("" when none): never a target. */
  readonly auditChannelId: string;
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

/** A group name as echoed back: quoted, inert. */
function quoteName(name: string): string {
  return `"${quote(name, 100)}"`;
}

/** Splits an answer into trimmed, non-empty tokens. */
export function tokenize(answer: string): string[] {
  return answer.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/**
 * Whitelist entries that name a private channel the viewer may not see: the wizard's question
 * leaves them (and aliases to them) out.
 */
export async function hiddenWhitelist(
  config: ChannelsConfig,
  cache: Pick<ChannelCache, "all">,
  viewer: Viewer,
): Promise<Set<string>> {
  const hidden = new Set<string>();
  for (const entry of config.whitelist) {
    const key = nameKey(entry.replace(/^~/, ""));
    const channels = cache.all().filter((c) => c.id === entry || c.name.toLowerCase() === key);
    for (const c of channels) {
      if (!await viewer.canSee({ id: c.id, type: c.type })) hidden.add(entry);
    }
  }
  return hidden;
}

/** Resolves an answer; on failure returns one line per problem, each saying what to do. */
// deno-lint-ignore postbot/max-function-lines
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

  const chosen = new Map<string, { channel: CachedChannel; via: string[]; hidden: boolean }>();
  const { viewer } = ctx;
  const canSee = (c: CachedChannel) => viewer.canSee({ id: c.id, type: c.type });
  const problems: string[] = [];
  const warnings: string[] = [];
  /** Set when a channel was found by asking the server: the cache is behind. */
  let newer = false;
  const lookup = async (id: string) => {
    const result = await cache.lookup(id);
    if (result?.live) newer = true;
    return result?.channel;
  };
  const add = (channel: CachedChannel, token: string, hidden = false) => {
    const entry = chosen.get(channel.id) ?? { channel, via: [], hidden };
    if (!entry.via.includes(token)) entry.via.push(token);
    chosen.set(channel.id, entry);
  };
  const addGroup = async (group: { name: string; ids: readonly string[] }, token: string) => {
    let unseen = 0;
    let hiddenArchived = 0;
    for (const id of group.ids) {
      const found = await lookup(id);
      const visible = found !== undefined && await canSee(found);
      if (found === undefined) {
        if (viewer.admin) {
          warnings.push(
            `Group ${quoteName(group.name)} lists \`${id}\`, a channel I can't see; it will ` +
              "be skipped.",
          );
        } else unseen++;
      } else if (found.archived) {
        if (visible) {
          warnings.push(
            `~${found.name} in group ${quoteName(group.name)} is archived; it will be skipped.`,
          );
        } else hiddenArchived++;
      } else {
        add(found, token, !visible);
      }
    }
    if (unseen > 0) {
      warnings.push(
        `Group ${quoteName(group.name)} lists ${unseen} channel${
          unseen === 1 ? "" : "s"
        } I can't see; ${unseen === 1 ? "it" : "they"} will be skipped.`,
      );
    }
    if (hiddenArchived > 0) {
      warnings.push(
        `In group ${quoteName(group.name)}, ${hiddenChannelsText(hiddenArchived)} ${
          hiddenArchived === 1 ? "is" : "are"
        } archived and will be skipped.`,
      );
    }
  };
  /** The (visible) channel a token named, for messages. */
  const named = new Map<string, CachedChannel>();
  const whitelistedByName = async (
    token: string,
  ): Promise<CachedChannel[] | "refused" | "archived"> => {
    let matches = await visibleTo(viewer, cache.find(token), (c) => c);
    if (matches.length === 0 && /^~?[a-z0-9_-]+$/i.test(token)) {
      const live = await cache.lookupByName(token);
      if (live !== undefined && await canSee(live)) {
        matches = [live];
        newer = true;
      }
    }
    if (matches.length === 0) return [];
    named.set(token, matches[0]);
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
      if (cache.find(alias).length > 0 && channels !== "refused" && channels !== "archived") {
        // It leads to a private channel the sender may not see: as unknown as a typo.
        problems.push(`I don't know ${shown(token)}.`);
        continue;
      }
      problems.push(
        `${shown(token)} is an alias for "${
          quote(alias, 100)
        }", which is no longer a group or whitelisted ` +
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
        `~${named.get(token)?.name ?? key} is archived, so nothing can be posted there.`,
      );
      continue;
    }
    if (byName === "refused") {
      problems.push(
        `~${named.get(token)?.name ?? key} is not on the whitelist, so I can't post there ` +
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
      const looked = await lookup(id);
      // A private channel the sender is not in reads exactly like no channel at all.
      const found = looked !== undefined && await canSee(looked) ? looked : undefined;
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
    const visibleWhitelisted = await visibleTo(viewer, cache.all().filter(whitelisted), (c) => c);
    const ideas = suggest(token.replace(/^~/, ""), [
      ...config.aliases.keys(),
      ...config.groups.keys(),
      ...visibleWhitelisted.map((c) => c.name),
    ]);
    problems.push(
      `I don't know ${shown(token)}.` +
        (ideas.length > 0 ? ` Did you mean ${ideas.map((i) => code(i)).join(", ")}?` : ""),
    );
  }
  if (ctx.auditChannelId !== "") {
    const audit = chosen.get(ctx.auditChannelId);
    if (audit !== undefined) problems.push(auditTargetRefusal(audit.via.map(shown).join(", ")));
  }
  if (problems.length > 0) return err(problems);
  if (chosen.size === 0) {
    return err(["None of those names leads to a channel I can post to.", ...warnings]);
  }
  const notIn = [...chosen.values()].filter(({ channel }) => !channel.botIsMember);
  const outside = notIn.filter((c) => !c.hidden).map(({ channel }) => `~${channel.name}`);
  const hiddenOutside = notIn.length - outside.length;
  if (notIn.length > 0) {
    // One line however many: a group of 300 such channels must not bury the preview.
    const shownNames = [
      outside.slice(0, WARNED_NAMES).join(", ") +
      (outside.length > WARNED_NAMES ? ` and ${outside.length - WARNED_NAMES} more` : ""),
      hiddenOutside > 0 ? hiddenChannelsText(hiddenOutside) : "",
    ].filter((p) => p !== "").join(" and ");
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
    targets: [...chosen.values()].map(({ channel, via, hidden }) => ({
      channelId: channel.id,
      name: channel.name,
      displayName: channel.displayName,
      type: channel.type,
      botIsMember: channel.botIsMember,
      via,
      ...(hidden ? { hidden } : {}),
    })),
    warnings,
  });
}
