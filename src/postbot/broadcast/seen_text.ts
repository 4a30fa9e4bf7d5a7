/**
 * "Seen" and "acknowledged" in words: the figures `!status` adds to each recipient's line
 * and to the totals, and the lists of `!status <id> unseen` / `unacked`. What could not be
 * known is said so ("at least", "not asked yet", "as of"), never guessed.
 *
 * @module
 */

import { plural, quote } from "../format.ts";
import { type DeliveryRecord, peopleOf } from "./model.ts";
import { when } from "./report.ts";
import type { ChannelMember, ChannelSeen, PersonSeen, SeenPicture } from "./seen.ts";

/** Names listed by `unseen` / `unacked` before the rest are counted. */
const NAMES_LISTED = 300;

/** Whether acknowledgements are worth a word: asked for, or some came anyway. */
function showAcks(p: SeenPicture): boolean {
  return p.ackRequested || p.acks.size > 0;
}

/** How many of a channel's members acknowledged the broadcast (on any of its posts). */
function ackedMembers(members: readonly ChannelMember[], p: SeenPicture): number {
  return members.filter((m) => p.acks.has(m.userId)).length;
}

/** The seen (and acknowledged) part of a channel's `!status` line. */
function channelPart(c: ChannelSeen | undefined, p: SeenPicture): string {
  if (c === undefined || c.kind === "skipped") return "seen: not counted this time";
  if (c.kind === "failed") return `seen: could not be counted (${c.reason})`;
  const seen = c.members.filter((m) => m.seen).length;
  const text = `seen by ${seen} of ${plural(c.members.length, "member")}`;
  return showAcks(p) ? `${text} \u00b7 acknowledged by ${ackedMembers(c.members, p)}` : text;
}

/** The seen (and acknowledged) part of a person's `!status` line. */
function personPart(s: PersonSeen | undefined, userId: string, p: SeenPicture): string {
  const seen = s === undefined || s.kind === "unchecked"
    ? "not asked yet whether seen"
    : s.kind === "seen"
    ? "seen"
    : s.kind === "not_seen"
    ? (s.at < p.at ? `not seen when asked at ${when(s.at)}` : "not seen yet")
    : `seen: could not be asked (${s.reason})`;
  if (!showAcks(p)) return seen;
  const ack = p.acks.get(userId);
  return `${seen} \u00b7 ${
    ack === undefined ? "not acknowledged" : `acknowledged ${when(ack.at)}`
  }`;
}

/** What a delivered recipient's `!status` line says about seen and acknowledged. */
export function seenPart(d: DeliveryRecord, p: SeenPicture): string {
  return d.kind === "channel"
    ? channelPart(p.channels.get(d.channelId), p)
    : personPart(p.people.get(d.userId), d.userId, p);
}

/** The totals of the channels: members who have seen it, in the channels counted. */
function channelTotals(shown: readonly DeliveryRecord[], p: SeenPicture): string | undefined {
  let members = 0, seen = 0, counted = 0, delivered = 0;
  for (const d of shown) {
    if (d.kind !== "channel" || d.status !== "delivered") continue;
    delivered++;
    const c = p.channels.get(d.channelId);
    if (c?.kind !== "read") continue;
    counted++;
    members += c.members.length;
    seen += c.members.filter((m) => m.seen).length;
  }
  if (delivered === 0) return undefined;
  const where = counted === delivered
    ? plural(delivered, "channel")
    : `${counted} of ${plural(delivered, "channel")} counted`;
  return `by ${seen} of ${plural(members, "member")} (${where})`;
}

/** The totals of the people: seen for sure, and how many were not asked or could not be. */
function peopleTotals(p: SeenPicture): string | undefined {
  if (p.people.size === 0) return undefined;
  let seen = 0, unchecked = 0, failed = 0;
  for (const s of p.people.values()) {
    if (s.kind === "seen") seen++;
    else if (s.kind === "unchecked") unchecked++;
    else if (s.kind === "failed") failed++;
  }
  const open = [
    unchecked > 0 ? `${unchecked} not asked yet: ask again for more` : "",
    failed > 0 ? `${failed} could not be asked` : "",
  ].filter((t) => t !== "");
  return `${unchecked + failed > 0 ? "at least " : ""}${seen} of ${
    plural(p.people.size, "person", "people")
  }` + (open.length > 0 ? ` (${open.join(", ")})` : "");
}

/** The `**Seen:**` and `**Acknowledged:**` lines of `!status`'s totals. */
export function seenTotalsLines(shown: readonly DeliveryRecord[], p: SeenPicture): string[] {
  const parts = [channelTotals(shown, p), peopleTotals(p)].filter((t) => t !== undefined);
  if (parts.length === 0) return [];
  const lines = [`**Seen:** ${parts.join(" \u00b7 ")}, as of ${when(p.at)}`];
  if (showAcks(p)) {
    const people = peopleOf(shown).filter((d) => d.status === "delivered");
    const acked = people.filter((d) => p.acks.has(d.userId)).length;
    const members = [...p.channels.values()].flatMap((c) => c.kind === "read" ? c.members : []);
    const ofMembers = members.length > 0
      ? `${ackedMembers(members, p)} of ${plural(members.length, "member")}`
      : "";
    const ofPeople = people.length > 0
      ? `${acked} of ${plural(people.length, "person", "people")}`
      : "";
    lines.push(
      `**Acknowledged:** ${[ofMembers, ofPeople].filter((t) => t !== "").join(" \u00b7 ")}` +
        ` (${plural(p.acks.size, "acknowledgement")} in all)` +
        (p.ackRequested ? "" : " \u2014 you did not ask for acknowledgement"),
    );
  }
  return lines;
}

/** Which list `!status <id> unseen|unacked` asked for. */
export type NamesList = "unseen" | "unacked";

/** Names, at most `room` of them; the rest counted. */
function names(people: readonly { username: string }[], room: number): string {
  const shown = people.slice(0, Math.max(0, room)).map((p) => `@${p.username}`);
  const more = people.length - shown.length;
  return [...shown, ...(more > 0 ? [`and ${more} more`] : [])].join(", ");
}

/** One channel's line of a names list, and how many names it used. */
function channelNames(
  d: Extract<DeliveryRecord, { kind: "channel" }>,
  p: SeenPicture,
  list: NamesList,
  room: number,
): [string, number] {
  const label = `- ~${d.name} (${quote(d.displayName, 64)})`;
  const c = p.channels.get(d.channelId);
  if (c === undefined || c.kind === "skipped") {
    return [`${label}: not read this time, ask again`, 0];
  }
  if (c.kind === "failed") return [`${label}: could not be read (${c.reason})`, 0];
  const open = c.members.filter((m) => list === "unseen" ? !m.seen : !p.acks.has(m.userId));
  const verb = list === "unseen" ? "seen" : "acknowledged";
  if (open.length === 0) {
    return [`${label}: all ${plural(c.members.length, "member")} ${verb} it`, 0];
  }
  return [
    `${label}: ${open.length} of ${plural(c.members.length, "member")} not ${verb}: ${
      names(open, room)
    }`,
    Math.min(open.length, room),
  ];
}

/** The people of a names list: not seen (or not acknowledged), and those not asked yet. */
function peopleNames(
  shown: readonly DeliveryRecord[],
  p: SeenPicture,
  list: NamesList,
  room: number,
): string[] {
  const people = peopleOf(shown).filter((d) => d.status === "delivered");
  if (people.length === 0) return [];
  if (list === "unacked") {
    const open = people.filter((d) => !p.acks.has(d.userId));
    return [
      `- People: ${open.length} of ${people.length} not acknowledged${
        open.length > 0 ? `: ${names(open, room)}` : ""
      }`,
    ];
  }
  const notSeen = people.filter((d) => p.people.get(d.userId)?.kind === "not_seen");
  const unknown = people.filter((d) => {
    const kind = p.people.get(d.userId)?.kind;
    return kind === undefined || kind === "unchecked" || kind === "failed";
  });
  const lines = [
    `- People: ${notSeen.length} of ${people.length} not seen${
      notSeen.length > 0 ? `: ${names(notSeen, room)}` : ""
    }`,
  ];
  if (unknown.length > 0) {
    lines.push(
      `- Not asked yet or could not be asked (${unknown.length}): ${
        names(unknown, room - Math.min(notSeen.length, room))
      }`,
    );
  }
  return lines;
}

/** The text of `!status <id> unseen` or `unacked`, for the sender or an administrator. */
export function namesListText(
  id: string,
  shown: readonly DeliveryRecord[],
  p: SeenPicture,
  list: NamesList,
): string[] {
  if (list === "unacked" && !showAcks(p)) {
    return [`Broadcast \`${id}\` did not ask for acknowledgement, and nobody has acknowledged it.`];
  }
  const lines = [
    `**${list === "unseen" ? "Not seen" : "Not acknowledged"}: broadcast \`${id}\`** ` +
    `(as of ${when(p.at)}):`,
  ];
  let room = NAMES_LISTED;
  for (const d of shown) {
    if (d.kind !== "channel" || d.status !== "delivered") continue;
    const [line, used] = channelNames(d, p, list, room);
    lines.push(line);
    room -= used;
  }
  lines.push(...peopleNames(shown, p, list, room));
  if (lines.length === 1) lines.push("- nothing was delivered, so there is nobody to list");
  lines.push("", `\`!export ${id} members\` and \`!export ${id}\` have every name in a file.`);
  return lines;
}
