/**
 * Parsing the argument of `!add_list`: one or more TOML lines, as in channels.toml's `[lists]`:
 *
 * ```
 * !add_list "Night shift" = ["alice", "@bob", "0123456789abcdefghijklmnop"]
 * ```
 *
 * Each entry is a username (an optional `@`) or a user id, decided by its form as in
 * ALLOWED_USERS. Every refusal says what is wrong and where, with a correct example.
 *
 * @module
 */

import { parse } from "smol-toml";
import { err, ok, type Problem, type Result } from "@postbot/framework";
import {
  excerptAt,
  explainTomlError,
  listEntryProblem,
  listNameProblem,
  nameKey,
} from "./parse.ts";
import { stripCodeFormatting } from "./group_input.ts";
import { scanTomlLayout } from "./toml_text.ts";

/** One list to add: its name and its entries (usernames or user ids, in input order). */
export interface ListDefinition {
  readonly name: string;
  readonly entries: readonly string[];
}

/** Longest argument accepted (characters): bounds the work done for one chat message. */
export const MAX_LIST_INPUT_LENGTH = 20_000;

/** Most people one list may name in a single command. */
export const MAX_LIST_ENTRIES = 1_000;

const EXAMPLE = '```\n!add_list "Night shift" = ["alice", "bob"]\n```';

/** Parses the text after `!add_list` into list definitions, or says what is wrong. */
export function parseListInput(input: string): Result<ListDefinition[], Problem> {
  const refuse = (detail: string, text?: string, at?: { line: number; column: number }) => {
    const excerpt = at === undefined || text === undefined
      ? undefined
      : excerptAt(text, at.line, at.column);
    const place = at === undefined ? "" : `Line ${at.line}, column ${at.column}: `;
    return err({
      message: `${place}${detail}` + (excerpt === undefined ? "" : `\n\`\`\`\n${excerpt}\n\`\`\``) +
        `\nExample:\n${EXAMPLE}`,
    });
  };
  if (input.length > MAX_LIST_INPUT_LENGTH) {
    return refuse(
      `the text is ${input.length.toLocaleString("en-US")} characters long; the limit is ` +
        `${MAX_LIST_INPUT_LENGTH.toLocaleString("en-US")}. Split it over several commands.`,
    );
  }
  const text = stripCodeFormatting(input);
  if (text.trim() === "") {
    return refuse('nothing to add: write the list\'s name, "=", and its people in brackets.');
  }
  const layout = scanTomlLayout(text);
  const header = layout?.statements.find((st) => st.kind === "header");
  if (header !== undefined) {
    return refuse("section headers like [lists] are not allowed here.", text, header.pos);
  }
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    const problem = explainTomlError(e, text);
    if (problem === undefined) throw e;
    return refuse(problem.message, text, problem);
  }
  const lists: ListDefinition[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(raw)) {
    const at = layout?.statements.find((st) => st.kind === "keyValue" && st.key[0] === name);
    const where = at?.kind === "keyValue" ? at.keyPos : undefined;
    const label = `list ${JSON.stringify(name)}`;
    const problem = listNameProblem(name) ??
      (seen.has(nameKey(name)) ? "it is given twice" : undefined);
    if (problem !== undefined) return refuse(`${label}: ${problem}.`, text, where);
    if (!Array.isArray(value) || value.length === 0) {
      return refuse(`${label} must be a non-empty list of usernames in brackets.`, text, where);
    }
    if (value.length > MAX_LIST_ENTRIES) {
      return refuse(`${label} names ${value.length} people; at most ${MAX_LIST_ENTRIES} at once.`);
    }
    for (const [i, entry] of value.entries()) {
      const bad = typeof entry !== "string" ? "not text" : listEntryProblem(entry);
      if (bad !== undefined) {
        const item = at?.kind === "keyValue" ? at.items[i] ?? where : where;
        return refuse(`${label}, item ${i + 1}: ${bad}.`, text, item);
      }
    }
    seen.add(nameKey(name));
    lists.push({ name, entries: [...new Set(value as string[])] });
  }
  return ok(lists);
}
