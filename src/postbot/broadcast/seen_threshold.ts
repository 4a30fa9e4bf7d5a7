/**
 * The seen threshold of a delivery: the channel's `total_msg_count` right after the
 * broadcast's post. The server shows nobody another member's `last_viewed_at`, but it shows
 * their `msg_count`, which viewing the channel raises to the channel's total: a member whose
 * `msg_count` reached the threshold has seen the post. Posts after ours only raise the
 * threshold, so a late capture is conservative, never wrong the other way.
 *
 * Captured once after each delivery run: for a few recipients one `GET /channels/{id}` each;
 * for more, one `GET /users/me/teams/{team}/channels`, which lists every channel of the bot
 * with its count, DMs included (channels the bot posts in without being a member -- a public
 * channel through the post:channels role -- are then asked one by one). That list grows with
 * every person the bot ever messaged, so it is read one channel at a time, never whole. A delivery left
 * without one (the capture failed, a crash) gets the channel's count when it is first needed.
 *
 * @module
 */

import type { ServerChannel } from "@mattermost/types/channels";
import { forEachBounded, jsonArrayObjects, type RestTransport } from "@postbot/framework";
import { type DeliveryRecord, targetKey, type TargetRef } from "./model.ts";
import type { SeenLog } from "./seen_log.ts";

/** Up to this many recipients, a run's thresholds are read channel by channel. */
const ONE_BY_ONE = 8;

/** Channels read at once when asked one by one. */
const CONCURRENCY = 4;

/** What a capture needs. */
export interface ThresholdDeps {
  readonly transport: RestTransport;
  readonly teamId: string;
  readonly seenLog: Pick<
    SeenLog,
    "setThresholds" | "directChannels" | "thresholds" | "eachUnmeasured"
  >;
}

/** The channel holding a delivery's post: the channel, or the person's DM with the bot. */
export function channelOf(
  d: DeliveryRecord,
  dms: ReadonlyMap<string, string>,
): string | undefined {
  return d.kind === "channel" ? d.channelId : dms.get(d.userId);
}

/** Just the recipient of a delivery (what a threshold is recorded for). */
function refOf(d: DeliveryRecord): TargetRef {
  return d.kind === "channel"
    ? { kind: "channel", channelId: d.channelId }
    : { kind: "person", userId: d.userId };
}

/** A channel's message count now. */
export async function totalMessages(transport: RestTransport, channelId: string): Promise<number> {
  const channel = await transport.getJson<ServerChannel>(
    `/channels/${encodeURIComponent(channelId)}`,
  );
  return channel.total_msg_count;
}

/**
 * Records the thresholds of the delivered `deliveries` that lack one (a retry's run asks only
 * for what it delivered); returns how many were recorded. Throws when the list of the bot's
 * channels cannot be read. Only the recipient of each delivery is kept, not the record.
 */
export async function captureThresholds(
  deps: ThresholdDeps,
  broadcastId: string,
  deliveries: Iterable<DeliveryRecord>,
): Promise<number> {
  const dms = await deps.seenLog.directChannels();
  const known = await deps.seenLog.thresholds(broadcastId);
  const wanted = new Map<string, TargetRef>();
  for (const d of deliveries) {
    if (d.status !== "delivered" || known.has(targetKey(d))) continue;
    const channelId = channelOf(d, dms);
    if (channelId !== undefined) wanted.set(channelId, refOf(d));
  }
  return await measure(deps, broadcastId, wanted);
}

/**
 * Records the thresholds of everything a run delivered that lacks one, read from the log in
 * SQL a page at a time (SeenLog.eachUnmeasured): what the bot does after each run. After a
 * big run, the counts of the bot's channels are read first and the recipients recorded a page
 * at a time, so no map of 10,000 recipients is built. Throws as {@link captureThresholds}.
 */
export async function captureRunThresholds(
  deps: ThresholdDeps,
  broadcastId: string,
): Promise<number> {
  const rows = deps.seenLog.eachUnmeasured(broadcastId)[Symbol.asyncIterator]();
  try {
    const first: Unmeasured[] = [];
    while (first.length <= ONE_BY_ONE) {
      const r = await rows.next();
      if (r.done) return await measure(deps, broadcastId, wantedOf(first));
      first.push(r.value);
    }
    const counts = new Map<string, number>();
    await readCounts(deps, undefined, counts);
    let recorded = 0;
    /** Recipients whose channel is not in the bot's list: asked one by one at the end. */
    const unlisted: Unmeasured[] = [];
    let page: [TargetRef, number][] = [];
    const take = async (u: Unmeasured) => {
      if (u.channelId === undefined) return;
      const count = counts.get(u.channelId);
      if (count === undefined) unlisted.push(u);
      else page.push([u.target, count]);
      if (page.length < PAGE) return;
      await deps.seenLog.setThresholds(broadcastId, page);
      recorded += page.length;
      page = [];
    };
    for (const u of first) await take(u);
    for (let r = await rows.next(); !r.done; r = await rows.next()) await take(r.value);
    await deps.seenLog.setThresholds(broadcastId, page);
    return recorded + page.length + await measure(deps, broadcastId, wantedOf(unlisted));
  } finally {
    await rows.return?.();
  }
}

/** A recipient without a threshold, and the channel holding its post (if known). */
type Unmeasured = { readonly target: TargetRef; readonly channelId: string | undefined };

/** Thresholds recorded in one transaction after a big run. */
const PAGE = 500;

/** The recipients by the channel holding their post. */
function wantedOf(recipients: readonly Unmeasured[]): Map<string, TargetRef> {
  const wanted = new Map<string, TargetRef>();
  for (const { target, channelId } of recipients) {
    if (channelId !== undefined) wanted.set(channelId, target);
  }
  return wanted;
}

/** Reads the counts of the `wanted` channels and records them for their recipients. */
async function measure(
  deps: ThresholdDeps,
  broadcastId: string,
  wanted: ReadonlyMap<string, TargetRef>,
): Promise<number> {
  if (wanted.size === 0) return 0;
  const counts = new Map<string, number>();
  if (wanted.size > ONE_BY_ONE) {
    await readCounts(deps, wanted, counts);
  }
  const rest = [...wanted.keys()].filter((id) => !counts.has(id));
  // One channel that cannot be read (archived, the bot removed) keeps the others' counts.
  await forEachBounded(rest, { concurrency: CONCURRENCY }, async (id) => {
    const n = await totalMessages(deps.transport, id).catch(() => undefined);
    if (n !== undefined) counts.set(id, n);
  });
  const found = [...counts].map(([id, n]): [TargetRef, number] => [wanted.get(id)!, n]);
  await deps.seenLog.setThresholds(broadcastId, found);
  return found.length;
}

/**
 * The counts of the `wanted` channels (all of them when undefined) from the bot's list of
 * channels, read as it arrives.
 */
async function readCounts(
  deps: ThresholdDeps,
  wanted: ReadonlyMap<string, TargetRef> | undefined,
  counts: Map<string, number>,
): Promise<void> {
  const response = await deps.transport.send(
    deps.transport.api(`/users/me/teams/${encodeURIComponent(deps.teamId)}/channels`),
    { method: "GET" },
  );
  if (response.body === null) return;
  for await (const channel of jsonArrayObjects(response.body)) {
    const { id, total_msg_count: count } = channel as Partial<ServerChannel>;
    if (typeof id === "string" && typeof count === "number" && (wanted?.has(id) ?? true)) {
      counts.set(id, count);
    }
  }
}
