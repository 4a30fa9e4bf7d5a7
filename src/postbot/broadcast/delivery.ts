/**
 * Fan-out of one broadcast: the DM's files are downloaded once, then for every recipient (at
 * most `concurrency` at a time) they are uploaded again as the bot, to the recipient's
 * channel, and the post is created with the new file ids. A person's channel is their direct
 * message channel with the bot, created on first use and remembered for good
 * ({@link DirectChannelSource}): one engine for channels and people alike. The server silently drops file ids it cannot
 * attach, so the returned post is checked for every id; a post missing files is removed and
 * the channel reported as failed rather than left with a half broadcast.
 *
 * Every post carries the broadcast id in its props. Before any second attempt at a channel
 * (a lost answer, a retry, a restart) the channel is searched for that tag, so no channel gets
 * the same broadcast twice; and a channel is never recorded "not delivered" while an answer
 * was lost and no search has looked since. When the search cannot tell, nothing is posted.
 *
 * @module
 */

import type { Post } from "@mattermost/types/posts";
import type { FileInfo } from "@mattermost/types/files";
import {
  backoffDelay,
  type BackoffPolicy,
  delay,
  err,
  type FileBytes,
  forEachBounded,
  isStatus,
  logger,
  MattermostError,
  multipartBody,
  ok,
  type Problem,
  RequestWithheld,
  type RestTransport,
  type Result,
  type Semaphore,
} from "@postbot/framework";
import { keepHeapNear } from "@postbot/framework/heap_budget";
import { plural } from "../format.ts";
import {
  BROADCAST_PROP,
  type CopySearch,
  findBroadcastPost,
  keepOneCopy,
  type SearchLimits,
  UnsearchableChannel,
} from "./copies.ts";
import { type BroadcastFile, type BroadcastTarget, targetLabel, type TargetRef } from "./model.ts";

const log = logger("delivery");

/** A downloaded file, held once in memory and streamed by every upload without a copy. */
export interface PreparedFile {
  readonly source: BroadcastFile;
  readonly content: FileBytes;
}

/**
 * People's direct message channels with the bot: the one already known (kept in the database),
 * or a new one (`POST /channels/direct`), remembered before anything is posted in it.
 */
export interface DirectChannelSource {
  /** The DM channel with `userId` the bot has used before, if any (no request to the server). */
  known(userId: string): Promise<string | undefined>;
  /** The DM channel with `userId`, created when there is none yet. */
  open(userId: string): Promise<string>;
}

/** The outcome for one recipient. */
export type ChannelOutcome =
  | { readonly target: BroadcastTarget; readonly ok: true; readonly postId: string }
  | { readonly target: BroadcastTarget; readonly ok: false; readonly reason: string };

/**
 * Where delivery writes each channel's outcome down as it happens: `markSending` before an
 * attempt's requests, `markDelivered` or `markFailed` right after. The round trip around every
 * POST is deliberate: whatever a crash interrupts is then known exactly (a channel left
 * `sending` is searched for on the server at the next start, see recovery.ts). The broadcast
 * log (log.ts) is the journal in production.
 */
export interface DeliveryJournal {
  /**
   * An attempt is starting: from here on, its outcome must be verified after a crash. False
   * when this instance may not act any more (it lost the lease): nothing is sent.
   */
  markSending(broadcastId: string, target: TargetRef): Promise<boolean>;
  /** The post is in the channel (or the person's DM). */
  markDelivered(broadcastId: string, target: TargetRef, postId: string): Promise<void>;
  /** The recipient did not get it; `reason` is written for people. */
  markFailed(broadcastId: string, target: TargetRef, reason: string): Promise<void>;
}

/** What a delivery run needs. */
export interface DeliveryContext {
  readonly transport: RestTransport;
  /** Each channel's outcome, saved around every attempt (crash safety). */
  readonly journal: DeliveryJournal;
  readonly botUserId: string;
  readonly botUsername: string;
  /** People's DM channels; without it, a person cannot be delivered to. */
  readonly directChannels?: DirectChannelSource;
  readonly concurrency: number;
  /**
   * Shared by every broadcast running at once, so `BROADCAST_CONCURRENCY` bounds the
   * deliveries of all of them together, not of each.
   */
  readonly slots?: Semaphore;
  /** Attempts per channel for transient failures (default 4). */
  readonly attempts?: number;
  readonly backoff?: BackoffPolicy;
  /** Called after each channel, for progress and metrics. */
  readonly onOutcome?: (outcome: ChannelOutcome) => void;
  /**
   * When aborted, channels not yet started are left pending, and a channel waiting to try
   * again is settled (checked, then recorded) instead.
   */
  readonly signal?: AbortSignal;
  /** Bounds of the search for an earlier copy (tests make them small). */
  readonly searchLimits?: SearchLimits;
  /**
   * Whether this instance still holds the lease (a shared database), asked right before each
   * post goes out (after the rate limit's wait, before every retry): a process paused between
   * claiming a recipient and posting must not post once another instance has taken over.
   * Absent: the sole instance.
   */
  readonly mayAct?: () => boolean;
}

/** One broadcast (or the remainder of one, for a retry) to deliver. */
export interface DeliveryJob {
  readonly broadcastId: string;
  /** The text exactly as posted (attribution footer included). */
  readonly message: string;
  readonly files: readonly PreparedFile[];
  readonly targets: readonly BroadcastTarget[];
  /** Search for an earlier copy before the first attempt too (retries, recovery). */
  readonly checkFirst: boolean;
  /** Posts older than this cannot be copies of the broadcast (ms since epoch). */
  readonly since: number;
  /**
   * Props a recipient's post carries besides the broadcast's tag (what it asks of its
   * readers: see ack_post.ts); the tag is always added.
   */
  readonly props?: (target: BroadcastTarget) => Promise<Record<string, unknown>>;
  /** Mattermost's priority label for every post of the run, and whether the server refused it. */
  readonly priority?: PriorityLabel;
}

/**
 * A run's priority label (`metadata.priority.priority`). When the server refuses it (the
 * setting is off, or the server does not take it), the post goes out without it, `refused`
 * says why, and the rest of the run does not try again.
 */
export interface PriorityLabel {
  readonly label: string;
  refused?: string;
}

/** Whether the server refused a post for its priority (not for anything else). */
export function isPriorityRefusal(e: unknown): e is MattermostError {
  if (!(e instanceof MattermostError) || e.kind !== "http") return false;
  const id = e.serverErrorId ?? "";
  return id.includes("post_priority") || id === "license_error.feature_unavailable";
}

/**
 * Downloads the DM's files once, all at the same time (a post holds at most 10, and every one
 * is kept for the whole delivery anyway); any failure aborts the broadcast before anything is
 * sent, naming the first file in the post's order that failed.
 */
export async function downloadFiles(
  transport: RestTransport,
  files: readonly BroadcastFile[],
): Promise<Result<PreparedFile[], Problem>> {
  const results = await Promise.allSettled(files.map((file) => transport.downloadFile(file.id)));
  const prepared: PreparedFile[] = [];
  for (const [i, result] of results.entries()) {
    if (result.status === "fulfilled") {
      prepared.push({ source: files[i], content: result.value });
      continue;
    }
    const e = result.reason;
    const why = isStatus(e, 404, 403)
      ? "it is no longer available on the server (deleted?)"
      : e instanceof MattermostError
      ? e.message
      : String(e);
    return err({ message: `I could not download the file "${files[i].name}": ${why}` });
  }
  return ok(prepared);
}

/** Delivers to every target; never throws for a channel's failure (it is an outcome). */
export async function deliver(job: DeliveryJob, ctx: DeliveryContext): Promise<ChannelOutcome[]> {
  const outcomes: ChannelOutcome[] = [];
  await deliverEach(job, {
    ...ctx,
    onOutcome: (o) => {
      outcomes.push(o);
      ctx.onOutcome?.(o);
    },
  });
  return outcomes;
}

/**
 * Delivers to every target like {@link deliver}, handing each outcome to `onOutcome` and
 * keeping none: a run to 10,000 people would otherwise hold 10,000 outcomes until its end.
 * Returns how many recipients were tried (fewer than the targets when shutdown stopped it).
 */
export async function deliverEach(job: DeliveryJob, ctx: DeliveryContext): Promise<number> {
  let tried = 0;
  const pool = { concurrency: ctx.concurrency, signal: ctx.signal };
  await forEachBounded(job.targets, pool, async (target) => {
    const attempt = () =>
      ctx.signal?.aborted ? Promise.resolve(undefined) : deliverOne(job, target, ctx);
    const outcome = ctx.slots === undefined ? await attempt() : await ctx.slots.run(attempt);
    // Shutting down, or the lease lost to another instance: the recipient stays as it was.
    if (outcome === undefined) return;
    tried++;
    ctx.onOutcome?.(outcome);
    keepHeapNear();
  });
  return tried;
}

async function deliverOne(
  job: DeliveryJob,
  target: BroadcastTarget,
  ctx: DeliveryContext,
): Promise<ChannelOutcome | undefined> {
  const attempts = ctx.attempts ?? 4;
  const backoff = ctx.backoff ?? { initialMs: 500, maxMs: 8_000 };
  /** A post may be in the channel that no search has seen yet (a lost answer, a retry). */
  let unverified = job.checkFirst;
  for (let attempt = 1;; attempt++) {
    if (!await ctx.journal.markSending(job.broadcastId, target)) return undefined;
    const progress: Progress = { step: "checking" };
    // A copy that lands late lands after this: the clean-up below looks no further back.
    const tryStartedAt = Date.now();
    try {
      if (unverified) {
        const existing = await searchRecipient(job, target, ctx);
        if (existing !== undefined) return await delivered(job, target, ctx, existing);
        unverified = false;
      }
      const posted = await postOnce(job, target, ctx, progress);
      const since = Math.max(job.since, tryStartedAt);
      if (ctx.mayAct?.() === false) {
        // It landed after another instance took over, which may have posted too.
        await keepOneCopy(copySearch(job, ctx, posted.channelId, since), posted.postId, false);
        return undefined;
      }
      // Another instance may have posted here before it lost the lease, too late to be found
      // (only where instances share a lease: a sole instance has no predecessor still posting).
      if (job.checkFirst && ctx.mayAct !== undefined) {
        await keepOneCopy(copySearch(job, ctx, posted.channelId, since), posted.postId, true);
      }
      return await delivered(job, target, ctx, posted.postId);
    } catch (e) {
      // Another instance resumes this recipient; nothing may be recorded or said here.
      if (e instanceof RequestWithheld) return undefined;
      // The post request may have reached the server even though no answer came back.
      if (progress.step === "posting" && mayHaveLanded(e)) unverified = true;
      const final = !(e instanceof MattermostError) || !e.transient ||
        e.kind === "rate_limited" || attempt >= attempts;
      if (final) {
        return progress.step === "checking"
          ? await settle(job, target, ctx, unverifiable(target, e), false, e)
          : await settle(
            job,
            target,
            ctx,
            explain(e, target, attempt, progress.step),
            unverified,
            e,
          );
      }
      await delay(backoffDelay(backoff, attempt), ctx.signal).catch(() => {});
      if (ctx.signal?.aborted) {
        // Shutting down: no more attempts, but what is in the channel must be known.
        const reason = "not sent: postbot shut down before it could try again " +
          `(${explain(e, target, attempt, progress.step)})`;
        return await settle(job, target, ctx, reason, unverified, e);
      }
    }
  }
}

/**
 * The channel a recipient's post goes to without creating anything: a channel's own id, a
 * person's DM channel when the bot has one with them (undefined otherwise: nothing can be
 * there yet).
 */
export async function knownChannelOf(
  target: BroadcastTarget,
  directChannels: Pick<DirectChannelSource, "known"> | undefined,
): Promise<string | undefined> {
  return target.kind === "channel" ? target.channelId : await directChannels?.known(target.userId);
}

/** This broadcast's post for the recipient, if one is there already. */
async function searchRecipient(
  job: DeliveryJob,
  target: BroadcastTarget,
  ctx: DeliveryContext,
): Promise<string | undefined> {
  const channelId = await knownChannelOf(target, ctx.directChannels);
  if (channelId === undefined) return undefined;
  return await findBroadcastPost(copySearch(job, ctx, channelId));
}

/** The search for the job's copies in one channel, among posts from `since` on. */
function copySearch(
  job: DeliveryJob,
  ctx: DeliveryContext,
  channelId: string,
  since = job.since,
): CopySearch {
  return {
    transport: ctx.transport,
    botUserId: ctx.botUserId,
    broadcastId: job.broadcastId,
    channelId,
    since,
    limits: ctx.searchLimits,
  };
}

/** How far an attempt got: only a failed post request can leave a post behind. */
interface Progress {
  step: Step;
}

/** The steps of one attempt. */
type Step = "checking" | "opening" | "uploading" | "posting";

/** Whether a failed request may nevertheless have been carried out by the server. */
function mayHaveLanded(e: unknown): boolean {
  return !(e instanceof MattermostError) || (e.transient && e.kind !== "rate_limited");
}

async function delivered(
  job: DeliveryJob,
  target: BroadcastTarget,
  ctx: DeliveryContext,
  postId: string,
): Promise<ChannelOutcome> {
  await ctx.journal.markDelivered(job.broadcastId, target, postId);
  return { target, ok: true, postId };
}

/**
 * Records a recipient that will not be tried again. When an earlier attempt may have posted,
 * the channel is searched once more first, so the log never says "not delivered" about a
 * post that is there.
 */
async function settle(
  job: DeliveryJob,
  target: BroadcastTarget,
  ctx: DeliveryContext,
  reason: string,
  unverified: boolean,
  error: unknown,
): Promise<ChannelOutcome> {
  if (unverified) {
    try {
      const existing = await searchRecipient(job, target, ctx);
      if (existing !== undefined) return await delivered(job, target, ctx, existing);
    } catch (e) {
      reason = `${reason}; ${unverifiable(target, e)}`;
    }
  }
  log.warn("Broadcast {id} to {recipient} failed: {reason}", {
    id: job.broadcastId,
    recipient: targetLabel(target),
    reason,
    error,
  });
  await ctx.journal.markFailed(job.broadcastId, target, reason);
  return { target, ok: false, reason };
}

/** The reason for a recipient whose search for an earlier copy failed. */
function unverifiable(target: BroadcastTarget, e: unknown): string {
  const where = target.kind === "channel"
    ? targetLabel(target)
    : `the DM of ${targetLabel(target)}`;
  return `could not verify whether ${where} already has it (${explain(e, target, 1)}): ` +
    `check ${where}, and \`!retry\` if it is missing`;
}

/** A failure whose reason was already written for people. */
class DeliveryFailure extends Error {}

/** The channel to post in: a channel's own, a person's DM (created when there is none). */
async function channelFor(
  target: BroadcastTarget,
  ctx: DeliveryContext,
  progress: Progress,
): Promise<string> {
  if (target.kind === "channel") return target.channelId;
  if (ctx.directChannels === undefined) {
    throw new DeliveryFailure("direct messages to people are not available here");
  }
  progress.step = "opening";
  return await ctx.directChannels.open(target.userId);
}

/** Uploads and posts once, recording in `progress` how far it got. */
async function postOnce(
  job: DeliveryJob,
  target: BroadcastTarget,
  ctx: DeliveryContext,
  progress: Progress,
): Promise<{ channelId: string; postId: string }> {
  const channelId = await channelFor(target, ctx, progress);
  progress.step = "uploading";
  const fileIds = job.files.length > 0 ? await upload(job, channelId, ctx) : [];
  progress.step = "posting";
  const props = { ...await job.props?.(target), [BROADCAST_PROP]: job.broadcastId };
  const post = await createPost(job, ctx, { channel_id: channelId, file_ids: fileIds, props });
  const attached = new Set(post.file_ids ?? []);
  const missing = fileIds.filter((id) => !attached.has(id));
  if (missing.length > 0) {
    // Mattermost dropped files it would not attach. A post without its files is a wrong
    // broadcast: take it back and report the recipient.
    await ctx.transport.send(ctx.transport.api(`/posts/${post.id}`), { method: "DELETE" })
      .then((removed) => removed.text()) // read: lets its time limit and its connection go
      .catch((e) =>
        log.error("Could not remove incomplete post {post}: {error}", {
          post: post.id,
          error: e,
        })
      );
    throw new DeliveryFailure(
      `the server did not attach ${missing.length} of ${fileIds.length} files, so the post ` +
        "was removed again",
    );
  }
  return { channelId, postId: post.id };
}

/**
 * POST /posts with the job's message and its priority label; a label the server refuses is
 * dropped (for the rest of the run too) and the post sent again without it.
 */
async function createPost(
  job: DeliveryJob,
  ctx: DeliveryContext,
  fields: { channel_id: string; file_ids: string[]; props: Record<string, unknown> },
): Promise<Post> {
  const priority = job.priority;
  const labelled = priority !== undefined && priority.label !== "" &&
    priority.refused === undefined;
  const send = (withLabel: boolean) =>
    ctx.transport.send(ctx.transport.api("/posts"), {
      method: "POST",
      // Asked after any wait for the rate limit, before each try: see DeliveryContext.mayAct.
      mayProceed: ctx.mayAct,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ...fields,
        message: job.message,
        ...(withLabel ? { metadata: { priority: { priority: priority!.label } } } : {}),
      }),
    });
  try {
    return await (await send(labelled)).json() as Post;
  } catch (e) {
    if (!labelled || !isPriorityRefusal(e)) throw e;
    priority.refused ??= `HTTP ${e.status}: ${e.message}`;
    log.warn("Broadcast {id}: the server refused the priority label {label}: {error}", {
      id: job.broadcastId,
      label: priority.label,
      error: e.message,
    });
    return await (await send(false)).json() as Post;
  }
}

/** Uploads the job's files to `channelId` as the bot; the new file ids, checked. */
async function upload(
  job: DeliveryJob,
  channelId: string,
  ctx: DeliveryContext,
): Promise<string[]> {
  const body = multipartBody(
    [["channel_id", channelId]],
    job.files.map((f) => ({
      field: "files",
      filename: f.source.name,
      contentType: f.source.mimeType,
      content: f.content,
    })),
  );
  const response = await ctx.transport.send(ctx.transport.api("/files"), {
    method: "POST",
    headers: { "Content-Type": body.contentType },
    body: () => body.stream(),
  });
  const uploaded = await response.json() as { file_infos?: FileInfo[] };
  const infos = uploaded.file_infos ?? [];
  const fileIds = infos.map((f) => f.id);
  if (fileIds.length !== job.files.length) {
    throw new DeliveryFailure(
      `the server accepted ${fileIds.length} of ${job.files.length} files`,
    );
  }
  const short = infos.findIndex((info, i) => info.size !== job.files[i].content.size);
  if (short >= 0) {
    throw new DeliveryFailure(`the file "${job.files[short].source.name}" arrived incomplete`);
  }
  return fileIds;
}

/**
 * A reason a person understands, for the report and the log. `step` says which request failed
 * when it matters: opening a person's DM channel.
 */
export function explain(
  e: unknown,
  target: BroadcastTarget,
  attempts: number,
  step?: Step,
): string {
  const label = targetLabel(target);
  if (e instanceof DeliveryFailure || e instanceof UnsearchableChannel) return e.message;
  if (!(e instanceof MattermostError)) return `an unexpected error (${String(e)})`;
  const id = e.serverErrorId ?? "";
  if (target.kind === "channel" && /deleted|archived/i.test(id)) return `${label} was archived`;
  switch (e.kind) {
    case "rate_limited":
      return `rate limited by the server after ${e.attempts} attempts`;
    case "timeout":
      return `the server did not answer in time (${attempts} attempts)`;
    case "network":
      return `the server could not be reached (${attempts} attempts)`;
  }
  if (target.kind === "person" && (step === "opening" || e.status === 403)) {
    return `the server refused a direct message to ${label} (HTTP ${e.status}: ${e.message})`;
  }
  if (e.status === 403) {
    return `the bot is not a member of ${label} or may not post there ` +
      `(add it with /invite)`;
  }
  if (e.status === 404) {
    return target.kind === "channel"
      ? `${label} no longer exists`
      : `the direct message channel with ${label} no longer exists`;
  }
  if (e.status === 413) return "a file is larger than the server accepts";
  if (e.status >= 500) return `the server failed (HTTP ${e.status}) ${plural(attempts, "time")}`;
  return `the server refused it (HTTP ${e.status}: ${e.message})`;
}
