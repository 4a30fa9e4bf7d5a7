/**
 * The audiences an answer names -- groups, lists, `everyone` (directly, by an alias, or as
 * `members of <group>`) -- and their rules from channels.toml: who may send to them
 * (`senders`) and whose approval a send needs (`approvers`, `approvals`). The targets step
 * refuses an audience the sender may not reach, authority.ts asks the same rules again before
 * every delivery run, and the approval of a broadcast (broadcast/approval/) starts from
 * {@link approvalNeeds}.
 *
 * @module
 */

import type { AudienceRules } from "../channels/audience_rules.ts";
import { namesUser } from "../channels/audience_rules.ts";
import { type ChannelsConfig, nameKey } from "../channels/parse.ts";

/** The keyword for every active person of the team (choose_people.ts reads it too). */
const EVERYONE = "everyone";

/** The names of an answer, as choose.ts splits them. */
function tokenize(answer: string): string[] {
  return answer.split(",").map((t) => t.trim()).filter((t) => t !== "");
}

/** An audience named by an answer, with its rules when it has any. */
export interface Audience {
  readonly kind: "group" | "list" | "everyone";
  /** The name as channels.toml spells it (`everyone` for everyone). */
  readonly name: string;
  readonly rules?: AudienceRules;
}

/** One audience's need for approval: by whom, and how many. */
export interface ApprovalNeed {
  /** `group "All staff"`, `list "Night shift"`, `everyone`: for messages. */
  readonly audience: string;
  /** Usernames or user ids, as channels.toml names them. */
  readonly approvers: readonly string[];
  readonly approvals: number;
}

/** A sender as the rules compare them. */
export interface RulesSender {
  readonly id: string;
  readonly username: string;
  readonly admin: boolean;
}

const MEMBERS_OF = /^members\s+of\s+(.*)$/is;

/** The rules of a group or list by its name, or of `everyone`. */
export function rulesOf(
  config: ChannelsConfig,
  kind: Audience["kind"],
  name: string,
): AudienceRules | undefined {
  return kind === "everyone" ? config.everyone : config.rules?.get(nameKey(name));
}

/** The group or list `name` (or an alias of one) is, if any. */
function audienceNamed(config: ChannelsConfig, name: string): Audience | undefined {
  const target = config.aliases.get(nameKey(name)) ?? name;
  const key = nameKey(target);
  if (key === EVERYONE) return { kind: "everyone", name: EVERYONE, rules: config.everyone };
  for (const group of [...config.groups.keys(), ...config.privateGroups.keys()]) {
    if (nameKey(group) === key) return withRules(config, "group", group);
  }
  for (const list of config.lists.keys()) {
    if (nameKey(list) === key) return withRules(config, "list", list);
  }
  return undefined;
}

function withRules(config: ChannelsConfig, kind: Audience["kind"], name: string): Audience {
  const rules = rulesOf(config, kind, name);
  return rules === undefined ? { kind, name } : { kind, name, rules };
}

/** The audiences `answer` names, each once, in the order named. */
export function audiencesOf(answer: string, config: ChannelsConfig): Audience[] {
  const out: Audience[] = [];
  for (const token of tokenize(answer)) {
    const members = MEMBERS_OF.exec(token.trim());
    const found = audienceNamed(config, members === null ? token : members[1].trim());
    if (found === undefined) continue;
    if (!out.some((a) => a.kind === found.kind && a.name === found.name)) out.push(found);
  }
  return out;
}

/** Whether `sender` may target an audience with these rules: named in senders, or an admin. */
export function maySendTo(rules: AudienceRules | undefined, sender: RulesSender): boolean {
  return rules?.senders === undefined || sender.admin || namesUser(rules.senders, sender);
}

/** `group "All staff"`, `list "Night shift"`, `everyone`. */
export function audienceLabel(a: Pick<Audience, "kind" | "name">): string {
  return a.kind === "everyone" ? "everyone" : `${a.kind} ${JSON.stringify(a.name)}`;
}

/** Who may send to an audience, in words: `@comms-lead, @hr-lead (and administrators)`. */
export function sendersText(rules: AudienceRules): string {
  return `${(rules.senders ?? []).map(userText).join(", ")} (and administrators)`;
}

/** A user entry as shown: `@name` for a username, the id as code for an id. */
export function userText(entry: string): string {
  const plain = entry.replace(/^@/, "");
  return /^[a-z0-9]{26}$/.test(plain) ? `\`${plain}\`` : `@${plain}`;
}

/** What approval a send of `answer` needs: one entry per audience with approvers. */
export function approvalNeeds(answer: string, config: ChannelsConfig): ApprovalNeed[] {
  return audiencesOf(answer, config).flatMap((a) =>
    a.rules !== undefined && a.rules.approvers.length > 0
      ? [{ audience: audienceLabel(a), approvers: a.rules.approvers, approvals: a.rules.approvals }]
      : []
  );
}
