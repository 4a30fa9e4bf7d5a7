/**
 * The guard for big sends and the answers the preview accepts. A broadcast to at least
 * `BROADCAST_CONFIRM_THRESHOLD` recipients (channels and people together), or to `everyone`
 * whatever the threshold, is not sent on a bare `yes`: the sender answers with the number of
 * recipients (`yes 42`), so a slip of the keyboard cannot reach the whole company.
 *
 * @module
 */

import { plural } from "../format.ts";
import { recipientsText } from "../broadcast/model.ts";

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

/** What the sender answered to the preview. */
export type PreviewAnswer =
  | { readonly kind: "yes"; readonly count: number | undefined }
  | { readonly kind: "no" }
  | { readonly kind: "later"; readonly expression: string }
  /** The names of the people it goes to, asked for at the preview. */
  | { readonly kind: "who" }
  | { readonly kind: "other" };

/** Reads an answer to the preview: `yes`, `yes 42`, `no`, `at <time>`, `in <duration>`. */
export function parsePreviewAnswer(text: string): PreviewAnswer {
  const t = text.trim().replace(/[.!]+$/, "").trim();
  if (/^who$/i.test(t)) return { kind: "who" };
  const yes = /^(?:yes|y)(?:\s+(\d{1,7}))?$/i.exec(t);
  if (yes !== null) {
    return { kind: "yes", count: yes[1] === undefined ? undefined : Number(yes[1]) };
  }
  if (/^(?:no|n|cancel|abort|stop)$/i.test(t)) return { kind: "no" };
  const later = /^(at|in)\s+(.+)$/is.exec(t);
  if (later !== null) {
    return {
      kind: "later",
      expression: later[1].toLowerCase() === "in" ? `in ${later[2]}` : later[2],
    };
  }
  return { kind: "other" };
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
): string | undefined {
  const { n, what, text } = total(counted(recipients));
  if (count === n) return undefined;
  const ask = `To send it, answer **yes ${n}** (the number of ${what}), or **no**.`;
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
  if (!guarded) return `Send it? Answer **yes** or **no**.${later}`;
  const reach = members === undefined
    ? ""
    : ` with ${plural(members, "member")} in all (counted per channel)`;
  return `:warning: This reaches **${text}**${reach}. To send it, answer **yes ${n}**; **no** ` +
    `cancels.${later}`;
}
