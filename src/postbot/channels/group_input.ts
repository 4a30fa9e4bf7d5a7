/**
 * Parsing the argument of `!add_group` and `!add_private_group`.
 *
 * Users paste one or several TOML lines into a direct message:
 *
 * ```
 * !add_group "All offices" = ["abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnop"]
 * Engineering = ["abcdefghijklmnopqrstuvwxyz"]
 * ```
 *
 * The input is parsed as TOML (so the syntax is the one of channels.toml itself) and then
 * restricted to plain `name = [ids]` lines. Every refusal says what is wrong, where (line,
 * column, the line quoted back with a caret) and shows a correct example, because the person
 * reading it is in a chat window, not an editor.
 *
 * @module
 */

import { parse } from "smol-toml";
import { err, ok, type Problem, type Result, unreachable } from "@postbot/framework";
import {
  excerptAt,
  explainTomlError,
  groupChannelProblem,
  groupNameProblem,
  nameKey,
} from "./parse.ts";
import { scanTomlLayout, type TomlKeyValueLine } from "./toml_text.ts";
import {
  type AudienceRules,
  decideRules,
  type RulesFault,
  rulesFaultText,
} from "./audience_rules.ts";

/** One group to add: its name and its channel ids (valid, without duplicates, in input order). */
export interface GroupDefinition {
  readonly name: string;
  readonly channelIds: readonly string[];
  /** Given in the table form with senders or approvers: who may send, who approves. */
  readonly rules?: AudienceRules;
}

/**
 * Why the input was refused: a {@link Problem} whose message is chat-ready (Markdown: the
 * place, the line quoted back, a correct example), and the place when known.
 */
export interface InputError extends Problem {
  readonly line?: number;
  readonly column?: number;
}

/** Longest argument accepted, in UTF-16 code units: bounds the work done for one chat message. */
export const MAX_GROUP_INPUT_LENGTH = 20_000;

/** Most channel ids one group may list in a single command. */
export const MAX_IDS_PER_GROUP = 1_000;

/** How many bad ids one message lists before summarising the rest. */
const MAX_LISTED_BAD_IDS = 10;

const SAMPLE_IDS = '["abcdefghijklmnopqrstuvwxyz", "0123456789abcdefghijklmnop"]';

/** The table form on one line, as a DM takes it. */
const TABLE_SAMPLE = '`"All staff" = { channels = ["town-square"], senders = ["comms-lead"], ' +
  'approvers = ["ceo-office"], approvals = 1 }`';

function fence(text: string): string {
  const marks = text.includes("```") ? "````" : "```";
  return `${marks}\n${text}\n${marks}`;
}

/**
 * Removes Markdown code formatting a chat user may have wrapped the TOML in (a fenced block,
 * or single backticks on one line), keeping line and column numbers unchanged.
 */
export function stripCodeFormatting(input: string): string {
  const lines = input.split("\n");
  const isFence = (line: string | undefined) => line !== undefined && /^\s*```/.test(line);
  if (isFence(lines[0])) {
    lines[0] = "";
    const last = lines.length - 1;
    if (last > 0 && /^\s*```\s*$/.test(lines[last])) lines[last] = "";
    return lines.join("\n");
  }
  const single = /^(\s*)`([^`]*)`(\s*)$/.exec(input);
  if (single !== null) return `${single[1]} ${single[2]} ${single[3]}`;
  return input;
}

/** Options of {@link parseGroupInput}. */
export interface GroupInputOptions {
  /** The command the user typed, shown in the examples of error messages (`!add_group`). */
  readonly command?: string;
  /**
   * Longest input accepted ({@link MAX_GROUP_INPUT_LENGTH} by default). At 29 characters per
   * id, 20,000 characters hold fewer than {@link MAX_IDS_PER_GROUP} distinct ids.
   */
  readonly maxInputLength?: number;
}

/** A place in the input, 1-based. */
type Place = { readonly line: number; readonly column: number };

/** Why the input was refused, decided before any wording ({@link groupInputProblem} words it). */
export type GroupInputRefusal =
  | { readonly kind: "too_long"; readonly length: number; readonly max: number }
  | { readonly kind: "empty" }
  | { readonly kind: "section_header"; readonly at: Place }
  | { readonly kind: "dotted_name"; readonly dotted: string; readonly at: Place }
  | {
    readonly kind: "repeated_name";
    readonly name: string;
    readonly previous: { readonly name: string; readonly line: number };
    readonly at: Place;
  }
  | { readonly kind: "syntax"; readonly detail: string; readonly at: Place }
  | { readonly kind: "bad_name"; readonly name: string; readonly problem: string; at?: Place }
  /** Only reachable when the layout scan gave up: the parser's own keys repeat a name. */
  | { readonly kind: "given_twice"; readonly name: string }
  | {
    readonly kind: "not_a_list";
    readonly name: string;
    readonly what: "table" | "text" | "other";
    readonly at?: Place;
  }
  | { readonly kind: "no_ids"; readonly name: string; readonly at?: Place }
  /** The table form's rules are wrong (unknown key, bad approvals, ...). */
  | { readonly kind: "rules"; readonly name: string; readonly fault: RulesFault; at?: Place }
  | { readonly kind: "too_many_ids"; readonly name: string; count: number; at?: Place }
  | { readonly kind: "id_not_text"; readonly name: string; item: number; at?: Place }
  /** `bad` are the ids with their problem, in input order. */
  | {
    readonly kind: "bad_ids";
    readonly name: string;
    readonly bad: readonly { readonly id: string; readonly problem: string }[];
    readonly at?: Place;
  };

/** Parses `input` (the text after `!add_group` or `!add_private_group`) into group definitions. */
export function parseGroupInput(
  input: string,
  options: GroupInputOptions = {},
): Result<GroupDefinition[], InputError> {
  const decided = decideGroupInput(input, options.maxInputLength ?? MAX_GROUP_INPUT_LENGTH);
  if (decided.ok) return decided;
  return err(groupInputProblem(decided.error, options.command ?? "!add_group"));
}

/** {@link parseGroupInput}'s decision; `text` is the input without its code formatting. */
export function decideGroupInput(
  input: string,
  maxLength: number,
): Result<GroupDefinition[], { refusal: GroupInputRefusal; text: string }> {
  const refuse = (refusal: GroupInputRefusal, text: string) => err({ refusal, text });
  if (input.length > maxLength) {
    return refuse({ kind: "too_long", length: input.length, max: maxLength }, input);
  }
  const text = stripCodeFormatting(input);
  if (text.trim() === "") return refuse({ kind: "empty" }, text);
  const structure = readStructure(text);
  if (!structure.ok) return refuse(structure.error, text);
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    const problem = explainTomlError(e, text);
    if (problem === undefined) throw e;
    return refuse({ kind: "syntax", detail: problem.message, at: problem }, text);
  }
  const { order, statements } = structure.value;
  const groups: GroupDefinition[] = [];
  const seenKeys = new Set<string>();
  for (const name of order ?? Object.keys(raw)) {
    const group = decideGroup(name, raw[name], statements.get(name));
    // A bad name is reported before the repetition, as it reads first.
    if (!group.ok && group.error.kind === "bad_name") return refuse(group.error, text);
    if (seenKeys.has(nameKey(name))) return refuse({ kind: "given_twice", name }, text);
    seenKeys.add(nameKey(name));
    if (!group.ok) return refuse(group.error, text);
    groups.push(group.value);
  }
  return ok(groups);
}

/** The statements in input order, or `order` undefined when the layout scan gave up. */
interface Structure {
  readonly order: string[] | undefined;
  readonly statements: ReadonlyMap<string, TomlKeyValueLine>;
}

/**
 * Structure first (headers, dotted names, repeated names), with exact places: smol-toml
 * would report a repeated name only as a generic redefinition.
 */
function readStructure(text: string): Result<Structure, GroupInputRefusal> {
  const layout = scanTomlLayout(text);
  const statements = new Map<string, TomlKeyValueLine>();
  if (layout === undefined) return ok({ order: undefined, statements });
  const order: string[] = [];
  const seen = new Map<string, { name: string; line: number }>();
  for (const st of layout.statements) {
    if (st.kind === "header") return err({ kind: "section_header", at: st.pos });
    if (st.key.length > 1) {
      return err({ kind: "dotted_name", dotted: st.key.join("."), at: st.keyPos });
    }
    const name = st.key[0];
    const previous = seen.get(nameKey(name));
    if (previous !== undefined) {
      return err({ kind: "repeated_name", name, previous, at: st.keyPos });
    }
    seen.set(nameKey(name), { name, line: st.keyPos.line });
    order.push(name);
    statements.set(name, st);
  }
  return ok({ order, statements });
}

/** One `name = [ids]` line checked: the name, the list, each id. */
function decideGroup(
  name: string,
  value: unknown,
  statement: TomlKeyValueLine | undefined,
): Result<GroupDefinition, GroupInputRefusal> {
  const at = statement?.keyPos;
  const problem = groupNameProblem(name);
  if (problem !== undefined) return err({ kind: "bad_name", name, problem, at });
  let rules: AudienceRules | undefined;
  if (isPlainTable(value)) {
    const decided = decideRules(value, "channels");
    if (!decided.ok) return err({ kind: "rules", name, fault: decided.error, at });
    if (value.channels === undefined) {
      return err({
        kind: "rules",
        name,
        fault: { kind: "rules_no_members", members: "channels" },
        at,
      });
    }
    const r = decided.value;
    // A table with channels only is the short form: no rules to keep.
    if (r.senders !== undefined || r.approvers.length > 0) rules = r;
    value = value.channels;
  }
  if (!Array.isArray(value)) {
    const what = typeof value === "object" && value !== null && !(value instanceof Date)
      ? "table"
      : typeof value === "string"
      ? "text"
      : "other";
    return err({ kind: "not_a_list", name, what, at });
  }
  if (value.length === 0) return err({ kind: "no_ids", name, at });
  if (value.length > MAX_IDS_PER_GROUP) {
    return err({ kind: "too_many_ids", name, count: value.length, at });
  }
  const bad: { id: string; problem: string }[] = [];
  let firstBad: Place | undefined;
  for (const [i, id] of value.entries()) {
    if (typeof id !== "string") {
      return err({ kind: "id_not_text", name, item: i + 1, at: statement?.items[i] ?? at });
    }
    const idProblem = groupChannelProblem(id);
    if (idProblem !== undefined) {
      bad.push({ id, problem: idProblem });
      firstBad ??= statement?.items[i];
    }
  }
  if (bad.length > 0) return err({ kind: "bad_ids", name, bad, at: firstBad ?? at });
  const channelIds = [...new Set(value as string[])];
  return ok(rules === undefined ? { name, channelIds } : { name, channelIds, rules });
}

/** A TOML table (`{ ... }`), not a list, text, number or date. */
function isPlainTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * A refusal as a chat reply: the place and the problem, the line quoted back with a caret,
 * a note on typographic quotes when the text has them, and a correct example.
 */
export function groupInputProblem(
  { refusal, text }: { refusal: GroupInputRefusal; text: string },
  command: string,
): InputError {
  const detail = refusalDetail(refusal, command);
  // The input itself is quoted back only for refusals about its content.
  const quoted = refusal.kind === "too_long" || refusal.kind === "empty" ||
      refusal.kind === "given_twice"
    ? undefined
    : text;
  const at = "at" in refusal ? refusal.at : undefined;
  let message = at === undefined ? detail : `Line ${at.line}, column ${at.column}: ${detail}`;
  const excerpt = at === undefined || quoted === undefined
    ? undefined
    : excerptAt(quoted, at.line, at.column);
  if (excerpt !== undefined) message += `\n${fence(excerpt)}`;
  if (quoted !== undefined && /[\u201c\u201d\u201e\u2018\u2019]/.test(quoted)) {
    message +=
      '\nYour text contains typographic quotes (\u201c \u201d \u2018 \u2019): use straight quotes (").';
  }
  message += `\nExample:\n${fence(`${command} "Engineering" = ${SAMPLE_IDS}`)}`;
  return at === undefined ? { message } : { message, line: at.line, column: at.column };
}

/** What is wrong, in words, without the place. */
function refusalDetail(refusal: GroupInputRefusal, command: string): string {
  const label = "name" in refusal ? `group ${JSON.stringify(refusal.name)}` : "";
  switch (refusal.kind) {
    case "too_long":
      return `the text is ${refusal.length.toLocaleString("en-US")} characters long; the ` +
        `limit is ${refusal.max.toLocaleString("en-US")}. Split the groups over several ` +
        `${command} commands.`;
    case "empty":
      return `nothing to add. Write one group per line: its name, "=", and its channel ids in ` +
        "square brackets.";
    case "section_header":
      return "section headers like [groups] are not allowed here: write only " +
        '`"Group name" = [channel ids]` lines, one group per line.';
    case "dotted_name":
      return `the name ${refusal.dotted} has a dot, which TOML reads as nested names. To use ` +
        "a dot in a group name, put the whole name in double quotes: " +
        `${JSON.stringify(refusal.dotted)} = [...]`;
    case "repeated_name": {
      const { previous } = refusal;
      const same = previous.name === refusal.name
        ? ""
        : ` as ${JSON.stringify(previous.name)} (names are compared ignoring case)`;
      return `the group ${JSON.stringify(refusal.name)} is already given on line ` +
        `${previous.line}${same}. Give each group once, with all its channel ids.`;
    }
    case "syntax":
      return refusal.detail;
    case "bad_name":
      return `${label}: ${refusal.problem}. Names are 1 to 100 visible characters on one ` +
        "line, without control or invisible characters or spaces around them.";
    case "given_twice":
      return `the group ${JSON.stringify(refusal.name)} is given twice; give each group once.`;
    case "not_a_list":
      return `${label} must be a list of channel ids in square brackets, but it is ${
        NOT_A_LIST[refusal.what]
      }.`;
    case "no_ids":
      return `${label} has no channel ids; list at least one.`;
    case "rules":
      return `${label}: ${rulesFaultText(refusal.fault, "channels")}. The table form is ` +
        `${TABLE_SAMPLE}.`;
    case "too_many_ids":
      return `${label} has ${refusal.count.toLocaleString("en-US")} channel ids; at most ` +
        `${MAX_IDS_PER_GROUP.toLocaleString("en-US")} fit in one group. Split it into ` +
        "several groups.";
    case "id_not_text":
      return `${label}: item ${refusal.item} is not text. Channel ids go in double quotes, ` +
        'like "abcdefghijklmnopqrstuvwxyz".';
    case "bad_ids":
      return badIdsDetail(label, refusal.bad);
    default:
      return unreachable(refusal);
  }
}

const NOT_A_LIST = {
  table: "a table (dotted names and { } are not allowed)",
  text: "a single text",
  other: "not a list",
} as const;

/** The bad ids listed (the first {@link MAX_LISTED_BAD_IDS}), and what an id looks like. */
function badIdsDetail(
  label: string,
  bad: readonly { readonly id: string; readonly problem: string }[],
): string {
  const listed = bad.slice(0, MAX_LISTED_BAD_IDS)
    .map((b) => `- ${JSON.stringify(b.id)} (${b.problem})`).join("\n");
  const more = bad.length > MAX_LISTED_BAD_IDS
    ? `\n- and ${bad.length - MAX_LISTED_BAD_IDS} more`
    : "";
  return `${label}: ${
    bad.length === 1 ? "this is not a channel id nor a name" : "these are not channel ids nor names"
  }:\n${listed}${more}\nA channel id is 26 lowercase letters and digits; find it in the ` +
    `channel's "View Info" dialog. A channel name is the last part of its URL, like ` +
    "town-square.";
}
