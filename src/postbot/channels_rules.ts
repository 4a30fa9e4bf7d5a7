/**
 * The checks a valid channels.toml must also pass before the bot runs with it: that it never
 * makes the audit channel a broadcast target, and that every person its `senders` and
 * `approvers` name is an active person of the team. They need the running bot's view (its
 * audit channel, the team's channels and people), so they live here and not in the file's
 * own validation (channels/parse.ts).
 *
 * Startup refuses a file that fails them, and the store applies the very same function before
 * every write (`ChannelsStore.guard`): a chat command can never save a file the next start
 * would refuse, and a hand edit that already fails them is named instead of built upon. An
 * approver who leaves the team while the bot runs is not counted when a broadcast asks for
 * approval (broadcast/approval/approvals.ts): a group left with too few approvers cannot be
 * sent to at all -- it fails closed.
 *
 * @module
 */

import { parseUserRef } from "@postbot/framework";
import { auditChannelClashes } from "./audit_channel.ts";
import type { ChannelCache } from "./channel_cache.ts";
import {
  type ChannelsConfig,
  channelsEntryError,
  isChannelName,
  nameKey,
  type RulesOwner,
} from "./channels/parse.ts";
import type { ChannelsRule } from "./channels/channels_file.ts";
import type { AudienceRules } from "./channels/audience_rules.ts";
import type { TeamPerson } from "./targets/resolution.ts";

/** What the rules need from the running bot. */
export interface ChannelsRulesContext {
  /** BOT_LOG_CHANNEL_ID ("" when none). */
  readonly auditChannelId: string;
  /** The team's channels (`find`: group channels named by name are checked too). */
  readonly cache: Pick<ChannelCache, "byId"> & Partial<Pick<ChannelCache, "find">>;
  /**
   * The team's active people as last read (see {@link TeamSnapshot}); undefined: people are
   * not checked.
   */
  readonly people?: () => ReadonlyMap<string, TeamPerson> | undefined;
}

/** The team's people as last read, for the rules (which are synchronous) to check names. */
export class TeamSnapshot {
  #people: ReadonlyMap<string, TeamPerson> | undefined;
  readonly #read: () => Promise<ReadonlyMap<string, TeamPerson>>;

  constructor(read: () => Promise<ReadonlyMap<string, TeamPerson>>) {
    this.#read = read;
  }

  /** The people as last read; undefined before the first read. */
  get people(): ReadonlyMap<string, TeamPerson> | undefined {
    return this.#people;
  }

  /** Reads the team's active people again (before startup's check, before a write). */
  async refresh(): Promise<void> {
    this.#people = await this.#read();
  }
}

/** The rules startup applies to channels.toml, as one function for startup and the store. */
export function channelsRules(
  { auditChannelId, cache, people }: ChannelsRulesContext,
): ChannelsRule {
  return (raw, text, file) => {
    const config = cache.find === undefined ? raw : resolveChannelNames(raw, cache as NameLookup);
    return [
      ...auditChannelClashes(auditChannelId, config, cache).map((clash) =>
        channelsEntryError(
          file,
          text,
          `${clash.what} the audit channel (BOT_LOG_CHANNEL_ID=${auditChannelId}), which must ` +
            "never receive broadcasts: remove it from the file, or set BOT_LOG_CHANNEL_ID to a " +
            "channel used only for the bot's audit posts",
          clash.place,
        )
      ),
      ...unknownPeople(config, people?.()).map((u) =>
        channelsEntryError(
          file,
          text,
          `${ownerLabel(u.owner)}: ${u.field} names ${JSON.stringify(u.entry)}, who is not an ` +
            "active person of the team (a typo, a deactivated account, someone outside the " +
            "team, or a bot): fix or remove the name",
          { rules: u.owner, field: u.field, index: u.index },
        )
      ),
      ...unknownChannelNames(config).map(({ group, index, entry }) =>
        channelsEntryError(
          file,
          text,
          `group ${JSON.stringify(group.name)} in [${group.table}] names the channel ` +
            `${JSON.stringify(entry)}, which is no channel of the team that the bot can see (a ` +
            "channel's name is the last part of its URL; a private channel needs the bot as a " +
            "member): fix the name, or use the channel's id",
          { group, index },
        )
      ),
    ];
  };
}

/** What resolving channel names needs: the team's channels, by id and by name. */
type NameLookup = Pick<ChannelCache, "byId" | "find">;

/**
 * The channel a group entry names: an id of a channel the bot sees, else a channel of that
 * name (an id-shaped name included), else the entry unchanged (an unknown id stays, as
 * before names were allowed; an unknown name is {@link unknownChannelNames}'s).
 */
export function resolveChannelEntry(entry: string, cache: NameLookup): string {
  if (cache.byId(entry) !== undefined) return entry;
  const name = entry.replace(/^~/, "").toLowerCase();
  return cache.find(name).find((c) => c.name.toLowerCase() === name)?.id ?? entry;
}

/** `config` with every group channel named by name given as its id, where it resolves. */
export function resolveChannelNames(config: ChannelsConfig, cache: NameLookup): ChannelsConfig {
  const resolve = (groups: ReadonlyMap<string, readonly string[]>) =>
    new Map(
      [...groups].map(([name, ids]) => [name, ids.map((e) => resolveChannelEntry(e, cache))]),
    );
  return {
    ...config,
    groups: resolve(config.groups),
    privateGroups: resolve(config.privateGroups),
  };
}

/** Group entries that are names no channel answers to (in a config already resolved). */
function unknownChannelNames(config: ChannelsConfig) {
  return (["groups", "private_groups"] as const).flatMap((table) =>
    [...(table === "groups" ? config.groups : config.privateGroups)].flatMap(([name, ids]) =>
      ids.flatMap((entry, index) =>
        isChannelName(entry) ? [{ group: { table, name }, index, entry }] : []
      )
    )
  );
}

/** A `senders` or `approvers` entry no active person of the team answers to. */
interface UnknownPerson {
  readonly owner: RulesOwner;
  readonly field: "senders" | "approvers";
  readonly index: number;
  readonly entry: string;
}

/** Every unknown person named in the rules; none when the team is not known. */
export function unknownPeople(
  config: ChannelsConfig,
  team: ReadonlyMap<string, TeamPerson> | undefined,
): UnknownPerson[] {
  if (team === undefined) return [];
  const names = new Set(
    [...team.values()].filter((p) => !p.isBot).map((p) => p.username.toLowerCase()),
  );
  const known = (entry: string) => {
    const ref = parseUserRef(entry);
    if (!ref.ok) return false;
    if (ref.value.kind === "username") return names.has(ref.value.username);
    const person = team.get(ref.value.id);
    return person !== undefined && !person.isBot;
  };
  const owners: [RulesOwner, AudienceRules][] = [];
  for (
    const [table, groups] of [["groups", config.groups], [
      "private_groups",
      config.privateGroups,
    ]] as const
  ) {
    for (const name of groups.keys()) {
      const rules = config.rules?.get(nameKey(name));
      if (rules !== undefined) owners.push([{ kind: "group", group: { table, name } }, rules]);
    }
  }
  for (const list of config.lists.keys()) {
    const rules = config.rules?.get(nameKey(list));
    if (rules !== undefined) owners.push([{ kind: "list", list }, rules]);
  }
  if (config.everyone !== undefined) owners.push([{ kind: "everyone" }, config.everyone]);
  const out: UnknownPerson[] = [];
  for (const [owner, rules] of owners) {
    for (const field of ["senders", "approvers"] as const) {
      for (const [index, entry] of (rules[field] ?? []).entries()) {
        if (!known(entry)) out.push({ owner, field, index, entry });
      }
    }
  }
  return out;
}

function ownerLabel(owner: RulesOwner): string {
  return owner.kind === "group"
    ? `group ${JSON.stringify(owner.group.name)} in [${owner.group.table}]`
    : owner.kind === "list"
    ? `list ${JSON.stringify(owner.list)} in [lists]`
    : "[everyone]";
}
