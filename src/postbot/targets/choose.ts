/**
 * Turning the user's answer ("all offices, ~announcements, @alice, members of ~random...")
 * into channels and people (the names about people: choose_people.ts).
 *
 * Tokens are comma-separated, trimmed and case-insensitive, and each is tried in this order:
 * alias -> group (public or private) -> list -> `everyone` -> `members of ...` -> `@person` ->
 * whitelisted channel by name or display name -> channel id. A channel that exists but is not whitelisted is refused by name. A raw channel id is
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
import type { CachedChannel } from "../channel_cache.ts";
import { nameKey } from "../channels/parse.ts";
import { suggest } from "../suggest.ts";
import { visibleTo } from "../privacy.ts";
import { PeopleChooser } from "./choose_people.ts";
import { audienceLabel, audiencesOf, maySendTo, sendersText } from "./audiences.ts";
import type {
  ResolveContext,
  ResolvedChannel,
  TargetChoice,
  TargetProblem,
  TargetRemark,
} from "./resolution.ts";

/** Longest answer accepted (characters). */
export const MAX_ANSWER_LENGTH = 4_000;
/** Most tokens in one answer. */
export const MAX_TOKENS = 100;

/** Splits an answer into trimmed, non-empty tokens. */
export function tokenize(answer: string): string[] {
  return answer.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/** Decides where an answer leads: the targets and remarks, or what is wrong with it. */
export async function chooseTargets(
  answer: string,
  ctx: ResolveContext,
): Promise<Result<TargetChoice, readonly TargetProblem[]>> {
  if (answer.length > MAX_ANSWER_LENGTH) {
    return err([{ kind: "answer_too_long", length: answer.length, limit: MAX_ANSWER_LENGTH }]);
  }
  const tokens = tokenize(answer);
  if (tokens.length === 0) return err([{ kind: "no_names" }]);
  if (tokens.length > MAX_TOKENS) {
    return err([{ kind: "too_many_names", count: tokens.length, limit: MAX_TOKENS }]);
  }
  const chooser = new Chooser(ctx);
  const problems: TargetProblem[] = [];
  for (const token of tokens) {
    const problem = await chooser.take(token);
    if (problem !== undefined) problems.push(problem);
  }
  problems.push(...senderProblems(answer, ctx));
  const audit = ctx.auditChannelId === "" ? undefined : chooser.chosen.get(ctx.auditChannelId);
  if (audit !== undefined) problems.push({ kind: "audit_channel", via: audit.via });
  if (problems.length > 0) return err(problems);
  if (chooser.chosen.size === 0 && chooser.people.chosen.size === 0) {
    return err([{ kind: "nothing_postable", remarks: chooser.closingRemarks() }]);
  }
  return ok({
    targets: [...chooser.targets(), ...chooser.people.targets()],
    remarks: chooser.closingRemarks(),
    everyone: chooser.people.everyone,
  });
}

/** The groups and lists of the answer whose `senders` leave the sender out. */
function senderProblems(answer: string, ctx: ResolveContext): TargetProblem[] {
  const sender = {
    id: ctx.viewer.userId,
    username: ctx.senderName ?? "",
    admin: ctx.viewer.admin,
  };
  return audiencesOf(answer, ctx.config).flatMap((a) =>
    // `everyone` is refused by the people chooser (administrators and its senders only).
    a.kind === "everyone" || a.rules === undefined || maySendTo(a.rules, sender) ? [] : [{
      kind: "not_a_sender" as const,
      audience: audienceLabel(a),
      senders: sendersText(a.rules),
    }]
  );
}

/** A channel chosen so far, and the names of the answer that led to it. */
interface Chosen {
  readonly channel: CachedChannel;
  readonly via: string[];
  readonly hidden: boolean;
}

/** A group as resolution reads it: its name and channel ids. */
interface GroupChannels {
  readonly name: string;
  readonly ids: readonly string[];
}

/** The channels a name leads to as a whitelisted channel, or why it does not lead there. */
type ByName = readonly CachedChannel[] | "refused" | "archived";

/** Works through the names of one answer, collecting targets and remarks. */
class Chooser {
  readonly chosen = new Map<string, Chosen>();
  readonly remarks: TargetRemark[] = [];
  /** The names that lead to people. */
  readonly people: PeopleChooser;
  readonly #ctx: ResolveContext;
  readonly #groups = new Map<string, GroupChannels>();
  readonly #grouped: Set<string>;
  /** The (visible) channel a name matched, for messages. */
  readonly #named = new Map<string, CachedChannel>();
  /** Set when a channel was found by asking the server: the cache is behind. */
  #newer = false;

  constructor(ctx: ResolveContext) {
    this.#ctx = ctx;
    this.people = new PeopleChooser(ctx);
    for (const [name, ids] of [...ctx.config.groups, ...ctx.config.privateGroups]) {
      this.#groups.set(nameKey(name), { name, ids });
    }
    this.#grouped = new Set([...this.#groups.values()].flatMap((g) => g.ids));
  }

  /** Resolves one name: alias, group, whitelisted channel by name, channel id; else unknown. */
  async take(token: string): Promise<TargetProblem | undefined> {
    const alias = this.#ctx.config.aliases.get(nameKey(token));
    if (alias !== undefined) return await this.#alias(token, alias);
    const group = this.#groups.get(nameKey(token));
    if (group !== undefined) return void await this.#addGroup(group, token);
    if (this.people.isPeopleToken(token)) {
      const outcome = await this.people.take(token);
      if (outcome !== "not_people") return outcome;
    }
    const byName = await this.#whitelistedByName(token);
    const name = () => this.#named.get(token)?.name ?? nameKey(token.replace(/^~/, ""));
    if (byName === "archived") return { kind: "archived_by_name", name: name() };
    if (byName === "refused") return { kind: "not_whitelisted", name: name() };
    if (byName.length > 0) {
      for (const c of byName) this.#add(c, token);
      return undefined;
    }
    if (isMattermostId(token.toLowerCase())) return await this.#byId(token);
    return { kind: "unknown", token, ideas: await this.#ideas(token) };
  }

  async #alias(token: string, alias: string): Promise<TargetProblem | undefined> {
    const group = this.#groups.get(nameKey(alias));
    if (group !== undefined) return void await this.#addGroup(group, token);
    const list = this.people.listNamed(alias);
    if (list !== undefined) return await this.people.takeList(list, token);
    const channels = await this.#whitelistedByName(alias);
    if (Array.isArray(channels) && channels.length > 0) {
      for (const c of channels) this.#add(c, token);
      return undefined;
    }
    if (
      this.#ctx.cache.find(alias).length > 0 && channels !== "refused" && channels !== "archived"
    ) {
      // It leads to a private channel the sender may not see: as unknown as a typo.
      return { kind: "unknown", token, ideas: [] };
    }
    return { kind: "alias_broken", token, alias };
  }

  async #byId(token: string): Promise<TargetProblem | undefined> {
    const looked = await this.#lookup(token.toLowerCase());
    // A private channel the sender is not in reads exactly like no channel at all.
    const found = looked !== undefined && await this.#canSee(looked) ? looked : undefined;
    if (found === undefined) return { kind: "id_unseen", token };
    if (found.archived) return { kind: "id_archived", token, name: found.name };
    if (!found.botIsMember) return { kind: "bot_not_member", token, name: found.name };
    if (
      this.#whitelisted(found) || this.#grouped.has(found.id) ||
      await this.#ctx.senderIsMember(found.id)
    ) {
      this.#add(found, token);
      return undefined;
    }
    return { kind: "sender_not_member", token, name: found.name };
  }

  async #addGroup(group: GroupChannels, token: string): Promise<void> {
    let unseen = 0;
    let hiddenArchived = 0;
    for (const id of group.ids) {
      const found = await this.#lookup(id);
      const visible = found !== undefined && await this.#canSee(found);
      if (found === undefined) {
        if (this.#ctx.viewer.admin) {
          this.remarks.push({ kind: "group_lists_unseen", group: group.name, id });
        } else unseen++;
      } else if (found.archived) {
        if (visible) {
          this.remarks.push({
            kind: "group_channel_archived",
            group: group.name,
            name: found.name,
          });
        } else hiddenArchived++;
      } else {
        this.#add(found, token, !visible);
      }
    }
    if (unseen > 0) this.remarks.push({ kind: "group_unseen", group: group.name, count: unseen });
    if (hiddenArchived > 0) {
      this.remarks.push({
        kind: "group_hidden_archived",
        group: group.name,
        count: hiddenArchived,
      });
    }
  }

  async #whitelistedByName(token: string): Promise<ByName> {
    const { viewer, cache } = this.#ctx;
    let matches = await visibleTo(viewer, cache.find(token), (c) => c);
    if (matches.length === 0 && /^~?[a-z0-9_-]+$/i.test(token)) {
      const live = await cache.lookupByName(token);
      if (live !== undefined && await this.#canSee(live)) {
        matches = [live];
        this.#newer = true;
      }
    }
    if (matches.length === 0) return [];
    this.#named.set(token, matches[0]);
    const allowed = matches.filter((c) => this.#whitelisted(c));
    if (allowed.length === 0) return "refused";
    const open = allowed.filter((c) => !c.archived);
    return open.length > 0 ? open : "archived";
  }

  /** Names to suggest for an unknown token: aliases, groups, whitelisted channels it may see. */
  async #ideas(token: string): Promise<string[]> {
    const { config, cache, viewer } = this.#ctx;
    const whitelisted = cache.all().filter((c) => this.#whitelisted(c));
    const visibleWhitelisted = await visibleTo(viewer, whitelisted, (c) => c);
    return suggest(token.replace(/^~/, ""), [
      ...config.aliases.keys(),
      ...config.groups.keys(),
      ...visibleWhitelisted.map((c) => c.name),
    ]);
  }

  #whitelisted(c: CachedChannel): boolean {
    return this.#ctx.config.whitelist.some((w) =>
      w === c.id || nameKey(w) === c.name.toLowerCase()
    );
  }

  #canSee(c: CachedChannel): Promise<boolean> {
    return this.#ctx.viewer.canSee({ id: c.id, type: c.type });
  }

  async #lookup(id: string): Promise<CachedChannel | undefined> {
    const result = await this.#ctx.cache.lookup(id);
    if (result?.live) this.#newer = true;
    return result?.channel;
  }

  #add(channel: CachedChannel, token: string, hidden = false): void {
    const entry = this.chosen.get(channel.id) ?? { channel, via: [], hidden };
    if (!entry.via.includes(token)) entry.via.push(token);
    this.chosen.set(channel.id, entry);
  }

  /** The remarks so far, then the channels the bot is not in, then a stale channel list. */
  closingRemarks(): TargetRemark[] {
    const remarks = [...this.remarks, ...this.people.remarks];
    const notIn = [...this.chosen.values()].filter(({ channel }) => !channel.botIsMember);
    if (notIn.length > 0) {
      const names = notIn.filter((c) => !c.hidden).map(({ channel }) => channel.name);
      remarks.push({ kind: "bot_not_in", names, hidden: notIn.length - names.length });
    }
    if (this.#newer) remarks.push({ kind: "list_behind" });
    return remarks;
  }

  targets(): ResolvedChannel[] {
    return [...this.chosen.values()].map(({ channel, via, hidden }) => ({
      kind: "channel" as const,
      channelId: channel.id,
      name: channel.name,
      displayName: channel.displayName,
      type: channel.type,
      botIsMember: channel.botIsMember,
      via,
      ...(hidden ? { hidden } : {}),
    }));
  }
}
