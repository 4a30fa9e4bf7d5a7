/**
 * The typed model of channels.toml and its validation.
 *
 * channels.toml is edited by hand and kept in git, so every mistake in it must come back as
 * `file:line:column: what is wrong` with the offending line quoted, never as a stack trace
 * or a silently ignored entry. The rules here are the single definition of a valid file: the
 * store applies them when loading, and again to its own edits before replacing the file.
 *
 * ```toml
 * whitelist = ["town-square", "announcements"]   # channels anyone may target by name
 *
 * [groups]           # public groups: listed to every user
 * "All offices" = ["abcdefghijklmnopqrstuvwxyz"]
 *
 * [private_groups]   # usable by name, never listed in the wizard
 * Managers = ["0123456789abcdefghijklmnop"]
 *
 * [lists]            # named lists of people (usernames, or user ids), reached by DM
 * "Night shift" = ["alice", "@bob", "0123456789abcdefghijklmnop"]
 *
 * [aliases]          # lowercase alias -> group, list or whitelisted channel
 * all = "All offices"
 * ```
 *
 * Every name a user can type (group and list names, aliases, whitelisted channels) must be
 * unique ignoring case, so a name always means one thing; a list name must not read like
 * another kind of target (`everyone`, `@...`, `members of ...`).
 *
 * @module
 */

import { parse } from "smol-toml";
import {
  err,
  mattermostIdProblem,
  ok,
  parseUserRef,
  type Problem,
  type Result,
  unreachable,
} from "@postbot/framework";
import { explainTomlError } from "@postbot/framework/toml";
import { visible } from "@postbot/framework/text";
import {
  type AudienceRules,
  decideRules,
  type RulesFault,
  rulesFaultText,
} from "./audience_rules.ts";
import {
  scanTomlLayout,
  type TomlInlineEntry,
  type TomlLayout,
  type TomlPosition,
} from "./toml_text.ts";

/** What channels.toml says, validated. Read-only: changes go through the store. */
export interface ChannelsConfig {
  /** Channel names (or ids) anyone may target by name. */
  readonly whitelist: readonly string[];
  /** Public groups, listed to every user: name -> channel ids. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** Groups usable by name but never listed: name -> channel ids. */
  readonly privateGroups: ReadonlyMap<string, readonly string[]>;
  /** Lists of people: name -> usernames or user ids (each decided by its form). */
  readonly lists: ReadonlyMap<string, readonly string[]>;
  /** Lowercase alias -> group, list or whitelisted channel. */
  readonly aliases: ReadonlyMap<string, string>;
  /**
   * Who may send to a group or list and who approves, for those written in table form, by
   * {@link nameKey} of their name; absent or missing an entry: anyone allowed, no approval.
   */
  readonly rules?: ReadonlyMap<string, AudienceRules>;
  /** The `[everyone]` table's rules, when the file has one. */
  readonly everyone?: AudienceRules;
}

/** The config of an empty or missing channels.toml. */
export const EMPTY_CHANNELS_CONFIG: ChannelsConfig = Object.freeze({
  whitelist: Object.freeze([]) as readonly string[],
  groups: new Map<string, readonly string[]>(),
  privateGroups: new Map<string, readonly string[]>(),
  lists: new Map<string, readonly string[]>(),
  aliases: new Map<string, string>(),
});

/**
 * Why channels.toml (or an edit of it) was refused, with where, for the person fixing it: a
 * {@link Problem} whose message is `file:line:column: detail` (or `file: detail` when the
 * place is unknown) and whose hint, when the place is known, is the offending line with a
 * caret under the column. `describeProblem` gives both, as logs and replies show them.
 */
export interface ChannelsFileError extends Problem {
  /** The file name as given to the parser (a path, or just `channels.toml`). */
  readonly file: string;
  /** 1-based line of the problem, when known. */
  readonly line?: number;
  /** 1-based column (UTF-16 code units, as smol-toml counts), when known. */
  readonly column?: number;
  /** The problem alone, without location: `group "X": ... is not a channel id ...`. */
  readonly detail: string;
}

/** Longest group name or alias accepted, in characters (code points). */
export const MAX_NAME_LENGTH = 100;

/** Top-level keys channels.toml may contain. */
export const CHANNELS_TOML_KEYS: readonly string[] = Object.freeze([
  "whitelist",
  "groups",
  "private_groups",
  "lists",
  "aliases",
  "everyone",
]);

/**
 * The form under which names are compared: NFC-normalised and lowercased. Names differing
 * only in case or Unicode normalisation look the same to a user, so they count as one name.
 */
export function nameKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

const FORBIDDEN_IN_NAME = /[\p{Cc}\u2028\u2029]/u;

/**
 * Characters a reader cannot see or tell apart, each with why: format characters (bidi
 * overrides and isolates, zero-width spaces and joiners, soft hyphen, BOM), other default-
 * ignorable code points (variation selectors, Hangul fillers), unassigned and private-use
 * code points, and spaces other than the plain one (no-break, ideographic, thin...).
 */
const INVISIBLE: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/u,
    "a right-to-left or left-to-right mark or override",
  ],
  [/\p{Cf}/u, "an invisible formatting character (zero-width space, joiner, soft hyphen\u2026)"],
  [
    /\p{Default_Ignorable_Code_Point}/u,
    "an invisible character (variation selector, filler\u2026)",
  ],
  [/\p{Cn}/u, "a code point that is not assigned in Unicode"],
  [/\p{Co}/u, "a private-use character"],
  [/[^\P{Zs} ]/u, "a space other than the plain space (no-break, thin, ideographic\u2026)"],
  [/[\u2800\u3164\uffa0\u115f\u1160]/u, "a blank character that looks like a space"],
];

const EMOJI_SEQUENCE =
  /\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?(?:\u200D\p{Extended_Pictographic}(?:\uFE0F|\p{Emoji_Modifier})?)*/gu;

/**
 * Says why `name` cannot be a group name (or alias), or `undefined` when it can: empty,
 * surrounding spaces, too long, control characters or line breaks, and characters nobody can
 * see or tell apart from others ({@link INVISIBLE}): "All\u200boffices" must not sit beside
 * "All offices", indistinguishable in every prompt. Shared by the file validation and the
 * chat commands so both accept exactly the same names.
 */
export function groupNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "the name is empty";
  if (!name.isWellFormed()) return "the name contains invalid Unicode (an unpaired surrogate)";
  if (FORBIDDEN_IN_NAME.test(name)) {
    return "the name contains a line break or another control character";
  }
  // Emoji sequences (\u{1f469}\u200d\u{1f4bb}, \u2764\ufe0f) use a joiner and a variation selector legitimately; each
  // counts as one visible character.
  const plain = name.replace(EMOJI_SEQUENCE, "\u{1F600}");
  for (const [pattern, what] of INVISIBLE) {
    const found = pattern.exec(plain);
    if (found !== null) {
      const cp = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
      return `the name contains ${what} (U+${cp}) at character ${
        Array.from(plain.slice(0, found.index)).length + 1
      }, which a reader cannot see or tell apart from other text: retype the name with visible letters and plain spaces`;
    }
  }
  if (name.trim() !== name) return "the name starts or ends with spaces";
  if (/ {2}/.test(name)) return "the name has two spaces in a row";
  const length = [...name].length;
  if (length > MAX_NAME_LENGTH) {
    return `the name is ${length} characters long (at most ${MAX_NAME_LENGTH})`;
  }
  const mixed = mixedScriptWord(name);
  if (mixed !== undefined) {
    return `the word ${JSON.stringify(mixed)} mixes Latin, Greek or Cyrillic letters that ` +
      "look alike: write each word in one alphabet";
  }
  return undefined;
}

/** A word mixing look-alike alphabets ("\u041effices" with a Cyrillic \u041e), or undefined. */
function mixedScriptWord(name: string): string | undefined {
  for (const word of name.split(/[^\p{L}\p{M}]+/u)) {
    const scripts = [/\p{Script=Latin}/u, /\p{Script=Greek}/u, /\p{Script=Cyrillic}/u]
      .filter((re) => re.test(word)).length;
    if (scripts > 1) return word;
  }
  return undefined;
}

/** Like {@link groupNameProblem}, and aliases must also be lowercase (they are matched lowercased). */
export function aliasProblem(alias: string): string | undefined {
  const problem = groupNameProblem(alias);
  if (problem !== undefined) return problem.replace("the name", "the alias");
  if (alias !== alias.toLowerCase()) {
    return `the alias must be lowercase (write ${JSON.stringify(alias.toLowerCase())})`;
  }
  return undefined;
}

/** The offending line of `text` with a caret under `column`, for error messages. */
export function excerptAt(text: string, line: number, column: number): string | undefined {
  const lines = text.split(/\r?\n/);
  const content = lines[line - 1];
  if (content === undefined) return undefined;
  // Invisible characters are shown as <U+XXXX>, so the line reads as what it really holds.
  const pad = visible(content.slice(0, Math.max(0, column - 1))).replace(/[^\t]/g, " ");
  return `${visible(content)}\n${pad}^`;
}

export { explainTomlError, type TomlSyntaxProblem } from "@postbot/framework/toml";

/** Builds a {@link ChannelsFileError}; `text` (when given) supplies the excerpt. */
export function channelsFileError(
  file: string,
  detail: string,
  where?: { line: number; column: number },
  text?: string,
): ChannelsFileError {
  if (where === undefined) return { file, detail, message: `${file}: ${detail}` };
  const excerpt = text === undefined ? undefined : excerptAt(text, where.line, where.column);
  return {
    file,
    line: where.line,
    column: where.column,
    detail,
    message: `${file}:${where.line}:${where.column}: ${detail}`,
    ...(excerpt === undefined ? {} : { hint: excerpt }),
  };
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (typeof v === "string") return `the text ${JSON.stringify(v)}`;
  if (typeof v === "number" || typeof v === "bigint") return `the number ${String(v)}`;
  if (typeof v === "boolean") return `${v}`;
  if (v instanceof Date) return "a date";
  if (Array.isArray(v)) return "a list";
  return "a table";
}

/** A key given a value somewhere in the text: its full path and where its parts are. */
interface Assignment {
  readonly path: readonly string[];
  readonly keyPos: TomlPosition;
  readonly valuePos: TomlPosition;
  readonly items: readonly TomlPosition[];
}

/**
 * Every assignment of the text in reading order: `key = value` statements with their table's
 * path, the entries of inline tables (recursively), and sub-table headers (`[groups.x]`).
 */
function assignmentsOf(layout: TomlLayout | undefined): Assignment[] {
  const out: Assignment[] = [];
  const inline = (path: readonly string[], entries: readonly TomlInlineEntry[]) => {
    for (const e of entries) {
      const inner = [...path, ...e.key];
      out.push({ path: inner, keyPos: e.keyPos, valuePos: e.valuePos, items: e.items });
      inline(inner, e.entries);
    }
  };
  for (const st of layout?.statements ?? []) {
    if (st.kind === "header") {
      if (st.path.length > 1) {
        out.push({ path: st.path, keyPos: st.pos, valuePos: st.pos, items: [] });
      }
      continue;
    }
    const path = [...st.table, ...st.key];
    out.push({ path, keyPos: st.keyPos, valuePos: st.valuePos, items: st.items });
    inline(path, st.entries);
  }
  return out;
}

/** Finds where things are in the text, for error messages; falls back to "unknown". */
class Locator {
  readonly #layout: TomlLayout | undefined;
  readonly #assignments: readonly Assignment[];
  constructor(text: string) {
    this.#layout = scanTomlLayout(text);
    this.#assignments = assignmentsOf(this.#layout);
  }

  /** The first header or root statement defining top-level `key`. */
  top(key: string): TomlPosition | undefined {
    for (const st of this.#layout?.statements ?? []) {
      if (st.kind === "header" && st.path[0] === key) return st.pos;
      if (st.kind === "keyValue" && st.table.length === 0 && st.key[0] === key) return st.keyPos;
    }
    return undefined;
  }

  /**
   * The first place assigning `table.name` or below it (under `[table]`, as root
   * `table.name = ...`, as a header `[table.name]`, or inside an inline table
   * `table = { name = ... }`), and whether it assigns exactly `table.name`.
   */
  entryStatement(
    table: string,
    name: string,
  ): { st: Assignment; exact: boolean } | undefined {
    for (const st of this.#assignments) {
      const path = st.path;
      if (path[0] === table && path[1] === name) return { st, exact: path.length === 2 };
    }
    return undefined;
  }

  /** The assignment of exactly `path` (a key inside a group's table), if written. */
  path(path: readonly string[]): Assignment | undefined {
    return this.#assignments.find((a) =>
      a.path.length === path.length && a.path.every((p, i) => p === path[i])
    );
  }

  entry(table: string, name: string): TomlPosition | undefined {
    return this.entryStatement(table, name)?.st.keyPos ?? this.top(table);
  }

  value(table: string, name: string): TomlPosition | undefined {
    const found = this.entryStatement(table, name);
    if (found === undefined) return this.top(table);
    return found.exact ? found.st.valuePos : found.st.keyPos;
  }

  item(table: string, name: string, index: number): TomlPosition | undefined {
    const found = this.entryStatement(table, name);
    return (found?.exact ? found.st.items[index] : undefined) ?? this.entry(table, name);
  }

  whitelistItem(index: number): TomlPosition | undefined {
    for (const st of this.#layout?.statements ?? []) {
      if (st.kind === "keyValue" && st.table.length === 0 && st.key.length === 1) {
        if (st.key[0] === "whitelist") return st.items[index] ?? st.valuePos;
      }
    }
    return this.top("whitelist");
  }
}

const TABLE_LABEL = {
  groups: "[groups]",
  private_groups: "[private_groups]",
  lists: "[lists]",
  aliases: "[aliases]",
} as const;

/** Who already uses a name a user can type (for clash detection). */
type NameOwner =
  | { readonly kind: "whitelisted"; readonly name: string }
  | { readonly kind: "group"; readonly table: GroupTable; readonly name: string }
  | { readonly kind: "list"; readonly name: string }
  | { readonly kind: "alias"; readonly name: string };

/**
 * What is wrong with a channels.toml that parses as TOML, decided before any wording
 * ({@link channelsFaultError} words it and finds its place in the text). `found` is the
 * offending value itself; indexes count from 0.
 */
export type ChannelsTomlFault =
  | { readonly kind: "unknown_keys"; readonly keys: readonly string[] }
  | { readonly kind: "whitelist_not_list"; readonly found: unknown }
  | { readonly kind: "whitelist_entry_not_text"; readonly index: number; readonly found: unknown }
  | {
    readonly kind: "whitelist_entry_bad";
    readonly index: number;
    readonly entry: string;
    readonly problem: string;
  }
  | { readonly kind: "groups_not_table"; readonly table: GroupTable; readonly found: unknown }
  | { readonly kind: "aliases_not_table"; readonly found: unknown }
  | { readonly kind: "lists_not_table"; readonly found: unknown }
  | { readonly kind: "everyone_not_table"; readonly found: unknown }
  | RulesEntryFault
  | ListFault
  | EntryFault;

/** Whose rules are at fault: a group, a list or `[everyone]`. */
export type RulesOwner =
  | { readonly kind: "group"; readonly group: GroupRef }
  | { readonly kind: "list"; readonly list: string }
  | { readonly kind: "everyone" };

/** A {@link ChannelsTomlFault} in the rules (senders, approvers, approvals) of a table. */
export interface RulesEntryFault {
  readonly kind: "rules";
  readonly owner: RulesOwner;
  readonly fault: RulesFault;
}

/** A {@link ChannelsTomlFault} in one entry of `[lists]`. */
export type ListFault =
  | { readonly kind: "list_bad_name"; readonly list: string; readonly problem: string }
  | { readonly kind: "list_not_list"; readonly list: string; readonly found: unknown }
  | { readonly kind: "list_empty"; readonly list: string }
  | {
    readonly kind: "list_entry_bad";
    readonly list: string;
    readonly index: number;
    readonly problem: string;
  }
  | { readonly kind: "list_clash"; readonly list: string; readonly owner: NameOwner };

/** A {@link ChannelsTomlFault} in one group or alias entry. */
export type EntryFault =
  | { readonly kind: "group_bad_name"; readonly group: GroupRef; readonly problem: string }
  | { readonly kind: "group_not_list"; readonly group: GroupRef; readonly found: unknown }
  | { readonly kind: "group_empty"; readonly group: GroupRef }
  | {
    readonly kind: "group_id_not_text";
    readonly group: GroupRef;
    readonly index: number;
    readonly found: unknown;
  }
  | {
    readonly kind: "group_bad_id";
    readonly group: GroupRef;
    readonly index: number;
    readonly id: string;
    readonly problem: string;
  }
  | { readonly kind: "group_clash"; readonly group: GroupRef; readonly owner: NameOwner }
  | { readonly kind: "alias_bad_name"; readonly alias: string; readonly problem: string }
  | { readonly kind: "alias_target_not_text"; readonly alias: string; readonly found: unknown }
  | { readonly kind: "alias_unknown_target"; readonly alias: string; readonly target: string }
  | { readonly kind: "alias_clash"; readonly alias: string; readonly owner: NameOwner };

/** A group entry: its table and its name. */
export interface GroupRef {
  readonly table: GroupTable;
  readonly name: string;
}

/**
 * Parses and validates the text of channels.toml. `fileName` is used in messages only.
 * An empty text (or only comments) is a valid, empty config. Returns the first problem found,
 * with its line and column when the place is known.
 */
export function parseChannelsToml(
  text: string,
  fileName: string,
): Result<ChannelsConfig, ChannelsFileError> {
  let raw: Table;
  try {
    raw = parse(text) as Table;
  } catch (e) {
    const problem = explainTomlError(e, text);
    if (problem === undefined) throw e;
    return err(channelsFileError(fileName, problem.message, problem, text));
  }
  const decided = decideChannelsConfig(raw);
  return decided.ok ? decided : err(channelsFaultError(decided.error, fileName, text));
}

/** Validates parsed channels.toml: the config, or the first fault in reading order. */
export function decideChannelsConfig(raw: Record<string, unknown>): Result<
  ChannelsConfig,
  ChannelsTomlFault
> {
  const unknown = Object.keys(raw).filter((k) => !CHANNELS_TOML_KEYS.includes(k));
  if (unknown.length > 0) return err({ kind: "unknown_keys", keys: unknown });
  // Every name a user can type, for clash detection.
  const taken = new Map<string, NameOwner>();
  const whitelist = decideWhitelist(raw.whitelist, taken);
  if (!whitelist.ok) return whitelist;
  const rules = new Map<string, AudienceRules>();
  const groups = decideGroups("groups", raw.groups, taken, rules);
  if (!groups.ok) return groups;
  const privateGroups = decideGroups("private_groups", raw.private_groups, taken, rules);
  if (!privateGroups.ok) return privateGroups;
  const lists = decideLists(raw.lists, taken, rules);
  if (!lists.ok) return lists;
  const aliases = decideAliases(raw.aliases, taken);
  if (!aliases.ok) return aliases;
  const everyone = decideEveryone(raw.everyone);
  if (!everyone.ok) return everyone;
  return ok({
    whitelist: whitelist.value,
    groups: groups.value,
    privateGroups: privateGroups.value,
    lists: lists.value,
    aliases: aliases.value,
    ...(rules.size > 0 ? { rules } : {}),
    ...(everyone.value !== undefined ? { everyone: everyone.value } : {}),
  });
}

/** `[everyone]`: the rules of sending to every person of the team, when written. */
function decideEveryone(value: unknown): Result<AudienceRules | undefined, ChannelsTomlFault> {
  if (value === undefined) return ok(undefined);
  if (!isTable(value)) return err({ kind: "everyone_not_table", found: value });
  const rules = decideRules(value, undefined);
  return rules.ok ? rules : err({ kind: "rules", owner: { kind: "everyone" }, fault: rules.error });
}

/**
 * An entry of `[groups]` or `[lists]`: its members (a list in the short form, `members =
 * [...]` in the table form) and, in the table form, its rules (stored in `rules`).
 */
function entryMembers(
  value: unknown,
  members: "channels" | "people",
  owner: RulesOwner,
  name: string,
  rules: Map<string, AudienceRules>,
): Result<unknown, ChannelsTomlFault> {
  if (!isTable(value)) return ok(value);
  const decided = decideRules(value, members);
  if (!decided.ok) return err({ kind: "rules", owner, fault: decided.error });
  if (value[members] === undefined) {
    return err({ kind: "rules", owner, fault: { kind: "rules_no_members", members } });
  }
  rules.set(nameKey(name), decided.value);
  return ok(value[members]);
}

/** `whitelist = [...]`: channel names, the same one twice kept once. */
function decideWhitelist(
  value: unknown,
  taken: Map<string, NameOwner>,
): Result<string[], ChannelsTomlFault> {
  const whitelist: string[] = [];
  if (value === undefined) return ok(whitelist);
  if (!Array.isArray(value)) return err({ kind: "whitelist_not_list", found: value });
  for (const [index, entry] of value.entries()) {
    if (typeof entry !== "string") {
      return err({ kind: "whitelist_entry_not_text", index, found: entry });
    }
    const problem = groupNameProblem(entry);
    if (problem !== undefined) return err({ kind: "whitelist_entry_bad", index, entry, problem });
    const key = nameKey(entry);
    if (taken.has(key)) continue; // the same channel twice: harmless, keep one
    taken.set(key, { kind: "whitelisted", name: entry });
    whitelist.push(entry);
  }
  return ok(whitelist);
}

/** `[groups]` or `[private_groups]`: names to lists of channel ids (duplicates kept once). */
function decideGroups(
  table: GroupTable,
  value: unknown,
  taken: Map<string, NameOwner>,
  rules: Map<string, AudienceRules>,
): Result<Map<string, readonly string[]>, ChannelsTomlFault> {
  const groups = new Map<string, readonly string[]>();
  if (value === undefined) return ok(groups);
  if (!isTable(value)) return err({ kind: "groups_not_table", table, found: value });
  for (const [name, entry] of Object.entries(value)) {
    const group = { table, name };
    const problem = groupNameProblem(name);
    if (problem !== undefined) return err({ kind: "group_bad_name", group, problem });
    const members = entryMembers(entry, "channels", { kind: "group", group }, name, rules);
    if (!members.ok) return members;
    const ids = members.value;
    if (!Array.isArray(ids)) return err({ kind: "group_not_list", group, found: ids });
    if (ids.length === 0) return err({ kind: "group_empty", group });
    const unique: string[] = [];
    for (const [index, id] of ids.entries()) {
      if (typeof id !== "string") {
        return err({ kind: "group_id_not_text", group, index, found: id });
      }
      const idProblem = groupChannelProblem(id);
      if (idProblem !== undefined) {
        return err({ kind: "group_bad_id", group, index, id, problem: idProblem });
      }
      if (!unique.includes(id)) unique.push(id);
    }
    const owner = claimName(taken, name, { kind: "group", table, name });
    if (owner !== undefined) return err({ kind: "group_clash", group, owner });
    groups.set(name, unique);
  }
  return ok(groups);
}

/**
 * Why `name` cannot name a list, or undefined: a group name's rules, and nothing that reads
 * like another kind of target (`everyone`, `@alice`, `members of ...`).
 */
export function listNameProblem(name: string): string | undefined {
  const problem = groupNameProblem(name);
  if (problem !== undefined) return problem;
  if (nameKey(name) === "everyone") return "`everyone` already means every person of the team";
  if (name.startsWith("@")) return "a name starting with @ reads as a person's username";
  if (/^members\s+of\b/i.test(name)) {
    return 'a name starting with "members of" reads as a channel\'s members';
  }
  return undefined;
}

/** Why a list entry is not a username or user id, or undefined. */
export function listEntryProblem(entry: string): string | undefined {
  const ref = parseUserRef(entry);
  return ref.ok ? undefined : ref.error.message;
}

/** `[lists]`: names to usernames or user ids (the same person twice kept once). */
function decideLists(
  value: unknown,
  taken: Map<string, NameOwner>,
  rules: Map<string, AudienceRules>,
): Result<Map<string, readonly string[]>, ChannelsTomlFault> {
  const lists = new Map<string, readonly string[]>();
  if (value === undefined) return ok(lists);
  if (!isTable(value)) return err({ kind: "lists_not_table", found: value });
  for (const [list, entry] of Object.entries(value)) {
    const problem = listNameProblem(list);
    if (problem !== undefined) return err({ kind: "list_bad_name", list, problem });
    const members = entryMembers(entry, "people", { kind: "list", list }, list, rules);
    if (!members.ok) return members;
    const entries = members.value;
    if (!Array.isArray(entries)) return err({ kind: "list_not_list", list, found: entries });
    if (entries.length === 0) return err({ kind: "list_empty", list });
    const unique: string[] = [];
    for (const [index, entry] of entries.entries()) {
      const bad = typeof entry !== "string"
        ? `not text but ${describe(entry)}`
        : listEntryProblem(entry);
      if (bad !== undefined) return err({ kind: "list_entry_bad", list, index, problem: bad });
      if (!unique.includes(entry)) unique.push(entry);
    }
    const owner = claimName(taken, list, { kind: "list", name: list });
    if (owner !== undefined) return err({ kind: "list_clash", list, owner });
    lists.set(list, unique);
  }
  return ok(lists);
}

/** `[aliases]`: lowercase aliases to a group, list or whitelisted channel named before. */
function decideAliases(
  value: unknown,
  taken: Map<string, NameOwner>,
): Result<Map<string, string>, ChannelsTomlFault> {
  const aliases = new Map<string, string>();
  if (value === undefined) return ok(aliases);
  if (!isTable(value)) return err({ kind: "aliases_not_table", found: value });
  // An alias names a group or a whitelisted channel, never another alias.
  const targets = new Set(taken.keys());
  for (const [alias, target] of Object.entries(value)) {
    const problem = aliasProblem(alias);
    if (problem !== undefined) return err({ kind: "alias_bad_name", alias, problem });
    if (typeof target !== "string") {
      return err({ kind: "alias_target_not_text", alias, found: target });
    }
    if (!targets.has(nameKey(target))) return err({ kind: "alias_unknown_target", alias, target });
    const owner = claimName(taken, alias, { kind: "alias", name: alias });
    if (owner !== undefined) return err({ kind: "alias_clash", alias, owner });
    aliases.set(alias, target);
  }
  return ok(aliases);
}

/** Takes `name` for `owner`; returns who already has it (compared by {@link nameKey}), if anyone. */
function claimName(
  taken: Map<string, NameOwner>,
  name: string,
  owner: NameOwner,
): NameOwner | undefined {
  const key = nameKey(name);
  const existing = taken.get(key);
  if (existing === undefined) taken.set(key, owner);
  return existing;
}

/** `group "X" in [groups]`, `alias "x" in [aliases]`, `whitelisted channel "y"`. */
function ownerLabel(owner: NameOwner): string {
  switch (owner.kind) {
    case "whitelisted":
      return `whitelisted channel ${JSON.stringify(owner.name)}`;
    case "group":
      return groupLabel(owner);
    case "list":
      return listLabel(owner.name);
    case "alias":
      return aliasLabel(owner.name);
    default:
      return unreachable(owner);
  }
}

function groupLabel(group: GroupRef): string {
  return `group ${JSON.stringify(group.name)} in ${TABLE_LABEL[group.table]}`;
}

function listLabel(list: string): string {
  return `list ${JSON.stringify(list)} in [lists]`;
}

function aliasLabel(alias: string): string {
  return `alias ${JSON.stringify(alias)} in [aliases]`;
}

/** A fault as the error the person fixing the file reads: the place, the problem, the line. */
export function channelsFaultError(
  fault: ChannelsTomlFault,
  fileName: string,
  text: string,
): ChannelsFileError {
  return channelsFileError(
    fileName,
    faultDetail(fault),
    faultPlace(fault, new Locator(text)),
    text,
  );
}

/** How a channel's name looks (the last part of its URL), with or without a leading `~`. */
const CHANNEL_NAME = /^~?[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * Whether a group entry names its channel by name rather than by id. The rule: an entry of
 * 26 lowercase letters and digits is an id -- unless no channel has that id and one has that
 * name (see channels_rules.ts, which resolves names in the team); any other entry is a name.
 */
export function isChannelName(entry: string): boolean {
  return mattermostIdProblem(entry) !== undefined && CHANNEL_NAME.test(entry);
}

/** Why `entry` can name no channel in a group (neither an id nor a name), or undefined. */
export function groupChannelProblem(entry: string): string | undefined {
  const idProblem = mattermostIdProblem(entry);
  return idProblem === undefined || CHANNEL_NAME.test(entry) ? undefined : idProblem;
}

/** A place in channels.toml named by what is there rather than by line. */
export type ChannelsPlace =
  | { readonly group: GroupRef; readonly index: number }
  | { readonly whitelistIndex: number }
  /** Item `index` of `senders` or `approvers` in the rules of a group, list or `everyone`. */
  | { readonly rules: RulesOwner; readonly field: string; readonly index: number };

/**
 * An error about an entry of a valid channels.toml (found by a check beyond the file's own
 * rules, like the audit channel's), placed at that entry in `text` as file errors are.
 */
export function channelsEntryError(
  fileName: string,
  text: string,
  detail: string,
  place: ChannelsPlace,
): ChannelsFileError {
  const at = new Locator(text);
  const where = "group" in place
    ? at.item(place.group.table, place.group.name, place.index)
    : "rules" in place
    ? rulesPlace({
      kind: "rules",
      owner: place.rules,
      fault: { kind: "rules_bad_user", field: place.field, index: place.index, problem: "" },
    }, at)
    : at.whitelistItem(place.whitelistIndex);
  return channelsFileError(fileName, detail, where, text);
}

/** Where in the text the fault is: the entry, its value, or the item at fault. */
function faultPlace(fault: ChannelsTomlFault, at: Locator): TomlPosition | undefined {
  switch (fault.kind) {
    case "unknown_keys":
      return at.top(fault.keys[0]);
    case "whitelist_not_list":
      return at.top("whitelist");
    case "whitelist_entry_not_text":
    case "whitelist_entry_bad":
      return at.whitelistItem(fault.index);
    case "groups_not_table":
      return at.top(fault.table);
    case "group_bad_name":
    case "group_clash":
      return at.entry(fault.group.table, fault.group.name);
    case "group_not_list":
    case "group_empty":
      return at.value(fault.group.table, fault.group.name);
    case "group_id_not_text":
    case "group_bad_id":
      return at.item(fault.group.table, fault.group.name, fault.index);
    case "aliases_not_table":
      return at.top("aliases");
    case "lists_not_table":
      return at.top("lists");
    case "everyone_not_table":
      return at.top("everyone");
    case "rules":
      return rulesPlace(fault, at);
    case "list_bad_name":
    case "list_clash":
      return at.entry("lists", fault.list);
    case "list_not_list":
    case "list_empty":
      return at.value("lists", fault.list);
    case "list_entry_bad":
      return at.item("lists", fault.list, fault.index);
    case "alias_bad_name":
    case "alias_clash":
      return at.entry("aliases", fault.alias);
    case "alias_target_not_text":
    case "alias_unknown_target":
      return at.value("aliases", fault.alias);
    default:
      return unreachable(fault);
  }
}

/** Where a rules fault is: the key at fault inside the table, else the table's entry. */
function rulesPlace(fault: RulesEntryFault, at: Locator): TomlPosition | undefined {
  const f = fault.fault;
  const key = f.kind === "rules_not_list" || f.kind === "rules_empty" ||
      f.kind === "rules_bad_user"
    ? f.field
    : f.kind === "rules_unknown_keys"
    ? f.keys[0]
    : f.kind === "rules_bad_approvals" || f.kind === "rules_too_few_approvers"
    ? "approvals"
    : undefined;
  const path = fault.owner.kind === "group"
    ? [fault.owner.group.table, fault.owner.group.name]
    : fault.owner.kind === "list"
    ? ["lists", fault.owner.list]
    : ["everyone"];
  const found = key === undefined ? undefined : at.path([...path, key]);
  if (found !== undefined) {
    return f.kind === "rules_bad_user" ? (found.items[f.index] ?? found.keyPos) : found.keyPos;
  }
  return path.length === 1 ? at.top(path[0]) : at.entry(path[0], path[1]);
}

/** `group "X" in [groups]`, `list "Y" in [lists]`, `[everyone]`. */
function rulesOwnerLabel(owner: RulesOwner): string {
  return owner.kind === "group"
    ? groupLabel(owner.group)
    : owner.kind === "list"
    ? listLabel(owner.list)
    : "[everyone]";
}

/** The problem in words, with how to fix it. */
function faultDetail(fault: ChannelsTomlFault): string {
  switch (fault.kind) {
    case "unknown_keys": {
      const names = fault.keys.map((k) => JSON.stringify(k)).join(", ");
      return `unknown ${fault.keys.length === 1 ? "setting" : "settings"} ${names}: ` +
        "channels.toml may only contain whitelist = [...], [groups], [private_groups], " +
        "[lists], [aliases] and [everyone]; check the spelling (or the [section] the line is under)";
    }
    case "whitelist_not_list":
      return `whitelist must be a list of channel names, like whitelist = ["town-square"], ` +
        `not ${describe(fault.found)}`;
    case "whitelist_entry_not_text":
      return `whitelist entries must be channel names in double quotes, like "town-square", ` +
        `not ${describe(fault.found)}`;
    case "whitelist_entry_bad":
      return `whitelist entry ${JSON.stringify(fault.entry)}: ${
        fault.problem.replace("the name", "the channel name")
      }`;
    case "groups_not_table":
      return `${fault.table} must be a section ${TABLE_LABEL[fault.table]} of lines like ` +
        `"Group name" = ["<channel id>", ...], not ${describe(fault.found)}`;
    case "aliases_not_table":
      return `aliases must be a section [aliases] of lines like all = "All offices", ` +
        `not ${describe(fault.found)}`;
    case "lists_not_table":
      return `lists must be a section [lists] of lines like "Night shift" = ["alice", "bob"], ` +
        `not ${describe(fault.found)}`;
    case "everyone_not_table":
      return `everyone must be a section [everyone] of lines like senders = ["alice"], ` +
        `not ${describe(fault.found)}`;
    case "rules":
      return `${rulesOwnerLabel(fault.owner)}: ${
        rulesFaultText(
          fault.fault,
          fault.owner.kind === "group" ? "channels" : fault.owner.kind === "list" ? "people" : "",
        )
      }`;
    case "list_bad_name":
      return `${listLabel(fault.list)}: ${fault.problem}`;
    case "list_not_list":
      return `${listLabel(fault.list)} must be a list of usernames or user ids, like ` +
        `${JSON.stringify(fault.list)} = ["alice", "bob"], not ${describe(fault.found)}`;
    case "list_empty":
      return `${listLabel(fault.list)} names nobody; add at least one person, or remove the line`;
    case "list_entry_bad":
      return `${listLabel(fault.list)}: item ${fault.index + 1}: ${fault.problem}`;
    case "list_clash":
      return `${listLabel(fault.list)} has the same name as ${ownerLabel(fault.owner)} ` +
        "(names are compared ignoring case); rename one of them";
    default:
      return entryDetail(fault);
  }
}

/** {@link faultDetail} for one group or alias entry. */
function entryDetail(fault: EntryFault): string {
  switch (fault.kind) {
    case "group_bad_name":
      return `${groupLabel(fault.group)}: ${fault.problem}`;
    case "group_not_list":
      return `${groupLabel(fault.group)} must be a list of channel ids, like ` +
        `${JSON.stringify(fault.group.name)} = ["abcdefghijklmnopqrstuvwxyz"], not ` +
        describe(fault.found);
    case "group_empty":
      return `${groupLabel(fault.group)} has no channel ids; add at least one, or remove the line`;
    case "group_id_not_text":
      return `${groupLabel(fault.group)}: channel ids must be in double quotes, like ` +
        `"abcdefghijklmnopqrstuvwxyz", not ${describe(fault.found)}`;
    case "group_bad_id":
      return `${groupLabel(fault.group)}: ${JSON.stringify(fault.id)} is not a Mattermost ` +
        `channel id (${fault.problem}) nor a channel name; ids are 26 lowercase letters and ` +
        `digits, shown in the channel's "View Info" dialog, names are the last part of its ` +
        "URL (lowercase letters, digits, - and _)";
    case "group_clash":
      return `${groupLabel(fault.group)} has the same name as ${ownerLabel(fault.owner)} ` +
        "(names are compared ignoring case); rename one of them";
    case "alias_bad_name":
      return `${aliasLabel(fault.alias)}: ${fault.problem}`;
    case "alias_target_not_text":
      return `${aliasLabel(fault.alias)} must name a group or whitelisted channel in double ` +
        `quotes, like ${JSON.stringify(fault.alias)} = "All offices", not ${describe(fault.found)}`;
    case "alias_unknown_target":
      return `${aliasLabel(fault.alias)} points to ${JSON.stringify(fault.target)}, which is ` +
        "neither a group, a list nor a whitelisted channel; fix the spelling, or remove the alias";
    case "alias_clash":
      return `${aliasLabel(fault.alias)} has the same name as ${ownerLabel(fault.owner)} ` +
        "(names are compared ignoring case); remove or rename the alias";
    default:
      return unreachable(fault);
  }
}

/** Where a group lives: `[groups]` (listed) or `[private_groups]` (not listed). */
export type GroupTable = "groups" | "private_groups";

/**
 * The existing group, alias or whitelisted channel a new `name` would clash with (compared
 * ignoring case), described for a message; `undefined` when the name is free.
 */
export function findNameClash(config: ChannelsConfig, name: string): string | undefined {
  const key = nameKey(name);
  for (
    const [table, groups] of [["groups", config.groups], [
      "private_groups",
      config.privateGroups,
    ]] as const
  ) {
    for (const existing of groups.keys()) {
      if (nameKey(existing) === key) {
        return `group ${JSON.stringify(existing)} in ${TABLE_LABEL[table]}`;
      }
    }
  }
  for (const list of config.lists.keys()) {
    if (nameKey(list) === key) return listLabel(list);
  }
  for (const alias of config.aliases.keys()) {
    if (nameKey(alias) === key) return `alias ${JSON.stringify(alias)}`;
  }
  for (const channel of config.whitelist) {
    if (nameKey(channel) === key) return `whitelisted channel ${JSON.stringify(channel)}`;
  }
  return undefined;
}

/** True when both configs hold the same entries (order of map keys aside). */
export function sameChannelsConfig(a: ChannelsConfig, b: ChannelsConfig): boolean {
  const sameList = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  const sameMap = <V>(
    x: ReadonlyMap<string, V>,
    y: ReadonlyMap<string, V>,
    eq: (p: V, q: V) => boolean,
  ) => x.size === y.size && [...x].every(([k, v]) => y.has(k) && eq(v, y.get(k)!));
  return sameList(a.whitelist, b.whitelist) &&
    sameMap(a.groups, b.groups, sameList) &&
    sameMap(a.privateGroups, b.privateGroups, sameList) &&
    sameMap(a.lists, b.lists, sameList) &&
    sameMap(a.aliases, b.aliases, (p, q) => p === q) &&
    sameMap(a.rules ?? new Map(), b.rules ?? new Map(), sameRules) &&
    (a.everyone === undefined) === (b.everyone === undefined) &&
    (a.everyone === undefined || sameRules(a.everyone, b.everyone!));
}

/** True when two audiences' rules say the same. */
function sameRules(a: AudienceRules, b: AudienceRules): boolean {
  const same = (x: readonly string[] = [], y: readonly string[] = []) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return (a.senders === undefined) === (b.senders === undefined) &&
    same(a.senders, b.senders) && same(a.approvers, b.approvers) &&
    a.approvals === b.approvals;
}
