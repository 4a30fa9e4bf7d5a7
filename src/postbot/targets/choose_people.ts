/**
 * The names of an answer that lead to people, each reached in a direct message:
 *
 * - `@username`: one active person of the team (not a bot);
 * - a list of channels.toml's `[lists]` (usernames or user ids): its people who are active
 *   members of the team now; the others are counted in a remark;
 * - `members of ~channel` / `members of <group>` (or an alias of either): the human, active
 *   members of the channel, or of every channel of the group. A private channel only for its
 *   members and administrators, exactly like naming it; a group's channels are the operator's
 *   choice (a private one the sender cannot see is reached, and its people never named);
 * - `everyone`: every active person of the team, for administrators only.
 *
 * A person reached through several names gets one DM; the way they were reached that needs the
 * least authority is kept (see PersonReach).
 *
 * @module
 */

import { nameKey } from "../channels/parse.ts";
import { parseUserRef } from "@postbot/framework";
import type { CachedChannel } from "../channel_cache.ts";
import type { PersonReach } from "../broadcast/model.ts";
import { suggest } from "../suggest.ts";
import { visibleTo } from "../privacy.ts";
import { maySendTo } from "./audiences.ts";
import type {
  PeopleProblem,
  ResolveContext,
  ResolvedPerson,
  TargetRemark,
  TeamPerson,
} from "./resolution.ts";

/** The keyword for every active person of the team. */
export const EVERYONE = "everyone";

const MEMBERS_OF = /^members\s+of(?:\s+(.*))?$/is;

/** How much authority a way of reaching a person needs: the lowest is kept. */
export function reachWeight(reach: PersonReach): number {
  switch (reach.by) {
    case "name":
      return 0;
    case "list":
      return 1;
    case "members":
      return reach.group !== undefined ? 2 : 3;
    case "everyone":
      return 4;
  }
}

/** A person chosen so far. */
interface ChosenPerson {
  person: TeamPerson;
  via: string[];
  reach: PersonReach;
  named: boolean;
  hidden: boolean;
}

/** What a name of the answer did: not about people, a problem, or taken. */
export type PeopleOutcome = "not_people" | PeopleProblem | undefined;

/** Works through the names of one answer that lead to people. */
export class PeopleChooser {
  readonly chosen = new Map<string, ChosenPerson>();
  readonly remarks: TargetRemark[] = [];
  /** Set when `everyone` was named: the send is always guarded. */
  everyone = false;
  readonly #ctx: ResolveContext;
  #team: Promise<ReadonlyMap<string, TeamPerson>> | undefined;

  constructor(ctx: ResolveContext) {
    this.#ctx = ctx;
  }

  /** Whether `token` (a name of the answer, not an alias or group) is about people. */
  isPeopleToken(token: string): boolean {
    const key = nameKey(token);
    return token.startsWith("@") || key === EVERYONE || MEMBERS_OF.test(token.trim()) ||
      this.listNamed(token) !== undefined;
  }

  /** The list `token` names, if any. */
  listNamed(token: string): string | undefined {
    return [...this.#ctx.config.lists.keys()].find((l) => nameKey(l) === nameKey(token));
  }

  /** Resolves one name about people (see {@link isPeopleToken}). */
  async take(token: string): Promise<PeopleOutcome> {
    try {
      return await this.#take(token);
    } catch (e) {
      return { kind: "people_unavailable", why: e instanceof Error ? e.message : String(e) };
    }
  }

  async #take(token: string): Promise<PeopleOutcome> {
    const list = this.listNamed(token);
    if (list !== undefined) return await this.#list(list, token);
    if (nameKey(token) === EVERYONE) return await this.#everyone(token);
    const members = MEMBERS_OF.exec(token.trim());
    if (members !== null) return await this.#membersOf(token, (members[1] ?? "").trim());
    if (token.startsWith("@")) return await this.#named(token);
    return "not_people";
  }

  /** A list's people who are active members of the team; the rest counted in a remark. */
  async takeList(list: string, token: string): Promise<PeopleProblem | undefined> {
    try {
      return await this.#list(list, token);
    } catch (e) {
      return { kind: "people_unavailable", why: e instanceof Error ? e.message : String(e) };
    }
  }

  async #list(list: string, token: string): Promise<PeopleProblem | undefined> {
    const team = await this.#teamPeople();
    const byName = new Map([...team.values()].map((p) => [p.username.toLowerCase(), p]));
    let missing = 0;
    for (const entry of this.#ctx.config.lists.get(list) ?? []) {
      const ref = parseUserRef(entry);
      const person = !ref.ok
        ? undefined
        : ref.value.kind === "id"
        ? team.get(ref.value.id)
        : byName.get(ref.value.username);
      if (person === undefined || person.isBot) missing++;
      else this.#add(person, token, { by: "list", list }, false, false);
    }
    if (missing > 0) this.remarks.push({ kind: "list_unreachable", list, count: missing });
    return undefined;
  }

  async #named(token: string): Promise<PeopleProblem | undefined> {
    const name = token.slice(1).trim().toLowerCase();
    if (name === "") return { kind: "no_username", token };
    const team = await this.#teamPeople();
    const person = [...team.values()].find((p) => p.username.toLowerCase() === name);
    if (person === undefined) return { kind: "person_unknown", token };
    if (person.isBot) return { kind: "person_bot", token };
    this.#add(person, token, { by: "name" }, true, false);
    return undefined;
  }

  async #everyone(token: string): Promise<PeopleProblem | undefined> {
    const { viewer, config, senderName } = this.#ctx;
    const sender = { id: viewer.userId, username: senderName ?? "", admin: viewer.admin };
    // Administrators, and the senders [everyone] names.
    if (
      !viewer.admin &&
      (config.everyone?.senders === undefined || !maySendTo(config.everyone, sender))
    ) {
      return { kind: "everyone_admins_only" };
    }
    this.everyone = true;
    for (const person of (await this.#teamPeople()).values()) {
      if (!person.isBot) this.#add(person, token, { by: "everyone" }, false, false);
    }
    return undefined;
  }

  /** `members of X`: X an alias, a group, or a channel the sender may see. */
  async #membersOf(token: string, what: string): Promise<PeopleProblem | undefined> {
    if (what === "") return { kind: "members_of_what", token };
    const { config } = this.#ctx;
    const target = config.aliases.get(nameKey(what)) ?? what;
    const groups = [...config.groups, ...config.privateGroups];
    const group = groups.find(([name]) => nameKey(name) === nameKey(target));
    const channels: { channel: CachedChannel; visible: boolean }[] = [];
    if (group !== undefined) {
      for (const id of group[1]) {
        const found = (await this.#ctx.cache.lookup(id))?.channel;
        if (found === undefined || found.archived) continue;
        channels.push({ channel: found, visible: await this.#ctx.viewer.canSee(found) });
      }
    } else {
      const found = await this.#visibleChannels(target);
      if (found.length === 0) {
        return { kind: "members_unknown", token, ideas: await this.#ideas(target) };
      }
      channels.push(...found.map((channel) => ({ channel, visible: true })));
    }
    const before = this.chosen.size;
    let anyone = false;
    // Visible channels first: a person in several keeps a reach the sender may see.
    for (
      const { channel, visible } of channels.sort((a, b) => Number(b.visible) - Number(a.visible))
    ) {
      const problem = await this.#addMembers(channel, token, visible, group?.[0]);
      if (problem !== undefined) return problem;
      anyone ||= this.chosen.size > before;
    }
    if (!anyone && !this.#anyMemberVia(token)) this.remarks.push({ kind: "no_members", token });
    return undefined;
  }

  async #addMembers(
    channel: CachedChannel,
    token: string,
    visible: boolean,
    group: string | undefined,
  ): Promise<PeopleProblem | undefined> {
    let ids: string[];
    try {
      ids = await this.#ctx.people!.channelMemberIds(channel.id);
    } catch {
      return {
        kind: "members_unreadable",
        token,
        ...(visible ? { channel: channel.name } : {}),
      };
    }
    const team = await this.#teamPeople();
    const reach: PersonReach = {
      by: "members",
      channelId: channel.id,
      channelName: channel.name,
      ...(group !== undefined ? { group } : {}),
    };
    for (const id of ids) {
      const person = team.get(id);
      if (person !== undefined && !person.isBot) this.#add(person, token, reach, false, !visible);
    }
    return undefined;
  }

  #anyMemberVia(token: string): boolean {
    return [...this.chosen.values()].some((c) => c.via.includes(token));
  }

  /** Channels named `text` (name or display name) the sender may see. */
  async #visibleChannels(text: string): Promise<CachedChannel[]> {
    const { cache, viewer } = this.#ctx;
    let found = cache.find(text).filter((c) => !c.archived);
    if (found.length === 0 && /^~?[a-z0-9_-]+$/i.test(text)) {
      const live = await cache.lookupByName(text);
      if (live !== undefined && !live.archived) found = [live];
    }
    return await visibleTo(viewer, found, (c) => c);
  }

  async #ideas(text: string): Promise<string[]> {
    const { config, cache, viewer } = this.#ctx;
    const visible = await visibleTo(viewer, cache.all().filter((c) => !c.archived), (c) => c);
    return suggest(text.replace(/^~/, ""), [
      ...config.groups.keys(),
      ...visible.map((c) => c.name),
    ]);
  }

  #teamPeople(): Promise<ReadonlyMap<string, TeamPerson>> {
    const people = this.#ctx.people;
    if (people === undefined) return Promise.reject(new Error("people cannot be reached here"));
    this.#team ??= people.teamPeople();
    return this.#team;
  }

  #add(person: TeamPerson, token: string, reach: PersonReach, named: boolean, hidden: boolean) {
    const entry = this.chosen.get(person.id);
    if (entry === undefined) {
      this.chosen.set(person.id, { person, via: [token], reach, named, hidden });
      return;
    }
    if (!entry.via.includes(token)) entry.via.push(token);
    entry.named ||= named;
    const lighter = reachWeight(reach) < reachWeight(entry.reach);
    if (lighter || (reachWeight(reach) === reachWeight(entry.reach) && entry.hidden && !hidden)) {
      entry.reach = reach;
      entry.hidden = hidden;
    }
  }

  /** The people chosen, in the order they were first reached. */
  targets(): ResolvedPerson[] {
    return [...this.chosen.values()].map(({ person, via, reach, named, hidden }) => ({
      kind: "person" as const,
      userId: person.id,
      username: person.username,
      displayName: person.displayName,
      reach,
      via,
      named,
      ...(hidden ? { hidden } : {}),
    }));
  }
}
