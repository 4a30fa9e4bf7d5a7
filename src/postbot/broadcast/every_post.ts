/**
 * One thing done to every post a broadcast has in channels and people's DMs: `!undo` deletes
 * them, `!edit` patches them. One operation, so both go at the same pace ({@link POSTS_AT_ONCE} posts at a
 * time through the paced transport, each answer read so its time limit ends) and report a
 * partial failure alike: every channel left unchanged named with why, in the broadcast's
 * order, and private channels the reader may not see counted, never named.
 *
 * @module
 */

import { forEachBounded, type RestTransport, type SendInit } from "@postbot/framework";
import { quote } from "../format.ts";
import { hiddenChannelsText } from "../privacy.ts";
import { type DeliveryRecord, targetKey } from "./model.ts";
import { hiddenPeopleText } from "./report.ts";

/** Posts worked on at once. */
export const POSTS_AT_ONCE = 4;

/** What is done to each post. */
export interface PostOperation {
  /** The request for one post: its API path (`/posts/{id}`) and method, body. */
  request(post: DeliveryRecord): { readonly path: string; readonly init: SendInit };
  /** Whether a failure means the post is already as wanted (a 404 to a delete). */
  alreadyDone?(error: unknown): boolean;
  /** Records a post that is done (or already was). */
  onDone?(post: DeliveryRecord): unknown;
  /** Why a post could not be changed, for people. */
  why(error: unknown, post: DeliveryRecord): Promise<string> | string;
}

/** A post that was not changed, and why. */
export interface PostFailure {
  readonly delivery: DeliveryRecord;
  readonly why: string;
}

/** How many posts were changed, and the ones that were not, in the posts' order. */
export interface PostsOutcome {
  readonly changed: number;
  readonly failed: readonly PostFailure[];
}

/** Does `operation` to every post; a post's failure is an outcome, never thrown. */
export async function applyToEveryPost(
  transport: RestTransport,
  posts: readonly DeliveryRecord[],
  operation: PostOperation,
): Promise<PostsOutcome> {
  let changed = 0;
  const failures: (PostFailure | undefined)[] = [];
  await forEachBounded(posts, { concurrency: POSTS_AT_ONCE }, async (post, index) => {
    const { path, init } = operation.request(post);
    try {
      const response = await transport.send(transport.api(path), init);
      await response.text().catch(() => {}); // read: lets its time limit go
      await operation.onDone?.(post);
      changed++;
    } catch (e) {
      if (operation.alreadyDone?.(e)) {
        await operation.onDone?.(post);
        changed++;
      } else {
        failures[index] = { delivery: post, why: await operation.why(e, post) };
      }
    }
  });
  return { changed, failed: failures.filter((f) => f !== undefined) };
}

/**
 * The report lines of the posts left unchanged, for one reader: `- ~name (Display name): why`
 * or `- @person: why`, then the recipients `hidden` from them (keys, see targetKey), counted.
 */
export function unchangedLines(
  failed: readonly PostFailure[],
  hidden: ReadonlySet<string>,
): string[] {
  const shown = failed.filter((f) => !hidden.has(targetKey(f.delivery)));
  const lines = shown.map(({ delivery: d, why }) =>
    d.kind === "channel"
      ? `- ~${d.name} (${quote(d.displayName, 64)}): ${why}`
      : `- @${d.username}: ${why}`
  );
  const unnamed = failed.filter((f) => hidden.has(targetKey(f.delivery)));
  const channels = unnamed.filter((f) => f.delivery.kind === "channel").length;
  if (channels > 0) lines.push(`- ${hiddenChannelsText(channels)}`);
  if (unnamed.length > channels) lines.push(`- ${hiddenPeopleText(unnamed.length - channels)}`);
  return lines;
}
