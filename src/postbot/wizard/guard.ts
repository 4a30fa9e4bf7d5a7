/**
 * The guard for big sends, and the preview's closing question. A broadcast to at least
 * `BROADCAST_CONFIRM_THRESHOLD` recipients (channels and people together), or to `everyone`
 * whatever the threshold, is not sent on a bare `yes`: the sender answers with the number of
 * recipients (`yes 42`), so a slip of the keyboard cannot reach the whole company. The answer
 * itself is read by preview_answer.ts.
 *
 * @module
 */

import { plural } from "../format.ts";
import { recipientsText } from "../broadcast/model.ts";
import { OPTIONS_HELP } from "./preview_answer.ts";

/** What a broadcast reaches, counted by kind (a bare number: channels only). */
export interface Recipients {
  readonly channels: number;
  readonly people: number;
}

function counted(r: Recipients | number): Recipients {
  return typeof r === "number" ? { channels: r, people: 0 } : r;
}

/** The number the sender types back, and what it counts ("channels" / "recipients"). */
function total(r: Recipients): { n: number; what: string; text: string } {
  return {
    n: r.channels + r.people,
    what: r.people === 0 ? "channels" : "recipients",
    text: recipientsText(r.channels, r.people),
  };
}

/**
 * Whether a send needs the count typed back: `recipients` (channels and people) from the
 * threshold on (0 = never), or always when it goes to `everyone`.
 */
export function needsCount(
  recipients: Recipients | number,
  threshold: number,
  everyone = false,
): boolean {
  const { n } = total(counted(recipients));
  return everyone || (threshold > 0 && n >= threshold);
}

/**
 * Why a `yes` does not confirm a guarded send, or undefined when it does. A bare `yes` and a
 * wrong number both ask again, saying exactly what to type.
 */
export function countProblem(
  count: number | undefined,
  recipients: Recipients | number,
  /** The options the sender chose, as words to repeat (`ack urgent`); "" for none. */
  options = "",
): string | undefined {
  const { n, what, text } = total(counted(recipients));
  if (count === n) return undefined;
  const yes = options === "" ? `yes ${n}` : `yes ${options} ${n}`;
  const ask = `To send it, answer **${yes}** (the number of ${what}), or **no**.`;
  if (count === undefined) {
    return `This broadcast goes to **${text}**, so a bare yes is not enough. ${ask}`;
  }
  return `${count} is not the number of ${what}: this broadcast goes to **${text}**. ${ask}`;
}

/** The closing line of the preview: what to answer. */
export function previewQuestion(
  recipients: Recipients | number,
  guarded: boolean,
  members: number | undefined,
  offerLater = false,
): string {
  const { n, text } = total(counted(recipients));
  const later = offerLater
    ? " To send it later, answer `at <time>` (e.g. `at monday 9:00`, `in 2h`)."
    : "";
  if (!guarded) return `Send it? Answer **yes** or **no**.${later}\n${OPTIONS_HELP}`;
  const reach = members === undefined
    ? ""
    : ` with ${plural(members, "member")} in all (counted per channel)`;
  return `:warning: This reaches **${text}**${reach}. To send it, answer **yes ${n}**; **no** ` +
    `cancels.${later}\n${OPTIONS_HELP}`;
}
