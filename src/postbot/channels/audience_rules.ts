/**
 * Who may send to an audience of channels.toml (a group, a list, `everyone`) and who must
 * approve a send to it: the `senders`, `approvers` and `approvals` keys of a group's (or
 * list's) table form, and of the `[everyone]` table.
 *
 * ```toml
 * [groups."All staff"]
 * channels = ["abcdefghijklmnopqrstuvwxyz"]
 * senders = ["comms-lead", "hr-team-lead"]   # only they (and administrators) may target it
 * approvers = ["ceo-office", "comms-lead"]   # a send to it needs an approval by one of them
 * approvals = 1                              # how many (default 1), never the sender's own
 * ```
 *
 * The rules are decided here as typed faults (parse.ts words and places them), so the file
 * and `!add_group` refuse exactly the same things.
 *
 * @module
 */

import { err, ok, parseUserRef, type Result } from "@postbot/framework";

/** Who may send to an audience, and whose approval a send to it needs. */
export interface AudienceRules {
  /**
   * Usernames or user ids (by form, as `ALLOWED_USERS`) who may target it, besides
   * administrators; `undefined` when anyone allowed to use the bot may.
   */
  readonly senders?: readonly string[];
  /** Usernames or user ids who may approve a send to it; empty when none is needed. */
  readonly approvers: readonly string[];
  /** How many approvals (by approvers other than the sender) a send needs; 0 with no approvers. */
  readonly approvals: number;
}

/** The keys a rules table may hold besides its members (`channels` or `people`). */
export const RULE_KEYS: readonly string[] = Object.freeze(["senders", "approvers", "approvals"]);

/** Most approvals one audience may ask for. */
export const MAX_APPROVALS = 10;

/** What is wrong with the rules of one audience (the place is the caller's). */
export type RulesFault =
  | { readonly kind: "rules_no_members"; readonly members: string }
  | { readonly kind: "rules_unknown_keys"; readonly keys: readonly string[] }
  | { readonly kind: "rules_not_list"; readonly field: string; readonly found: unknown }
  | { readonly kind: "rules_empty"; readonly field: string }
  | {
    readonly kind: "rules_bad_user";
    readonly field: string;
    readonly index: number;
    readonly problem: string;
  }
  | { readonly kind: "rules_bad_approvals"; readonly found: unknown }
  | { readonly kind: "rules_approvals_without_approvers" }
  | {
    readonly kind: "rules_too_few_approvers";
    readonly approvals: number;
    readonly available: number;
    /** The sender who leaves too few approvers besides themselves, if one does. */
    readonly sender?: string;
  };

/** A user entry as compared: an id as is, a username lowercased without its `@`. */
export function userKey(entry: string): string {
  const ref = parseUserRef(entry);
  if (!ref.ok) return entry.trim().toLowerCase();
  return ref.value.kind === "id" ? ref.value.id : ref.value.username;
}

/** Whether `entries` (usernames or ids) name the user `id` / `username`. */
export function namesUser(
  entries: readonly string[],
  user: { readonly id: string; readonly username: string },
): boolean {
  const name = user.username.toLowerCase();
  return entries.some((e) => {
    const key = userKey(e);
    return key === user.id || key === name;
  });
}

/** `senders` or `approvers`: a non-empty list of user references, each kept once. */
function decideUsers(field: string, value: unknown): Result<string[], RulesFault> {
  if (!Array.isArray(value)) return err({ kind: "rules_not_list", field, found: value });
  if (value.length === 0) return err({ kind: "rules_empty", field });
  const users: string[] = [];
  for (const [index, entry] of value.entries()) {
    if (typeof entry !== "string") {
      return err({ kind: "rules_bad_user", field, index, problem: "not text" });
    }
    const ref = parseUserRef(entry);
    if (!ref.ok) return err({ kind: "rules_bad_user", field, index, problem: ref.error.message });
    if (!users.some((u) => userKey(u) === userKey(entry))) users.push(entry.trim());
  }
  return ok(users);
}

/**
 * The rules of one table (`members` is the key holding its channels or people, left to the
 * caller): the rules, or the first fault. An `approvals` larger than the approvers left
 * besides any one named sender is refused: that sender could never send.
 */
export function decideRules(
  table: Record<string, unknown>,
  members: string | undefined,
): Result<AudienceRules, RulesFault> {
  const unknown = Object.keys(table).filter((k) => k !== members && !RULE_KEYS.includes(k));
  if (unknown.length > 0) return err({ kind: "rules_unknown_keys", keys: unknown });
  let senders: string[] | undefined;
  if (table.senders !== undefined) {
    const decided = decideUsers("senders", table.senders);
    if (!decided.ok) return decided;
    senders = decided.value;
  }
  let approvers: string[] = [];
  if (table.approvers !== undefined) {
    const decided = decideUsers("approvers", table.approvers);
    if (!decided.ok) return decided;
    approvers = decided.value;
  }
  const raw = table.approvals;
  if (raw !== undefined && approvers.length === 0) {
    return err({ kind: "rules_approvals_without_approvers" });
  }
  const approvals = raw === undefined ? (approvers.length > 0 ? 1 : 0) : Number(raw);
  if (
    raw !== undefined &&
    (typeof raw !== "number" && typeof raw !== "bigint" || !Number.isInteger(approvals) ||
      approvals < 1 || approvals > MAX_APPROVALS)
  ) {
    return err({ kind: "rules_bad_approvals", found: raw });
  }
  const short = tooFewApprovers(senders, approvers, approvals);
  if (short !== undefined) return err(short);
  return ok({ ...(senders !== undefined ? { senders } : {}), approvers, approvals });
}

/** The fault when some sender would leave fewer than `approvals` approvers besides them. */
function tooFewApprovers(
  senders: readonly string[] | undefined,
  approvers: readonly string[],
  approvals: number,
): RulesFault | undefined {
  if (approvers.length < approvals) {
    return { kind: "rules_too_few_approvers", approvals, available: approvers.length };
  }
  for (const sender of senders ?? []) {
    const others = approvers.filter((a) => userKey(a) !== userKey(sender)).length;
    if (others < approvals) {
      return { kind: "rules_too_few_approvers", approvals, available: others, sender };
    }
  }
  return undefined;
}

/** The fault in words (after the audience's label). */
export function rulesFaultText(fault: RulesFault, members: string): string {
  switch (fault.kind) {
    case "rules_no_members":
      return `the table has no ${fault.members} = [...]; name its ${fault.members} there`;
    case "rules_unknown_keys":
      return `unknown ${fault.keys.length === 1 ? "key" : "keys"} ${
        fault.keys.map((k) => JSON.stringify(k)).join(", ")
      }: a table here may hold ${members === "" ? "" : `${members}, `}senders, approvers and ` +
        "approvals; check the spelling";
    case "rules_not_list":
      return `${fault.field} must be a list of usernames or user ids, like ${fault.field} = ` +
        `["alice", "bob"]`;
    case "rules_empty":
      return `${fault.field} names nobody; name at least one person, or remove the line`;
    case "rules_bad_user":
      return `${fault.field}: item ${fault.index + 1}: ${fault.problem}`;
    case "rules_bad_approvals":
      return `approvals must be a whole number from 1 to ${MAX_APPROVALS}, like approvals = 1`;
    case "rules_approvals_without_approvers":
      return "approvals is set but no approvers are named; add approvers = [...], or remove it";
    case "rules_too_few_approvers":
      return fault.sender === undefined
        ? `approvals = ${fault.approvals} but only ${fault.available} approvers are named`
        : `approvals = ${fault.approvals} but the sender ${
          JSON.stringify(fault.sender)
        } leaves only ${fault.available} other approvers (nobody approves their own ` +
          "broadcast); name more approvers, or lower approvals";
  }
}
