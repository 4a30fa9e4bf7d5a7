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
import { err, mattermostIdProblem, ok, type Result } from "@postbot/framework";
import { excerptAt, explainTomlError, groupNameProblem, nameKey } from "./config.ts";
import { scanTomlLayout, type TomlKeyValueLine } from "./toml_text.ts";

/** One group to add: its name and its channel ids (valid, without duplicates, in input order). */
export interface GroupDefinition {
  readonly name: string;
  readonly channelIds: readonly string[];
}

/** Why the input was refused: a chat-ready message (Markdown), and the place when known. */
export interface InputError {
  readonly message: string;
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

function fence(text: string): string {
  const marks = text.includes("```") ? "````" : "```";
  return `${marks}\n${text}\n${marks}`;
}

/**
 * Removes Markdown code formatting a chat user may have wrapped the TOML in (a fenced block,
 * or single backticks on one line), keeping line and column numbers unchanged.
 */
function stripCodeFormatting(input: string): string {
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

/** Parses `input` (the text after `!add_group` or `!add_private_group`) into group definitions. */
// deno-lint-ignore postbot/max-function-lines
export function parseGroupInput(
  input: string,
  options: GroupInputOptions = {},
): Result<GroupDefinition[], InputError> {
  const command = options.command ?? "!add_group";
  const maxLength = options.maxInputLength ?? MAX_GROUP_INPUT_LENGTH;
  const example = `Example:\n${fence(`${command} "Engineering" = ${SAMPLE_IDS}`)}`;
  const fail = (detail: string, pos?: { line: number; column: number }, text?: string) => {
    let message = pos === undefined ? detail : `Line ${pos.line}, column ${pos.column}: ${detail}`;
    const excerpt = pos === undefined || text === undefined
      ? undefined
      : excerptAt(text, pos.line, pos.column);
    if (excerpt !== undefined) message += `\n${fence(excerpt)}`;
    if (text !== undefined && /[“”„‘’]/.test(text)) {
      message += '\nYour text contains typographic quotes (“ ” ‘ ’): use straight quotes (").';
    }
    message += `\n${example}`;
    return err<InputError>(
      pos === undefined ? { message } : { message, line: pos.line, column: pos.column },
    );
  };

  if (input.length > maxLength) {
    return fail(
      `the text is ${input.length.toLocaleString("en-US")} characters long; the limit is ` +
        `${maxLength.toLocaleString("en-US")}. Split the groups over several ` +
        `${command} commands.`,
    );
  }
  const text = stripCodeFormatting(input);
  if (text.trim() === "") {
    return fail(
      `nothing to add. Write one group per line: its name, "=", and its channel ids in ` +
        "square brackets.",
    );
  }

  // Structure first (headers, dotted names, repeated names), with exact places: smol-toml
  // would report a repeated name only as a generic redefinition.
  const layout = scanTomlLayout(text);
  const order: string[] = [];
  const statements = new Map<string, TomlKeyValueLine>();
  if (layout !== undefined) {
    const seen = new Map<string, { name: string; line: number }>();
    for (const st of layout.statements) {
      if (st.kind === "header") {
        return fail(
          "section headers like [groups] are not allowed here: write only " +
            '`"Group name" = [channel ids]` lines, one group per line.',
          st.pos,
          text,
        );
      }
      if (st.key.length > 1) {
        const dotted = st.key.join(".");
        return fail(
          `the name ${dotted} has a dot, which TOML reads as nested names. To use a dot in a ` +
            `group name, put the whole name in double quotes: ${JSON.stringify(dotted)} = [...]`,
          st.keyPos,
          text,
        );
      }
      const name = st.key[0];
      const previous = seen.get(nameKey(name));
      if (previous !== undefined) {
        const same = previous.name === name
          ? ""
          : ` as ${JSON.stringify(previous.name)} (names are compared ignoring case)`;
        return fail(
          `the group ${JSON.stringify(name)} is already given on line ${previous.line}${same}. ` +
            "Give each group once, with all its channel ids.",
          st.keyPos,
          text,
        );
      }
      seen.set(nameKey(name), { name, line: st.keyPos.line });
      order.push(name);
      statements.set(name, st);
    }
  }

  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    const problem = explainTomlError(e, text);
    if (problem === undefined) throw e;
    return fail(problem.message, problem, text);
  }
  const names = layout === undefined ? Object.keys(raw) : order;

  const groups: GroupDefinition[] = [];
  const seenKeys = new Set<string>();
  for (const name of names) {
    const value = raw[name];
    const statement = statements.get(name);
    const pos = statement?.keyPos;
    const label = `group ${JSON.stringify(name)}`;
    const problem = groupNameProblem(name);
    if (problem !== undefined) {
      return fail(
        `${label}: ${problem}. Names are 1 to 100 visible characters on one line, without ` +
          "control or invisible characters or spaces around them.",
        pos,
        text,
      );
    }
    if (seenKeys.has(nameKey(name))) {
      return fail(`the group ${JSON.stringify(name)} is given twice; give each group once.`);
    }
    seenKeys.add(nameKey(name));
    if (!Array.isArray(value)) {
      const what = typeof value === "object" && value !== null && !(value instanceof Date)
        ? "a table (dotted names and { } are not allowed)"
        : typeof value === "string"
        ? "a single text"
        : "not a list";
      return fail(
        `${label} must be a list of channel ids in square brackets, but it is ${what}.`,
        pos,
        text,
      );
    }
    if (value.length === 0) {
      return fail(`${label} has no channel ids; list at least one.`, pos, text);
    }
    if (value.length > MAX_IDS_PER_GROUP) {
      return fail(
        `${label} has ${value.length.toLocaleString("en-US")} channel ids; at most ` +
          `${MAX_IDS_PER_GROUP.toLocaleString("en-US")} fit in one group. Split it into ` +
          "several groups.",
        pos,
        text,
      );
    }
    const bad: string[] = [];
    let firstBad: TomlKeyValueLine["keyPos"] | undefined;
    for (const [i, id] of value.entries()) {
      if (typeof id !== "string") {
        return fail(
          `${label}: item ${i + 1} is not text. Channel ids go in double quotes, like ` +
            '"abcdefghijklmnopqrstuvwxyz".',
          statement?.items[i] ?? pos,
          text,
        );
      }
      const idProblem = mattermostIdProblem(id);
      if (idProblem !== undefined) {
        bad.push(`${JSON.stringify(id)} (${idProblem})`);
        firstBad ??= statement?.items[i];
      }
    }
    if (bad.length > 0) {
      const listed = bad.slice(0, MAX_LISTED_BAD_IDS).map((b) => `- ${b}`).join("\n");
      const more = bad.length > MAX_LISTED_BAD_IDS
        ? `\n- and ${bad.length - MAX_LISTED_BAD_IDS} more`
        : "";
      return fail(
        `${label}: ${
          bad.length === 1 ? "this is not a channel id" : "these are not channel ids"
        }:\n` +
          `${listed}${more}\nA channel id is 26 lowercase letters and digits; find it in the ` +
          `channel's "View Info" dialog.`,
        firstBad ?? pos,
        text,
      );
    }
    groups.push({ name, channelIds: [...new Set(value as string[])] });
  }
  return ok(groups);
}
