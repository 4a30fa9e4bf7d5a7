/**
 * The answer to the preview, read in one place: `yes`, `no`, `who`, `at <time>` / `in <delay>`,
 * and the options a sender may add to a `yes` or a send time --
 *
 *     yes [ack] [important|urgent] [remind after <duration>] [<count>]
 *     at <time> [ack] [important|urgent] [remind after <duration>]
 *
 * in any order, any case, separated by spaces or commas. A `yes` or a send time with an option
 * that cannot be read is refused, with why ({@link PreviewRefusal}, worded by
 * {@link previewRefusalText}); nothing is sent on a half-understood answer.
 *
 * @module
 */

import { unreachable } from "@postbot/framework";
import { describeDuration, SETTING } from "@postbot/framework/duration";
import {
  type BroadcastOptions,
  MAX_REMIND_MS,
  MIN_REMIND_MS,
  NO_OPTIONS,
  type Priority,
} from "../broadcast/options.ts";
import {
  decideDuration,
  type DurationRefusal,
  isTimeUnit,
} from "../broadcast/scheduled/time_expression.ts";
import { code } from "../format.ts";

/** What the sender answered to the preview. */
export type PreviewAnswer =
  | {
    readonly kind: "yes";
    readonly count: number | undefined;
    readonly options: BroadcastOptions;
  }
  | { readonly kind: "no" }
  /** A send time: `expression` is what follows `at` (or the whole `in ...`). */
  | {
    readonly kind: "later";
    readonly expression: string;
    readonly options: BroadcastOptions;
  }
  /** The names of the people it goes to, asked for at the preview. */
  | { readonly kind: "who" }
  /** A yes or a send time whose options could not be read: nothing is done. */
  | { readonly kind: "refused"; readonly refusal: PreviewRefusal }
  | { readonly kind: "other" };

/** Why a yes or a send time was not taken. */
export type PreviewRefusal =
  /** A word that is no option (`yes please`, `yes -3`). */
  | { readonly kind: "unknown_word"; readonly word: string; readonly later: boolean }
  /** Both labels: `yes important urgent`. */
  | { readonly kind: "two_priorities" }
  /** A number twice: `yes 12 13`. */
  | { readonly kind: "two_counts" }
  /** `remind` not followed by `after <duration>`. */
  | { readonly kind: "remind_without_duration" }
  /** `remind after <something unreadable>`. */
  | { readonly kind: "remind_duration"; readonly refusal: DurationRefusal }
  | { readonly kind: "remind_too_soon"; readonly ms: number }
  | { readonly kind: "remind_too_late"; readonly ms: number }
  /** `remind after` twice, with different durations. */
  | { readonly kind: "two_reminders" };

/** The words that start an option (a send time never contains them). */
const OPTION_WORDS = new Set([
  "ack",
  "acknowledge",
  "acknowledgement",
  "acknowledgment",
  "important",
  "urgent",
  "remind",
]);

/** Longest answer read word by word (a longer one is not an answer to the preview). */
const LONGEST = 400;

/** Reads an answer to the preview (see the module's grammar). */
export function parsePreviewAnswer(text: string): PreviewAnswer {
  const t = text.trim().replace(/[.!]+$/, "").trim();
  if (t.length > LONGEST) return { kind: "other" };
  if (/^who$/i.test(t)) return { kind: "who" };
  if (/^(?:no|n|cancel|abort|stop)$/i.test(t)) return { kind: "no" };
  const yes = /^(?:yes|y)(?:(?=[\s,])(.*))?$/is.exec(t);
  if (yes !== null) return readYes(words(yes[1] ?? ""));
  const later = /^(at|in)\s+(.+)$/is.exec(t);
  if (later !== null) return readLater(later[1].toLowerCase(), later[2]);
  return { kind: "other" };
}

/** The words of an answer, lowercase. */
function words(text: string): string[] {
  return text.toLowerCase().split(/[\s,]+/).filter((w) => w !== "");
}

/** `yes` and what follows it. */
function readYes(rest: readonly string[]): PreviewAnswer {
  const read = readOptions(rest, true);
  if ("refusal" in read) return { kind: "refused", refusal: read.refusal };
  return { kind: "yes", count: read.count, options: read.options };
}

/** `at <time> [options]` / `in <delay> [options]`: the time ends at the first option word. */
function readLater(word: string, rest: string): PreviewAnswer {
  const all = rest.trim().split(/\s+/);
  const first = all.findIndex((w) => OPTION_WORDS.has(w.toLowerCase().replace(/,$/, "")));
  const timeWords = first < 0 ? all : all.slice(0, first);
  const timeText = timeWords.join(" ").replace(/,$/, "");
  const expression = word === "in" ? `in ${timeText}` : timeText;
  if (first < 0) return { kind: "later", expression, options: NO_OPTIONS };
  const read = readOptions(words(all.slice(first).join(" ")), false);
  if ("refusal" in read) return { kind: "refused", refusal: read.refusal };
  return { kind: "later", expression, options: read.options };
}

/** Options being read: what was chosen so far. */
interface Chosen {
  ack: boolean;
  priority: Priority;
  remindAfterMs: number | null;
  count: number | undefined;
}

/** The options (and, after a yes, the count) in `list`, or why they cannot be taken. */
function readOptions(
  list: readonly string[],
  countAllowed: boolean,
): { options: BroadcastOptions; count: number | undefined } | { refusal: PreviewRefusal } {
  const chosen: Chosen = { ack: false, priority: "", remindAfterMs: null, count: undefined };
  for (let i = 0; i < list.length; i++) {
    const word = list[i];
    if (word.startsWith("ack")) {
      if (!OPTION_WORDS.has(word)) return { refusal: unknown(word, countAllowed) };
      chosen.ack = true;
    } else if (word === "important" || word === "urgent") {
      if (chosen.priority !== "" && chosen.priority !== word) {
        return { refusal: { kind: "two_priorities" } };
      }
      chosen.priority = word;
    } else if (word === "remind") {
      const reminder = readReminder(list, i + 1);
      if ("refusal" in reminder) return reminder;
      if (chosen.remindAfterMs !== null && chosen.remindAfterMs !== reminder.ms) {
        return { refusal: { kind: "two_reminders" } };
      }
      chosen.remindAfterMs = reminder.ms;
      i = reminder.next - 1;
    } else if (countAllowed && /^\d{1,7}$/.test(word)) {
      if (chosen.count !== undefined) return { refusal: { kind: "two_counts" } };
      chosen.count = Number(word);
    } else {
      return { refusal: unknown(word, countAllowed) };
    }
  }
  const { count, ...options } = chosen;
  return { options, count };
}

function unknown(word: string, afterYes: boolean): PreviewRefusal {
  return { kind: "unknown_word", word, later: !afterYes };
}

/**
 * `after <duration>` from `list[start]` on: the duration's words are numbers with a unit
 * (`24h`, `2 days`, `1h30m`) joined by `and`; a bare number not followed by a unit is not
 * the duration's (it is the count of `yes remind after 2h 42`).
 */
function readReminder(
  list: readonly string[],
  start: number,
): { ms: number; next: number } | { refusal: PreviewRefusal } {
  if (list[start] !== "after" && list[start] !== "in") {
    return { refusal: { kind: "remind_without_duration" } };
  }
  const taken: string[] = [];
  let i = start + 1;
  while (i < list.length) {
    const word = list[i];
    if (/^\d{1,6}[a-z]+(?:\d{1,6}[a-z]+)*$/.test(word)) {
      taken.push(word);
      i++;
    } else if (/^\d{1,6}$/.test(word) && isTimeUnit(list[i + 1] ?? "")) {
      taken.push(word, list[i + 1]);
      i += 2;
    } else if (word === "and" && taken.length > 0 && /^\d/.test(list[i + 1] ?? "")) {
      i++;
    } else {
      break;
    }
  }
  if (taken.length === 0) {
    const next = list.slice(start + 1, start + 3).join(" ");
    return {
      refusal: next === ""
        ? { kind: "remind_without_duration" }
        : { kind: "remind_duration", refusal: { kind: "unreadable_delay", text: next } },
    };
  }
  const ms = decideDuration(taken.join(" "));
  if (!ms.ok) return { refusal: { kind: "remind_duration", refusal: ms.error } };
  if (ms.value < MIN_REMIND_MS) return { refusal: { kind: "remind_too_soon", ms: ms.value } };
  if (ms.value > MAX_REMIND_MS) return { refusal: { kind: "remind_too_late", ms: ms.value } };
  return { ms: ms.value, next: i };
}

/** What the options are, in one line (the preview's and the refusals'). */
export const OPTIONS_HELP = "Options after **yes** (or a send time): `ack` asks everyone to " +
  "confirm they read it, `important` or `urgent` labels it, `remind after 24h` reminds " +
  "those who have not confirmed (or seen it).";

/** A refusal in the sender's words, ending with what to answer. */
export function previewRefusalText(refusal: PreviewRefusal): string {
  const again = `Nothing was sent. ${OPTIONS_HELP}`;
  switch (refusal.kind) {
    case "unknown_word":
      return `I don't know ${code(refusal.word, 40)} ${
        refusal.later ? "after a send time" : "after **yes**"
      }. ${again}`;
    case "two_priorities":
      return `Choose one label, \`important\` or \`urgent\`, not both. ${again}`;
    case "two_counts":
      return `Give the number of recipients once. ${again}`;
    case "two_reminders":
      return `Ask for one reminder, not two. ${again}`;
    case "remind_without_duration":
      return `After \`remind\`, say when: \`remind after 24h\`, \`remind after 2 days\`. ${again}`;
    case "remind_duration":
      return `${durationText(refusal.refusal)} ${again}`;
    case "remind_too_soon":
      return `A reminder after ${describeDuration(refusal.ms, SETTING)} is too soon: the ` +
        `shortest is ${describeDuration(MIN_REMIND_MS, SETTING)} (\`!remind <id>\` reminds ` +
        `at once). ${again}`;
    case "remind_too_late":
      return `A reminder after ${describeDuration(refusal.ms, SETTING)} is too far off: the ` +
        `longest is ${describeDuration(MAX_REMIND_MS, SETTING)}. ${again}`;
    default:
      return unreachable(refusal);
  }
}

/** Why the duration of `remind after ...` was refused. */
function durationText(refusal: DurationRefusal): string {
  switch (refusal.kind) {
    case "unreadable_delay":
      return `I can't read ${code(refusal.text, 40)} as a duration: write it like \`24h\`, ` +
        "`2 days` or `1h30m`.";
    case "unknown_unit":
      return `${code(refusal.unit, 40)} is not a unit I know; use seconds, minutes, hours or days.`;
    case "zero_delay":
      return "A reminder after no time at all is `!remind <id>`.";
    default:
      return unreachable(refusal);
  }
}
