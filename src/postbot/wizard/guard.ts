/**
 * The guard for big sends and the answers the preview accepts. A broadcast to at least
 * `BROADCAST_CONFIRM_THRESHOLD` channels is not sent on a bare `yes`: the sender answers with
 * the number of channels (`yes 42`), so a slip of the keyboard cannot reach the whole company.
 *
 * @module
 */

import { plural } from "../format.ts";

/** What the sender answered to the preview. */
export type PreviewAnswer =
  | { readonly kind: "yes"; readonly count: number | undefined }
  | { readonly kind: "no" }
  | { readonly kind: "later"; readonly expression: string }
  | { readonly kind: "other" };

/** Reads an answer to the preview: `yes`, `yes 42`, `no`, `at <time>`, `in <duration>`. */
export function parsePreviewAnswer(text: string): PreviewAnswer {
  const t = text.trim().replace(/[.!]+$/, "").trim();
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

/** Whether a send to `channels` channels needs the count typed back (threshold 0 = never). */
export function needsCount(channels: number, threshold: number): boolean {
  return threshold > 0 && channels >= threshold;
}

/**
 * Why a `yes` does not confirm a guarded send, or undefined when it does. A bare `yes` and a
 * wrong number both ask again, saying exactly what to type.
 */
export function countProblem(count: number | undefined, channels: number): string | undefined {
  if (count === channels) return undefined;
  const ask = `To send it, answer **yes ${channels}** (the number of channels), or **no**.`;
  if (count === undefined) {
    return `This broadcast goes to **${plural(channels, "channel")}**, so a bare yes is not ` +
      `enough. ${ask}`;
  }
  return `${count} is not the number of channels: this broadcast goes to ` +
    `**${plural(channels, "channel")}**. ${ask}`;
}

/** The closing line of the preview: what to answer. */
export function previewQuestion(
  channels: number,
  guarded: boolean,
  members: number | undefined,
  offerLater = false,
): string {
  const later = offerLater
    ? " To send it later, answer `at <time>` (e.g. `at monday 9:00`, `in 2h`)."
    : "";
  if (!guarded) return `Send it? Answer **yes** or **no**.${later}`;
  const reach = members === undefined
    ? ""
    : ` with ${plural(members, "member")} in all (counted per channel)`;
  return `:warning: This reaches **${plural(channels, "channel")}**${reach}. To send it, ` +
    `answer **yes ${channels}**; **no** cancels.${later}`;
}
